import numpy as np
import pytest
from PIL import Image

from mnc import interpreter
from mnc.errors import MncError
from mnc.data import CalibrationWarning, ImagePreprocess, load_calibration_data, synthetic_inputs
from mnc.passes.calibration import (collect_ranges, mse_range, percentile_range, quantization_mse,
                                    quantization_mse_batch, widen_residual_branches)
from mnc.quant import activation_qparams
from tests.conftest import SHARED_MODELS
from tests.passes.builders import Builder

X = (1, 6, 6, 3)


def _hist(values: np.ndarray, bins: int = 2048):
    hist, edges = np.histogram(values, bins=bins, range=(values.min(), values.max()))
    return hist, edges


# ---- range estimators ---------------------------------------------------------------------------
def test_minmax_ranges_are_the_observed_extremes():
    b = Builder(1)
    g = b.output(b.op("relu", [b.conv(b.input(X), 4, pad=(1, 1, 1, 1))]))
    samples = synthetic_inputs(X, 3, seed=0)
    ranges = collect_ranges(g, samples, "minmax")
    runs = [interpreter.run(g, x, keep_all=True) for x in samples]
    for name in ("x", *[op.outputs[0] for op in g.ops()]):
        values = np.concatenate([r[name].reshape(-1) for r in runs])
        assert ranges[name] == (float(values.min()), float(values.max()))
    assert set(ranges) == {"x", *[op.outputs[0] for op in g.ops()]}   # no constants


def test_percentile_clips_rare_outliers():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(0, 1, 100_000), [60.0, -40.0]])
    hist, edges = _hist(values)
    lo, hi = percentile_range(hist, edges, 99.9)
    width = edges[1] - edges[0]
    assert abs(hi - np.quantile(values, 0.999)) <= width
    assert abs(lo - np.quantile(values, 0.001)) <= width
    assert percentile_range(hist, edges, 100.0) == (edges[0], edges[-1])


def test_mse_clipping_shrinks_heavy_tails_and_nearly_matches_a_grid_search():
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.exponential(2.0, 100_000), -rng.exponential(0.3, 100_000)])
    hist, edges = _hist(values)
    lo, hi = mse_range(hist, edges)
    assert hi < 0.9 * values.max() and lo > 0.9 * values.min()   # both tails clipped
    err = quantization_mse(hist, edges, lo, hi)
    assert err < 0.9 * quantization_mse(hist, edges, edges[0], edges[-1])
    grid = [(edges[0] * a, edges[-1] * b) for a in np.linspace(0.05, 1, 40) for b in np.linspace(0.05, 1, 40)]
    assert err <= 1.05 * quantization_mse_batch(hist, edges, grid).min()


def test_a_lone_far_outlier_is_kept_by_mse():
    # squared error weighs a clipped far outlier heavily: the MSE range keeps it, percentile does not
    rng = np.random.default_rng(2)
    values = np.concatenate([rng.laplace(0, 1, 200_000), [80.0]])
    hist, edges = _hist(values)
    assert mse_range(hist, edges)[1] > 40.0
    assert percentile_range(hist, edges, 99.99)[1] < 15.0


def test_mse_keeps_the_full_range_of_uniform_data():
    values = np.random.default_rng(2).uniform(-1, 3, 100_000)
    hist, edges = _hist(values)
    lo, hi = mse_range(hist, edges)
    assert lo < -0.97 and hi > 2.9


def test_quantization_mse_matches_an_empirical_measurement():
    rng = np.random.default_rng(3)
    values = rng.normal(0.5, 1.0, 200_000)
    hist, edges = _hist(values)
    for lo, hi in [(-1.0, 2.0), (values.min(), values.max()), (-3.0, 3.0)]:
        q = activation_qparams(lo, hi)
        empirical = np.mean((q.dequantize(q.quantize(values.astype(np.float32))) - values) ** 2)
        assert quantization_mse(hist, edges, lo, hi) / values.size == pytest.approx(empirical, rel=0.1)


def test_methods_change_interior_ranges_but_not_the_input():
    b = Builder(4)
    g = b.output(b.conv(b.input(X), 4, pad=(1, 1, 1, 1)))
    samples = synthetic_inputs(X, 4, seed=5)
    minmax = collect_ranges(g, samples, "minmax")
    pct = collect_ranges(g, samples, "percentile", percentile=95.0)
    mse = collect_ranges(g, samples, "mse")
    out = g.outputs[0]
    assert pct["x"] == mse["x"] == minmax["x"]
    assert minmax[out][0] < pct[out][0] and pct[out][1] < minmax[out][1]
    assert minmax[out][0] <= mse[out][0] and mse[out][1] <= minmax[out][1]


