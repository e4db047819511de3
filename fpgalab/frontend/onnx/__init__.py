"""The ONNX front end: read a model with the onnx package, lower it with one rule per op type."""
