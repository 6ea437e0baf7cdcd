"""Weights of built-in variants: data-dependent calibration of seeded weights, and .npz load/save.

Seeded weights alone do not give sane activations: the statistics of each conv's output depend
on everything before it. So, like a trained network whose batch-norm running statistics are the
true statistics of its conv outputs, `calibrate` runs seeded probe images through the float graph
op by op and sets every batch norm's mean/var from the activations that reach it. Convs with no
batch norm behind them (SE, head, classifier; all 1x1 or fully connected) are rescaled to a
target output mean/std.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from mnc.errors import MncError
from mnc.ir import Graph
from mnc.ops import get_op
from mnc.data import synthetic_inputs

# Probe pixels, as 8 images at 96x96: late layers are 3x3 there, so statistics need several
# images; larger inputs give more positions per image (and cost more per image).
PROBE_PIXELS = 8 * 96 * 96
MIN_PROBE_IMAGES, MAX_PROBE_IMAGES = 2, 8
PROBE_SEED_OFFSET = 7919   # keeps probe images apart from calibration/test seeds 0, 1, 2, ...
VAR_FLOOR = 1e-3        # keeps var > 0 even for a channel that ReLU switched off entirely


class WeightsError(MncError):
    """A weights file that does not match the variant's constant tensors."""


def probe_images(resolution: int, seed: int) -> list[np.ndarray]:
    """Deterministic image-like inputs in [-1, 1] from the calibration's own generator, on a seed
    stream of their own: batch-norm statistics then describe the distribution that PTQ
    calibrates on and the tests feed, not a second notion of "an image"."""
    count = int(np.clip(round(PROBE_PIXELS / resolution**2), MIN_PROBE_IMAGES, MAX_PROBE_IMAGES))
    images = synthetic_inputs((1, resolution, resolution, 3), count, PROBE_SEED_OFFSET + seed)
    return list(images)


def calibrate(graph: Graph, probes: list[np.ndarray], targets: dict[str, tuple[float, float]]) -> None:
    """Set batch-norm statistics and rescale `targets` ops so probe activations match, in place."""
    values = [{graph.inputs[0]: p} for p in probes]
    uses = {t.name: len(graph.consumers(t.name)) for t in graph.tensors() if not t.is_const}
    for op in graph.ops():
        if op.kind == "batch_norm":
            _set_bn_statistics(graph, op, [v[op.inputs[0]] for v in values])
        outputs = _eval_all(graph, op, values)
        if op.name in targets:
            _rescale_to_target(graph, op, [v[op.inputs[0]] for v in values], outputs, *targets[op.name])
            outputs = _eval_all(graph, op, values)
        for v, out in zip(values, outputs):
            v[op.outputs[0]] = out
        _release_dead(op, uses, values)


def _release_dead(op, uses: dict[str, int], values: list[dict]) -> None:
    """Drop activations no later op reads: at 512x512 keeping them all would take gigabytes."""
    for name in set(op.inputs) & uses.keys():
        uses[name] -= 1
        if uses[name] == 0:
            for v in values:
                v.pop(name, None)


def _eval_all(graph: Graph, op, values: list[dict]) -> list[np.ndarray]:
    opdef = get_op(op.kind)
    results = []
    for v in values:
        args = [v[n] if n in v else graph.tensor(n).data for n in op.inputs]
        results.append(opdef.eval_float(op, graph, args)[0])
    return results


def _set_bn_statistics(graph: Graph, op, inputs: list[np.ndarray]) -> None:
    rows = [a.reshape(-1, a.shape[-1]) for a in inputs]
    count = sum(r.shape[0] for r in rows)
    mean = sum(r.sum(axis=0, dtype=np.float64) for r in rows) / count
    var = sum(np.square(r - mean.astype(np.float32)).sum(axis=0, dtype=np.float64) for r in rows) / count
    _, _, _, mean_name, var_name = op.inputs
    graph.tensor(mean_name).data = mean.astype(np.float32)
    graph.tensor(var_name).data = (var + VAR_FLOOR).astype(np.float32)


def _rescale_to_target(graph: Graph, op, inputs: list[np.ndarray], outputs: list[np.ndarray],
                       mean: float, std: float) -> None:
    """Scale weights and shift bias so the output has the target mean and std.

    The std is the expected one over the random weights, sigma_w * rms(|input vector|): these
    ops have few outputs (SE vectors, two logits), whose empirical std is too noisy to use.
    """
    w, b = graph.tensor(op.inputs[1]), graph.tensor(op.inputs[2])
    fan_in = w.size // w.shape[0]
    x = np.concatenate([a.reshape(-1, fan_in) for a in inputs]).astype(np.float64)
    expected_std = float(w.data.std()) * float(np.sqrt((x * x).sum(axis=1).mean()))
    scale = std / max(expected_std, 1e-6)
    y_mean = float(np.mean([o.mean(dtype=np.float64) for o in outputs]))
    w.data = (w.data * scale).astype(np.float32)
    b.data = (b.data * scale + (mean - y_mean * scale)).astype(np.float32)


def constant_tensors(graph: Graph) -> dict[str, np.ndarray]:
    return {t.name: t.data for t in graph.tensors() if t.is_const}


def save_weights(graph: Graph, path: Path) -> None:
    """Write every constant tensor to an .npz keyed by tensor name (loadable by `load_weights`)."""
    np.savez(Path(path), **constant_tensors(graph))


def load_weights(graph: Graph, path: Path) -> None:
    """Replace the graph's constants with those in `path`; keys and shapes must match exactly."""
    arrays = _read_npz(Path(path))
    expected = {t.name: t for t in graph.tensors() if t.is_const}
    _check_keys(path, set(expected), set(arrays))
    for name, t in expected.items():
        data = arrays[name]
        if tuple(data.shape) != t.shape:
            raise WeightsError(f"weights file {path}: {name!r} has shape {tuple(data.shape)}, expected {t.shape}")
        if not np.issubdtype(data.dtype, np.floating) or not np.all(np.isfinite(data)):
            raise WeightsError(f"weights file {path}: {name!r} must hold finite floating-point values")
        t.data = data.astype(np.float32)


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise WeightsError(f"weights file {path} not found")
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("not an .npz archive")
        with loaded as npz:
            return {key: npz[key] for key in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise WeightsError(f"weights file {path} is not a readable .npz archive ({exc})") from None


def _check_keys(path: Path, expected: set[str], found: set[str]) -> None:
    missing, unexpected = sorted(expected - found), sorted(found - expected)
    if missing:
        raise WeightsError(f"weights file {path}: {len(missing)} tensor(s) missing, e.g. {missing[0]!r}")
    if unexpected:
        raise WeightsError(f"weights file {path}: {len(unexpected)} unknown tensor(s), e.g. {unexpected[0]!r}")
