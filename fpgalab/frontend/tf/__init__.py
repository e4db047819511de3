"""The TensorFlow front end: capture a function through XLA, read its HLO, lower it with one rule per opcode."""
