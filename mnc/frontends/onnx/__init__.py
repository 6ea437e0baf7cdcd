"""ONNX: the importer (float and QDQ models -> an NHWC mnc Graph) and the exporter (Graph -> ONNX)."""

from mnc.frontends.onnx.exporter import export_onnx, to_onnx
from mnc.frontends.onnx.importer import import_model, load_onnx

__all__ = ["export_onnx", "import_model", "load_onnx", "to_onnx"]
