"""Test-only op kinds with tiny C kernels (tests/codegen/kernels), so code generation can be tested
on hand-built int8 graphs independent of the real op modules.

  codegen_test_lut  : out = lut[x]            (ConstArray param, scratch buffer)
  codegen_test_add  : out = sat(a + b + offset)  (two inputs, b may be a constant)
  codegen_test_view : out = x, reshaped       (alias: no call)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dataclasses import dataclass

from mnc.errors import UnsupportedError
from mnc.ir import Graph, QuantParams, Tensor
from mnc.kernels.base import KernelDescriptor, Params, array
from mnc.kernels.call import ConstArray
from mnc.kernels.registry import get_kernel, register_kernel
from mnc.ops import get_op, kinds, register
from mnc.ops.base import OpDef

KERNELS = Path(__file__).resolve().parent / "kernels"
SOURCES = ["mnc_codegen_test_s8.c", "mnc_codegen_test_s8.h"]


@dataclass(frozen=True)
class LutParams(Params):
    size: int
    lut: object = array("int8_t")


@dataclass(frozen=True)
class AddParams(Params):
    size: int
    offset: int


class CodegenTestKernel(KernelDescriptor):
    """The test kernels live in tests/codegen/kernels and share one source pair."""

    @property
    def sources(self):
        return list(SOURCES)

    def inputs(self, op):
        return list(op.inputs)


class LutKernel(CodegenTestKernel):
    name = "mnc_codegen_test_lut_s8"
    params_type = LutParams

    def params(self, op, graph):
        return LutParams(size=graph.tensor(op.inputs[0]).size, lut=ConstArray("lut", "int8_t", op.attrs["lut"]))

    def scratch_bytes(self, op, graph):
        return graph.tensor(op.inputs[0]).size


class AddKernel(CodegenTestKernel):
    name = "mnc_codegen_test_add_s8"
    params_type = AddParams

    def params(self, op, graph):
        return AddParams(size=graph.tensor(op.inputs[0]).size, offset=op.attrs["offset"])


class LutOp(OpDef):
    kind = "codegen_test_lut"
    kernels = ("mnc_codegen_test_lut_s8",)

    def infer(self, op, graph):
        return [(graph.tensor(op.inputs[0]).shape, "int8")]

    def eval_int8(self, op, graph, inputs):
        return [op.attrs["lut"][inputs[0].astype(np.int32) + 128]]

    def macs(self, op, graph):
        return graph.tensor(op.inputs[0]).size


class AddOp(OpDef):
    kind = "codegen_test_add"
    kernels = ("mnc_codegen_test_add_s8",)

    def infer(self, op, graph):
        return [(graph.tensor(op.inputs[0]).shape, "int8")]

    def eval_int8(self, op, graph, inputs):
        total = inputs[0].astype(np.int32) + inputs[1].astype(np.int32) + op.attrs["offset"]
        return [np.clip(total, -128, 127).astype(np.int8)]


class ViewOp(OpDef):
    kind = "codegen_test_view"
    kernels = ("alias",)

    def infer(self, op, graph):
        return [(tuple(op.attrs["shape"]), "int8")]

    def eval_int8(self, op, graph, inputs):
        return [inputs[0].reshape(op.attrs["shape"])]


def ensure_registered() -> None:
    for cls in (LutOp, AddOp, ViewOp):
        if cls.kind not in kinds():
            register(cls())
    for kernel in (LutKernel(), AddKernel()):
        if not _has_kernel(kernel.name):
            register_kernel(kernel)
    assert get_op("codegen_test_lut")


def _has_kernel(name: str) -> bool:
    try:
        get_kernel(name)
    except UnsupportedError:
        return False
    return True


def _act(graph: Graph, name: str, shape, scale=0.05, zp=-3) -> str:
    graph.add_tensor(Tensor(name, shape, "int8", quant=QuantParams.per_tensor(scale, zp)))
    return name


def small_graph(op_names=("lut1", "add1", "view1", "lut2"), seed: int = 0) -> Graph:
    """input [1,4,4,3] -> lut -> add(const) -> view [1,48] -> lut -> output; names are parameters."""
    ensure_registered()
    rng = np.random.default_rng(seed)
    g = Graph("codegen_test")
    g.inputs = [_act(g, "input", (1, 4, 4, 3), 0.02, 5)]
    lut_a = rng.integers(-128, 128, 256).astype(np.int8)
    lut_b = rng.integers(-128, 128, 256).astype(np.int8)
    const = g.add_tensor(Tensor("bias_const", (1, 4, 4, 3), "int8",
                                data=rng.integers(-20, 20, (1, 4, 4, 3)).astype(np.int8),
                                quant=QuantParams.per_tensor(0.05, -3)))
    g.add_op("codegen_test_lut", ["input"], [_act(g, "t1", (1, 4, 4, 3))], {"lut": lut_a}, name=op_names[0],
             meta={"source": f"hand-built {op_names[0]}"})
    g.add_op("codegen_test_add", ["t1", const.name], [_act(g, "t2", (1, 4, 4, 3))], {"offset": 7}, name=op_names[1])
    g.add_op("codegen_test_view", ["t2"], [_act(g, "t3", (1, 48))], {"shape": (1, 48)}, name=op_names[2])
    g.add_op("codegen_test_lut", ["t3"], [_act(g, "output", (1, 48), 1 / 256, -128)], {"lut": lut_b},
             name=op_names[3])
    g.outputs = ["output"]
    return g
