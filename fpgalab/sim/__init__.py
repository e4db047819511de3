"""Functional (bit-accurate) and timing simulation of a design."""
