"""Small float graphs with seeded weights, built by hand through the Graph API."""

from __future__ import annotations

import numpy as np

from mnc import interpreter
from mnc.ir import Graph, Tensor
from mnc.ops import get_op, verify_graph


class Builder:
    """Adds ops one call at a time; output shapes come from each op's own shape inference."""

    def __init__(self, seed: int = 0, name: str = "test") -> None:
        self.g = Graph(name)
        self.rng = np.random.default_rng(seed)

    def input(self, shape, name: str = "x") -> str:
        self.g.add_tensor(Tensor(name, shape))
        self.g.inputs.append(name)
        return name

    def const(self, data: np.ndarray, name: str = "c") -> str:
        data = np.asarray(data, np.float32)
        t = self.g.add_tensor(Tensor(self.g.unique_name(name), data.shape, data=data))
        return t.name

    def weights(self, shape, name: str = "w", scale: float = 0.3) -> str:
        return self.const(self.rng.normal(0.0, scale, size=shape), name)

    def op(self, kind: str, inputs: list[str], attrs: dict | None = None, name: str | None = None) -> str:
        out = self.g.add_tensor(Tensor(self.g.unique_name(f"{name or kind}_out"), ()))
        op = self.g.add_op(kind, inputs, [out.name], attrs, name=name)
        shape, dtype = get_op(kind).infer(op, self.g)[0]
        out.shape, out.dtype = tuple(shape), dtype
        return out.name

    # ---- layers ---------------------------------------------------------------------------
    def conv(self, x: str, out_c: int, k: int = 3, stride: int = 1, pad=(0, 0, 0, 0), act: str = "none",
             bias: bool = True, w: str | None = None, name: str | None = None) -> str:
        in_c = self.g.tensor(x).shape[3]
        w = w or self.weights((out_c, k, k, in_c))
        inputs = [x, w] + ([self.weights((out_c,), "b", 0.1)] if bias else [])
        return self.op("conv2d", inputs, {"stride": (stride, stride), "pad": tuple(pad), "act": act}, name)

    def dw(self, x: str, k: int = 3, stride: int = 1, pad=(0, 0, 0, 0), act: str = "none") -> str:
        c = self.g.tensor(x).shape[3]
        inputs = [x, self.weights((1, k, k, c)), self.weights((c,), "b", 0.1)]
        attrs = {"stride": (stride, stride), "pad": tuple(pad), "depth_multiplier": 1, "act": act}
        return self.op("depthwise_conv2d", inputs, attrs)

    def fc(self, x: str, out: int, act: str = "none") -> str:
        n = self.g.tensor(x).size
        return self.op("fully_connected", [x, self.weights((out, n)), self.weights((out,), "b", 0.1)], {"act": act})

    def bn(self, x: str, eps: float = 1e-3) -> str:
        c = self.g.tensor(x).shape[-1]
        gamma = self.const(self.rng.uniform(0.5, 1.5, c), "gamma")
        beta = self.const(self.rng.normal(0.0, 0.2, c), "beta")
        mean = self.const(self.rng.normal(0.0, 0.2, c), "mean")
        var = self.const(self.rng.uniform(0.5, 2.0, c), "var")
        return self.op("batch_norm", [x, gamma, beta, mean, var], {"eps": eps})

    def pad(self, x: str, top: int, bottom: int, left: int, right: int) -> str:
        return self.op("pad", [x], {"pads": ((0, 0), (top, bottom), (left, right), (0, 0))})

    def pool(self, kind: str, x: str, k: int = 2, stride: int = 2, pad=(0, 0, 0, 0)) -> str:
        return self.op(kind, [x], {"kernel": (k, k), "stride": (stride, stride), "pad": tuple(pad)})

    def output(self, *names: str) -> Graph:
        self.g.outputs = list(names)
        verify_graph(self.g)
        return self.g

    def sample(self, shape, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
        return self.rng.uniform(lo, hi, size=shape).astype(np.float32)


def kinds(g: Graph) -> list[str]:
    return [op.kind for op in g.ops()]


def run_float(g: Graph, x: np.ndarray) -> list[np.ndarray]:
    out = interpreter.run(g, x)
    return [out[name] for name in g.outputs]


def assert_same_float(before: Graph, after: Graph, x: np.ndarray, rel: float = 1e-5) -> None:
    """Outputs agree within `rel` of the largest output magnitude (float reassociation only)."""
    for a, b in zip(run_float(before, x), run_float(after, x)):
        assert a.shape == b.shape
        err, size = np.max(np.abs(a - b)), np.max(np.abs(a))
        assert err <= rel * max(size, 1e-6), (err, size)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.reshape(-1).astype(np.float64), b.reshape(-1).astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
