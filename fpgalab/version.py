"""fpgalab's version, in one place (the side panel's protocol reports it)."""

__version__ = "0.1.0"
