"""TFLite: the importer (.tflite flatbuffer -> mnc Graph) and the int8 exporter (Graph -> .tflite)."""

from mnc.frontends.tflite.exporter import TFLiteWriter, export_tflite
from mnc.frontends.tflite.importer import load_tflite, load_tflite_bytes, operator_name

__all__ = ["TFLiteWriter", "export_tflite", "load_tflite", "load_tflite_bytes", "operator_name"]
