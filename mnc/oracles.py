"""The two TFLite oracles mnc is checked against: LiteRT with its reference kernels, and TFLite Micro.

Both take a .tflite model (a path or its bytes) and the input tensor exactly as the model's input
expects it (int8 for full-integer models), and return the first output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnc.errors import MncError

# TFLM needs one arena for every live tensor plus its own bookkeeping; the models mnc targets
# fit far below this, and on the host the memory is only reserved, never touched.
_TFLM_MIN_ARENA = 8 * 1024 * 1024


def run_litert(model: str | Path | bytes, x: np.ndarray, preserve_all: bool = False):
    """Run LiteRT's reference kernels (BUILTIN_REF: no XNNPACK, no optimized kernels).

    Returns the output array, or with `preserve_all` a dict of every tensor the interpreter holds
    after the run (intermediates included) keyed by TFLite tensor index.
    """
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    source = {"model_content": bytes(model)} if isinstance(model, (bytes, bytearray)) else \
        {"model_path": str(model)}
    interp = Interpreter(**source, experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                         experimental_preserve_all_tensors=preserve_all)
    interp.allocate_tensors()
    (inp,), outs = interp.get_input_details(), interp.get_output_details()
    interp.set_tensor(inp["index"], _checked_input(x, inp["shape"], inp["dtype"]))
    interp.invoke()
    if not preserve_all:
        return interp.get_tensor(outs[0]["index"]).copy()
    values = {d["index"]: _tensor_or_none(interp, d["index"]) for d in interp.get_tensor_details()}
    return {index: value for index, value in values.items() if value is not None}


def run_tflm(model: str | Path | bytes, x: np.ndarray, preserve_all: bool = False):
    """Run TFLite Micro's Python interpreter (TFLM's own reference kernels).

    Returns the output array, or with `preserve_all` a dict of every tensor keyed by TFLite index.
    """
    from tflite_micro import runtime

    data = bytes(model) if isinstance(model, (bytes, bytearray)) else Path(model).read_bytes()
    config = runtime.InterpreterConfig.kPreserveAllTensors if preserve_all else \
        runtime.InterpreterConfig.kAllocationRecording
    interp = runtime.Interpreter.from_bytes(data, arena_size=max(_TFLM_MIN_ARENA, 10 * len(data)),
                                            intrepreter_config=config)
    inp = interp.get_input_details(0)
    interp.set_input(_checked_input(x, inp["shape"], inp["dtype"]), 0)
    interp.invoke()
    if not preserve_all:
        return np.array(interp.get_output(0), copy=True)
    return {i: np.array(interp.GetTensor(i, 0)["tensor_data"], copy=True) for i in range(_tensor_count(data))}


def _checked_input(x: np.ndarray, shape, dtype) -> np.ndarray:
    x = np.asarray(x)
    if tuple(x.shape) != tuple(int(d) for d in shape) or x.dtype != np.dtype(dtype):
        raise MncError(f"oracle input is {x.dtype} {x.shape}, model expects {np.dtype(dtype)} {tuple(shape)}")
    return x


def _tensor_or_none(interp, index: int) -> np.ndarray | None:
    """A tensor's value, or None for tensors LiteRT does not hold (e.g. freed scratch)."""
    try:
        return interp.get_tensor(index).copy()
    except ValueError:
        return None


def _tensor_count(data: bytes) -> int:
    import tflite

    return tflite.Model.GetRootAs(data, 0).Subgraphs(0).TensorsLength()
