"""Which graph inputs of an ONNX model are NHWC: the ones only read through Transpose(0, 3, 1, 2).

tf2onnx keeps a Keras model's NHWC input and converts it to ONNX's NCHW with a Transpose right
after it. Such an input is the user's contract in NHWC (mnc.layout), and mnc stores it as it is:
the Transpose then only translates to the NCHW view the ONNX nodes use, which is mnc's own NHWC
storage, so it becomes an alias rather than data movement.
"""

from __future__ import annotations

import onnx
from onnx import helper

TO_NCHW = [0, 3, 1, 2]


def nhwc_inputs(model: onnx.ModelProto) -> set[str]:
    readers: dict[str, list[onnx.NodeProto]] = {}
    for node in model.graph.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    return {inp.name for inp in model.graph.input
            if len(inp.type.tensor_type.shape.dim) == 4 and readers.get(inp.name)
            and all(_is_to_nchw(node) for node in readers[inp.name])}


def _is_to_nchw(node: onnx.NodeProto) -> bool:
    if node.op_type != "Transpose" or node.domain not in ("", "ai.onnx"):
        return False
    perm = [helper.get_attribute_value(a) for a in node.attribute if a.name == "perm"]
    return bool(perm) and list(perm[0]) == TO_NCHW
