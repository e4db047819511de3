"""From TensorFlow to the IR: capture (XLA HLO), the HLO reader and the lowering rules."""
