"""What one TFLite operator converter sees (`OpContext`): its operands, options, and how to emit mnc ops."""

from __future__ import annotations

import flatbuffers
import numpy as np
import tflite

from mnc.errors import ModelError, UnsupportedError
from mnc.ir import QuantParams, Tensor


class OpContext:
    """What one operator converter sees: its operands, options, and how to emit mnc ops.

    `importer` is the TFLiteImporter running the import (not imported here: the importer imports
    the converters, which import this module)."""

    def __init__(self, importer, index: int, op: tflite.Operator, name: str) -> None:
        self.imp = importer
        self.index = index
        self.op = op
        self.name = name
        self.inputs = [int(i) for i in (op.InputsAsNumpy() if op.InputsLength() else [])]
        self.outputs = [int(i) for i in (op.OutputsAsNumpy() if op.OutputsLength() else [])]

    # ---- errors: one line naming the operator, its index and the tensor ------------------
    def where(self, tensor_index: int | None = None) -> str:
        if tensor_index is None:
            tensor_index = self.outputs[0] if self.outputs else None
        tname = f" tensor {self.imp.raw_name(tensor_index)!r}" if tensor_index is not None else ""
        return f"op {self.index} {self.name}{tname}"

    def unsupported(self, what: str, tensor_index: int | None = None) -> UnsupportedError:
        return UnsupportedError(f"{self.where(tensor_index)}: {what}")

    def malformed(self, what: str, tensor_index: int | None = None) -> ModelError:
        return ModelError(f"{self.where(tensor_index)}: {what}")

    # ---- operands ------------------------------------------------------------------------
    def input_index(self, i: int) -> int:
        """The subgraph tensor index of input `i`, or -1 when the optional input is absent."""
        return self.inputs[i] if i < len(self.inputs) else -1

    def expect_arity(self, n_in: tuple[int, ...] | int, n_out: int = 1) -> None:
        allowed = (n_in,) if isinstance(n_in, int) else n_in
        if len(self.inputs) not in allowed or len(self.outputs) != n_out:
            raise self.malformed(f"expected {'/'.join(map(str, allowed))} inputs and {n_out} output(s), "
                                 f"got {len(self.inputs)} and {len(self.outputs)}")

    def tensor(self, i: int) -> Tensor:
        """The mnc tensor for input `i` (created on first use)."""
        return self.imp.tensor(self.input_index(i), self)

    def output(self, i: int = 0) -> Tensor:
        return self.imp.tensor(self.outputs[i], self)

    def const(self, i: int) -> np.ndarray:
        """A constant operand (shape, axes, paddings) as a plain numpy array."""
        return self.imp.index_const(self.input_index(i), self)

    def options(self, cls):
        """The operator's builtin options table of type `cls` (all defaults when absent)."""
        table = self.op.BuiltinOptions()
        opts = cls()
        if table is None:
            table = empty_table()
        opts.Init(table.Bytes, table.Pos)
        return opts

    # ---- emission ------------------------------------------------------------------------
    def emit(self, kind: str, inputs: list[str], outputs: list[str], attrs: dict | None = None) -> None:
        source = f"tflite op {self.index} {self.name} {self.imp.raw_name(self.outputs[0])}"
        self.imp.graph.add_op(kind, inputs, outputs, attrs, name=f"{kind}_{self.index}", meta={"source": source})

    def new_tensor(self, like: Tensor, shape: tuple[int, ...], suffix: str) -> Tensor:
        """An intermediate tensor the importer adds (e.g. FC output before a reshape)."""
        t = Tensor(self.imp.graph.unique_name(f"{like.name}_{suffix}"), shape, like.dtype,
                   quant=copy_quant(like.quant), meta={"source": like.meta.get("source", "")})
        return self.imp.graph.add_tensor(t)


def copy_quant(q: QuantParams | None) -> QuantParams | None:
    return None if q is None else QuantParams(q.scale.copy(), q.zero_point.copy(), q.axis)


def empty_table() -> flatbuffers.table.Table:
    """A table with no fields: every accessor returns the schema default."""
    b = flatbuffers.Builder(16)
    b.StartObject(0)
    b.Finish(b.EndObject())
    buf = b.Output()
    pos = flatbuffers.encode.Get(flatbuffers.packer.uoffset, buf, 0)
    return flatbuffers.table.Table(buf, pos)