def test_second_sweep_without_the_cache_gives_the_same_ranges(monkeypatch):
    from mnc.passes import calibration

    b = Builder(6)
    g = b.output(b.op("relu6", [b.conv(b.input(X), 4, pad=(1, 1, 1, 1))]))
    samples = synthetic_inputs(X, 3, seed=2)
    cached = collect_ranges(g, samples, "mse")
    monkeypatch.setattr(calibration, "CACHE_BYTES", 0)
    assert collect_ranges(g, samples, "mse") == cached


def test_bad_method_and_percentile_are_rejected():
    b = Builder(5)
    g = b.output(b.op("relu", [b.input(X)]))
    with pytest.raises(MncError, match="calibration method"):
        collect_ranges(g, synthetic_inputs(X, 1, 0), "kl")
    with pytest.raises(MncError, match="percentile"):
        collect_ranges(g, synthetic_inputs(X, 1, 0), "percentile", percentile=0.0)
    with pytest.raises(MncError, match="no calibration samples"):
        collect_ranges(g, np.zeros((0, *X), np.float32))


# ---- data -----------------------------------------------------------------------------------------
def test_projection_before_a_residual_add_takes_the_adds_wider_range():
    b = Builder(0)
    x = b.input((1, 4, 4, 8))
    projection = b.conv(x, 8, k=1)                       # linear, read only by the add
    added = b.op("add", [projection, x], {"act": "none"})
    bounded = b.conv(added, 8, k=1, act="relu6")         # has an activation: keeps its own range
    shared = b.conv(bounded, 8, k=1)                     # read by the add and by the output
    g = b.output(b.op("add", [shared, bounded], {"act": "none"}), shared)
    ranges = {projection: (-1.0, 2.0), added: (-3.0, 1.5), bounded: (0.0, 6.0), shared: (-2.0, 2.0)}
    ranges[g.outputs[0]] = (-9.0, 9.0)
    widened = widen_residual_branches(g, ranges)
    assert widened[projection] == (-3.0, 2.0)            # the union: never narrower than its own
    assert widened[bounded] == (0.0, 6.0) and widened[shared] == (-2.0, 2.0)
    assert ranges[projection] == (-1.0, 2.0)             # the input dict is left as it was


def test_synthetic_inputs_are_deterministic_smooth_and_in_range():
    a = synthetic_inputs((1, 32, 32, 3), 4, seed=7)
    assert a.shape == (4, 1, 32, 32, 3) and a.dtype == np.float32
    assert np.array_equal(a, synthetic_inputs((1, 32, 32, 3), 4, seed=7))
    assert not np.array_equal(a, synthetic_inputs((1, 32, 32, 3), 4, seed=8))
    assert a.min() >= -1.0 and a.max() <= 1.0
    step = np.abs(np.diff(a, axis=3)).mean()
    assert step < 0.25 * np.abs(a - a.mean()).mean()   # white noise: about 1.3


def test_no_source_warns_and_synthesizes():
    with pytest.warns(CalibrationWarning, match="synthetic"):
        data = load_calibration_data(None, X, seed=1, synthetic_samples=5)
    assert data.shape == (5, *X)


def test_npy_single_sample_stack_and_npz(tmp_path):
    rng = np.random.default_rng(0)
    one, stack = rng.normal(size=X[1:]).astype(np.float32), rng.normal(size=(3, *X[1:])).astype(np.float32)
    np.save(tmp_path / "a_one.npy", one)
    np.save(tmp_path / "b_stack.npy", stack)
    np.savez(tmp_path / "c.npz", second=stack[:1], first=one[None])
    assert np.array_equal(load_calibration_data(tmp_path / "a_one.npy", X)[0], one[None])
    data = load_calibration_data(tmp_path, X)
    assert data.shape == (6, *X)
    assert np.array_equal(data[1:4, 0], stack)
    assert np.array_equal(data[4, 0], one) and np.array_equal(data[5, 0], stack[0])   # npz keys sorted
    assert load_calibration_data(tmp_path, X, max_samples=2).shape == (2, *X)


