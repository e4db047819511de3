"""Front ends: a model in, the loop-nest IR out. ``tf/`` for TensorFlow (through XLA HLO); ``lowering.py`` is shared."""
