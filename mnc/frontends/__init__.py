"""Frontends: turn a model source (built-in variant, .tflite, .onnx) into an mnc Graph.

Each frontend lives in its own module and is imported lazily by the compiler driver, so a
missing optional dependency of one frontend never breaks the others.
"""
