"""The bit-accurate functional simulator: exact ap_fixed arithmetic, tables, one row per node class, the driver."""
