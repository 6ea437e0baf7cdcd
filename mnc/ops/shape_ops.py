"""reshape (an alias: no data movement) and concat.

int8 concat: TFLite's int8 CONCATENATION requires every input to share the output's quantization
(LiteRT's Prepare enforces it) and then only copies. mnc also accepts inputs whose quantization
differs and requantizes them the way TFLite's int8 REQUANTIZE does (multiplier in_scale/out_scale
in double, MultiplyByQuantizedMultiplier, saturate); inputs that match are copied.
"""

from __future__ import annotations

import numpy as np

from mnc.errors import ModelError
from mnc.ops import register
from mnc.ops.base import SAME_AS_INPUT, Constraint, OpDef, OutputQuant
from mnc.ops.quantize_ops import requantize_int8


class Reshape(OpDef):
    kind = "reshape"
    tflite_ops = ("RESHAPE", "SQUEEZE")
    onnx_ops = ("Reshape", "Flatten", "Squeeze", "Unsqueeze")
    attrs_doc = "shape (tuple)"
    notes = "alias: no data movement"
    output_quant = SAME_AS_INPUT
    preserves_sign = True
    kernels = ("alias",)

    def infer(self, op, graph):
        x = graph.tensor(op.inputs[0])
        try:
            shape = np.empty(x.shape, dtype=np.uint8).reshape(tuple(op.attrs["shape"])).shape
        except ValueError:
            raise ModelError(f"{op.name}: cannot reshape {x.shape} to {tuple(op.attrs['shape'])}") from None
        return [(tuple(shape), x.dtype)]

    def eval_float(self, op, graph, inputs):
        return [inputs[0].reshape(self.infer(op, graph)[0][0])]

    def eval_int8(self, op, graph, inputs):
        return self.eval_float(op, graph, inputs)



class Concat(OpDef):
    kind = "concat"
    tflite_ops = ("CONCATENATION",)
    onnx_ops = ("Concat",)
    inputs_doc = "x0, x1, ..."
    attrs_doc = "axis"
    constraints = (Constraint("exactly two inputs", lambda op, graph: len(op.inputs) == 2),)
    output_quant = OutputQuant("own", input_is_exact=True)
    kernels = ("mnc_concat_s8",)

    def concat_axis(self, op, graph) -> int:
        return op.attrs["axis"] % len(graph.tensor(op.inputs[0]).shape)

    def infer(self, op, graph):
        shapes = [graph.tensor(n).shape for n in op.inputs]
        axis = self.concat_axis(op, graph)
        for s in shapes[1:]:
            if len(s) != len(shapes[0]) or any(a != b for i, (a, b) in enumerate(zip(s, shapes[0])) if i != axis):
                raise ModelError(f"{op.name}: shapes {shapes} do not concatenate along axis {axis}")
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        return [(tuple(out), graph.tensor(op.inputs[0]).dtype)]

    def eval_float(self, op, graph, inputs):
        return [np.concatenate([x.astype(np.float32) for x in inputs], axis=self.concat_axis(op, graph))]

    def eval_int8(self, op, graph, inputs):
        out_q = graph.tensor(op.outputs[0]).quant.single()
        parts = [requantize_int8(x, graph.tensor(n).quant.single(), out_q) for n, x in zip(op.inputs, inputs)]
        return [np.concatenate(parts, axis=self.concat_axis(op, graph))]


register(Reshape())
register(Concat())
