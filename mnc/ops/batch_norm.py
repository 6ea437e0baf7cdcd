"""batch_norm over the last (channel) axis: float only, folded into the preceding conv before
quantization, so it has neither an int8 reference nor a C kernel."""

from __future__ import annotations

import numpy as np

from mnc.errors import ModelError
from mnc.ops import register
from mnc.ops.base import OpDef


class BatchNorm(OpDef):
    kind = "batch_norm"
    onnx_ops = ("BatchNormalization",)
    inputs_doc = "x, gamma, beta, mean, var"
    attrs_doc = "eps"
    notes = "float only; folded away"

    def infer(self, op, graph):
        x = graph.tensor(op.inputs[0]).shape
        for name in op.inputs[1:5]:
            if graph.tensor(name).size != x[-1]:
                raise ModelError(f"op {op.name!r}: {name!r} must have {x[-1]} values (one per channel)")
        return [(x, "float32")]

    def eval_float(self, op, graph, inputs):
        x, gamma, beta, mean, var = (np.asarray(a, np.float32) for a in inputs[:5])
        scale = gamma / np.sqrt(var + np.float32(op.attrs.get("eps", 1e-5)))
        return [((x - mean) * scale + beta).astype(np.float32)]


register(BatchNorm())
