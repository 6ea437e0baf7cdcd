"""Compile the fine-tuned int8 model with mnc and measure its accuracy on the held-out digits
(run in mnc's venv):

    python examples/transfer_learning/evaluate.py                  # host C and Cortex-M4 (QEMU), every image
    python examples/transfer_learning/evaluate.py --core-images 20 # QEMU on the first 20 only

Every image goes through the generated C on the host (gcc, portable kernels) and on the emulated
Cortex-M4 (its DSP kernels); both must give the same int8 outputs, and those must equal LiteRT's
reference kernels (BUILTIN_REF) byte for byte. Writes results_mnc.json beside this file (or --out).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from data import upscale  # noqa: E402  (the example's own module, beside this file)

MODEL = HERE / "model_int8.tflite"
HELD_OUT = HERE / "heldout.npz"
CORE = "cortex-m4"


def load_held_out(path: Path = HELD_OUT) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path) as data:
        return upscale(data["images"]), data["labels"].astype(np.int64)


def quantize(x: np.ndarray, manifest: dict) -> np.ndarray:
    scale, zero_point = manifest["input"]["scale"], manifest["input"]["zero_point"]
    return np.clip(np.round(x / scale) + zero_point, -128, 127).astype(np.int8)


def litert_reference(model: Path):
    """LiteRT's reference kernels: the oracle mnc's C is bit-exact with."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(model_path=str(model),
                              experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]

    def run(xq: np.ndarray) -> np.ndarray:
        interpreter.set_tensor(inp["index"], xq)
        interpreter.invoke()
        return interpreter.get_tensor(out["index"]).copy()

    return run


def evaluate(out_dir: Path, core_images: int | None, core: str = CORE) -> dict:
    from mnc.compiler import compile_model
    from mnc.options import CompileOptions
    from mnc.runners import cortexm, host

    # The host build has the portable C kernels; the core build the Cortex-M4's DSP kernels.
    on_host = compile_model(MODEL, CompileOptions(target="host", out_dir=out_dir / "host"))
    result = compile_model(MODEL, CompileOptions(target=core, out_dir=out_dir / core))
    images, labels = load_held_out()
    reference = litert_reference(MODEL)
    host_pred, core_pred, mismatches, instructions = [], [], 0, None
    for i, x in enumerate(images):
        xq = quantize(x[None], result.manifest).reshape(result.manifest["input"]["shape"])
        got = host.run(on_host.out_dir, xq)
        mismatches += int(not np.array_equal(got, reference(xq)))
        host_pred.append(int(np.argmax(got)))
        if core_images is None or i < core_images:
            run = cortexm.run(result.out_dir, core, xq)
            mismatches += int(not np.array_equal(run.output, got))
            core_pred.append(int(np.argmax(run.output)))
            instructions = run.instructions
    n_core = len(core_pred)
    return {
        "held_out_images": int(len(labels)),
        "mnc_host_c_accuracy": float(np.mean(np.array(host_pred) == labels)),
        "mnc_core_images": n_core,
        "mnc_core_accuracy": float(np.mean(np.array(core_pred) == labels[:n_core])),
        "core": core,
        "outputs_differing_from_litert_or_host": mismatches,
        "instructions_per_inference": instructions,
        "arena_bytes": result.arena_bytes,
        "flash_bytes": result.sizes.flash,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--core-images", type=int, help="run only the first N held-out images under QEMU")
    parser.add_argument("--out", type=Path, default=HERE / "results_mnc.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mnc-transfer-") as tmp:
        results = evaluate(Path(tmp), args.core_images)
    tf_results = json.loads((HERE / "results_tf.json").read_text())
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"held-out target-task images: {results['held_out_images']}")
    print(f"Keras float:              {tf_results['keras_float_accuracy']:.4f}")
    print(f"TensorFlow Lite int8:     {tf_results['tflite_int8_accuracy']:.4f}")
    print(f"mnc C, host:              {results['mnc_host_c_accuracy']:.4f}")
    print(f"mnc C, {CORE} (QEMU): {results['mnc_core_accuracy']:.4f} on {results['mnc_core_images']} images")
    print(f"outputs differing from LiteRT BUILTIN_REF or between host and core: "
          f"{results['outputs_differing_from_litert_or_host']}")


if __name__ == "__main__":
    main()