def test_nchw_models_take_nchw_samples_and_refuse_same_sized_nhwc(tmp_path):
    """A PyTorch export's user calibrates with its own NCHW arrays; mnc transposes at the edge."""
    nhwc = np.random.default_rng(1).normal(size=(5, 6, 7, 3)).astype(np.float32)   # N, H, W, C
    np.save(tmp_path / "nchw.npy", nhwc.transpose(0, 3, 1, 2))
    data = load_calibration_data(tmp_path / "nchw.npy", (1, 6, 7, 3), layout="NCHW")
    assert np.array_equal(data[:, 0], nhwc)
    np.save(tmp_path / "nhwc.npy", nhwc)
    with pytest.raises(MncError, match=r"shape \(5, 6, 7, 3\); the model takes samples of \[3, 6, 7\] \(NCHW"):
        load_calibration_data(tmp_path / "nhwc.npy", (1, 6, 7, 3), layout="NCHW")
    square = np.zeros((2, 3, 3, 3), np.float32)   # C == H == W: nothing tells the layouts apart but the contract
    np.save(tmp_path / "square.npy", square)
    assert load_calibration_data(tmp_path / "square.npy", (1, 3, 3, 3), layout="NCHW").shape == (2, 1, 3, 3, 3)


def test_integer_arrays_are_pixels(tmp_path):
    pixels = np.full(X[1:], 255, np.uint8)
    pixels[0, 0, 0] = 0
    np.save(tmp_path / "p.npy", pixels)
    data = load_calibration_data(tmp_path / "p.npy", X, preprocess=ImagePreprocess((0.0, 1.0)))
    assert data[0, 0, 0, 0, 0] == 0.0 and data.max() == 1.0


def test_images_are_resized_and_grayscale_is_replicated(tmp_path):
    gray = np.tile(np.arange(0, 240, 20, dtype=np.uint8), (12, 1))   # 12x12 horizontal ramp
    Image.fromarray(gray, "L").save(tmp_path / "g.png")
    Image.fromarray(np.stack([gray] * 3, axis=-1), "RGB").save(tmp_path / "c.bmp")
    data = load_calibration_data(tmp_path, X)
    assert data.shape == (2, *X)
    assert np.array_equal(data[0, ..., 0], data[0, ..., 1]) and np.array_equal(data[0, ..., 0], data[0, ..., 2])
    assert np.allclose(data[0], data[1])
    row = data[0, 0, 0, :, 0]
    assert np.all(np.diff(row) > 0) and -1.0 <= row.min() and row.max() <= 1.0


def test_person_image_maps_pixels_to_minus_one_one():
    path = SHARED_MODELS / "person.bmp"
    data = load_calibration_data(path, (1, 96, 96, 3))
    raw = np.asarray(Image.open(path).convert("L"), np.float32)
    assert np.allclose(data[0, 0, ..., 1], -1.0 + 2.0 * raw / 255.0, atol=1e-6)
    one_channel = load_calibration_data(path, (1, 96, 96, 1), preprocess=ImagePreprocess((0.0, 255.0)))
    assert np.allclose(one_channel[0, 0, ..., 0], raw, atol=1e-4)


@pytest.mark.parametrize("setup, message", [
    (lambda d: d / "missing", "not found"),
    (lambda d: d, "holds no"),
    (lambda d: _write(d / "notes.txt", b"hi"), "is not .npy"),
    (lambda d: _write(d / "bad.png", b"not a png"), "cannot read calibration image"),
    (lambda d: _write(d / "bad.npy", b"garbage"), "cannot read calibration file"),
    (lambda d: _save(d / "shape.npy", np.zeros((2, 5, 5, 3), np.float32)), "has shape"),
])
def test_bad_calibration_sources_raise_one_line(tmp_path, setup, message):
    with pytest.raises(MncError, match=message) as err:
        load_calibration_data(setup(tmp_path), X)
    assert "\n" not in str(err.value)


def test_images_need_an_image_shaped_input(tmp_path):
    Image.fromarray(np.zeros((4, 4), np.uint8), "L").save(tmp_path / "g.png")
    with pytest.raises(MncError, match="images can only"):
        load_calibration_data(tmp_path, (1, 16))


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def _save(path, arr):
    np.save(path, arr)
    return path


def test_percentile_method_defaults_to_99_99_from_compile(monkeypatch):
    """The default percentile (99.99, as documented) reaches the histogram from the compile entry point."""
    import mnc.passes.calibration as calibration
    from mnc.compiler import optimize_and_quantize
    from mnc.options import CompileOptions
    from tests.passes.builders import Builder

    assert calibration.DEFAULT_PERCENTILE == 99.99
    seen = []
    original = calibration.percentile_range

    def spy(hist, edges, percentile):
        seen.append(percentile)
        return original(hist, edges, percentile)

    monkeypatch.setattr(calibration, "percentile_range", spy)
    b = Builder(7)
    g = b.output(b.op("relu", [b.conv(b.input((1, 6, 6, 3)), 4)]))
    optimize_and_quantize(g, CompileOptions(calibration_method="percentile"))
    assert seen and set(seen) == {99.99}
