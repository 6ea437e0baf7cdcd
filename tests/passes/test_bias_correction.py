"""Empirical bias correction: the int8 accumulators' per-channel means follow the float model's."""

import numpy as np

from mnc import interpreter
from mnc.data import synthetic_inputs
from mnc.ops import get_op, verify_graph
from mnc.passes.bias_correction import _mean_shift
from mnc.passes.pipeline import optimize
from mnc.passes.quantize import quantize_graph
from tests.passes.builders import Builder
from tests.passes.test_quantize import X, small_mobilenet

ROUNDED_DOWN = 38.4 / 127   # beside a 1.0 tap (steps of 1/127): 38.4 steps round to 38, 0.4 step low


def one_conv(channels: int = 4):
    """A 1x1 conv whose int8 weights all round the same way: every output comes out low by
    0.4 / 127 per unit of (positive) input, a shift bias correction must cancel."""
    b = Builder(0)
    w = np.full((channels, 1, 1, 8), ROUNDED_DOWN, np.float32)
    w[:, 0, 0, 0] = 1.0
    return b, b.output(b.conv(b.input((1, 4, 4, 8)), channels, k=1, bias=False, w=b.const(w)))


def pre_activation_means(g_float, g_int8, op_name: str, samples) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel means of the op's float output and of its int8 output dequantized."""
    out = g_int8.op(op_name).outputs[0]
    in_q, out_q = g_int8.tensor(g_int8.inputs[0]).quant, g_int8.tensor(out).quant
    floats, ints = [], []
    for x in samples:
        floats.append(interpreter.run(g_float, x, keep_all=True)[out])
        ints.append(out_q.dequantize(interpreter.run(g_int8, in_q.quantize(x), "int8", keep_all=True)[out]))
    return (np.mean([f.reshape(-1, f.shape[-1]).mean(0) for f in floats], axis=0),
            np.mean([q.reshape(-1, q.shape[-1]).mean(0) for q in ints], axis=0))


def test_cancels_a_systematic_shift():
    b, g = one_conv()
    rng = np.random.default_rng(1)
    samples = rng.uniform(0.5, 1.0, (8, 1, 4, 4, 8)).astype(np.float32)
    op = g.ops()[0].name
    plain = quantize_graph(g, samples, "minmax")
    corrected = quantize_graph(g, samples, "minmax", bias_correction=True)
    f_mean, q_plain = pre_activation_means(g, plain, op, samples)
    _, q_corrected = pre_activation_means(g, corrected, op, samples)
    out_scale = plain.tensor(g.outputs[0]).quant.single()[0]
    assert np.all(f_mean - q_plain > 0.5 * out_scale)                  # the shift is there, several steps...
    assert np.all(np.abs(f_mean - q_corrected) < 0.25 * np.abs(f_mean - q_plain))   # ...and mostly gone
    assert corrected.meta["calibration"]["bias_correction"] is True


def test_changes_only_biases_of_weighted_ops():
    _, g = small_mobilenet()
    opt = optimize(g)
    samples = synthetic_inputs(X, 8, seed=0)
    plain = quantize_graph(opt, samples, "minmax")
    corrected = quantize_graph(opt, samples, "minmax", bias_correction=True)
    verify_graph(corrected)
    biases = {op.inputs[2] for op in corrected.ops() if get_op(op.kind).weight_channel_axis is not None}
    changed = set()
    for t in corrected.tensors():
        before = plain.tensor(t.name)
        assert t.dtype == before.dtype and np.array_equal(t.quant.scale, before.quant.scale)
        if t.is_const and not np.array_equal(t.data, before.data):
            changed.add(t.name)
    assert changed and changed <= biases


def test_noise_is_not_corrected():
    """A channel whose error averages out over the samples keeps its bias; a consistent one is
    corrected in full; one that only leans is corrected in part."""
    signs = np.where(np.arange(16) % 2 == 0, 1.0, -1.0)[:, None, None]
    per_channel = [signs + 0.01,                    # mean 0.01, spread 1: noise
                   2.0 + 0.01 * signs,              # mean 2, spread 0.01: a shift
                   0.3 + signs]                     # mean 0.3, standard error 0.26: partly trusted
    per_sample = np.stack([np.broadcast_to(c, (16, 5, 5)) for c in per_channel], axis=-1)
    got = _mean_shift(list(per_sample), [np.zeros((5, 5, 3))] * 16)
    assert got[0] == 0.0
    assert abs(got[1] - 2.0) < 1e-3
    assert 0.0 < got[2] < 0.3


def test_imported_int8_models_are_left_alone():
    _, g = small_mobilenet()
    q = quantize_graph(optimize(g), synthetic_inputs(X, 4, seed=0))
    again = quantize_graph(q, synthetic_inputs(X, 4, seed=0), bias_correction=True)
    for t in q.tensors():
        if t.is_const:
            assert np.array_equal(t.data, again.tensor(t.name).data)
