"""The compiler driver: source -> graph -> passes + quantization -> kernel calls -> memory plan -> C package.

`compile_model` is the whole pipeline, one stage per line; each stage leaves a graph that passes
`verify_graph(graph)`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from mnc import __version__
from mnc.codegen.context import Layer, MemoryLayout, build_context, kernel_files, model_hash
from mnc.cmsis_nn import kernels as cmsis_nn_kernels
from mnc.cmsis_nn.sources import LICENSE as CMSIS_NN_LICENSE
from mnc.cmsis_nn.sources import locate as locate_cmsis_nn
from mnc.codegen.emit import CMSIS_GLUE_DIR, KERNELS_DIR, package_sources, write_package
from mnc.errors import FitError, MncError, UnsupportedError
from mnc.frontends.builtin import build_variant
from mnc.frontends.onnx import load_onnx
from mnc.frontends.tflite import load_tflite
from mnc.ir import Graph
from mnc.kernels.packing_v7m import V7M_FEATURE
from mnc.kernels.select import KernelFamily, lower_op
from mnc.layout import io_spec
from mnc.memory import plan_memory
from mnc.memory.choose import choose_schedule
from mnc.memory.program import build_program
from mnc.numerics import prove_graph
from mnc.options import CompileOptions
from mnc.ops import get_op, verify_graph
from mnc.passes.pipeline import run_pipeline
from mnc.runners.toolchain import package_sizes
from mnc.safetext import quoted
from mnc.targets import Target, load_target

MODEL_SUFFIXES = (".tflite", ".onnx")
# Limits of the generated C on every target, the host included: kernels index tensors with int32_t and
# model.c keeps per-layer offsets, sizes and MAC counts in uint32_t tables.
MAX_ARENA_BYTES = 2**31 - 1
MAX_LAYER_MACS = 2**32 - 1


@dataclass(frozen=True)
class CompileResult:
    graph: Graph                  # the quantized int8 graph the package computes
    layers: list[Layer]           # scheduled ops with their kernel calls (aliases included)
    plan: object                  # mnc.memory.MemoryPlan
    out_dir: Path
    manifest: dict
    target: Target
    sizes: object | None = None   # mnc.runners.toolchain.Sizes for ARM targets, else None

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def arena_bytes(self) -> int:
        return self.manifest["arena_bytes"]


def compile_model(source: Graph | str | Path, options: CompileOptions) -> CompileResult:
    """Compile a graph, a model file (a Path, or a str ending .tflite/.onnx), or a built-in variant name."""
    target = load_target(options.target)
    graph, name = load_source(source, options)
    cmsis = cmsis_nn_library(options)
    qgraph, layers = quantize_and_lower(graph, target, options)
    plan = plan_arena(qgraph, layers, options)
    check_c_limits(layers, plan.arena_bytes)
    if options.board is not None:   # the board's RAM and flash replace the core target's default budgets
        check_board_fit(layers, plan, target, options.board)
    elif options.enforce_budget:
        check_fits(layers, plan.arena_bytes, target)
    out_dir = options.default_out_dir(name)
    manifest = emit(out_dir, qgraph, layers, plan, target, *vendor_files(cmsis, layers, target))
    sizes = measure(out_dir, target) if target.kind != "host" and options.build_sizes else None
    return CompileResult(qgraph, layers, plan, out_dir, manifest, target, sizes)


def plan_model(source: Graph | str | Path, options: CompileOptions) -> tuple[Graph, list[Layer], object]:
    """The stages up to the memory plan, without writing anything (for `mnc info --memory`). A model
    compile_model refuses (numerics proof, the generated C's limits) is refused here with the same
    line; the target's and a board's budgets are not checked, the plan is what one compares with them."""
    qgraph, layers = lower_model(source, options)
    plan = plan_arena(qgraph, layers, options)
    check_c_limits(layers, plan.arena_bytes)
    return qgraph, layers, plan


def lower_model(source: Graph | str | Path, options: CompileOptions) -> tuple[Graph, list[Layer]]:
    """The int8 graph and its layers as compile_model makes them (for `mnc info`): the same target, kernel
    family and checks, so `--kernels cmsis-nn` without a CMSIS-NN tree is refused with compile's line."""
    target = load_target(options.target)
    graph, _name = load_source(source, options)
    cmsis_nn_library(options)
    return quantize_and_lower(graph, target, options)


# ---- stages -----------------------------------------------------------------------------------

def load_source(source: Graph | str | Path, options: CompileOptions) -> tuple[Graph, str]:
    """(float or int8 graph, model name used for the default output directory)."""
    if isinstance(source, Graph):
        return source, source.name
    if isinstance(source, Path) or Path(source).suffix.lower() in MODEL_SUFFIXES:
        if (options.classes, options.resolution, options.weights) != (None, None, None):
            # a model file has its own classes, resolution and weights: ignoring the options would
            # hand the user a package that is not what they asked for
            raise MncError("--classes, --resolution and --weights apply to built-in variants only")
        return load_model_file(Path(source)), Path(source).stem
    graph = build_variant(str(source), classes=options.classes, resolution=options.resolution,
                                  weights=options.weights, seed=options.seed)
    return graph, str(source)


def load_model_file(path: Path) -> Graph:
    if not path.is_file():
        raise MncError(f"model file {path} not found")
    suffix = path.suffix.lower()
    if suffix == ".tflite":
        return load_tflite(path)
    if suffix == ".onnx":
        return load_onnx(path)
    raise UnsupportedError(f"unknown model format {path.suffix!r} (expected .tflite or .onnx)")


def optimize_and_quantize(graph: Graph, options: CompileOptions) -> Graph:
    """Float passes then post-training quantization (skipped by the pipeline for int8 models)."""
    return run_pipeline(graph, calibration=options.calibration, method=options.calibration_method,
                        seed=options.seed, bias_correction=options.bias_correction)


def quantize_and_lower(graph: Graph, target: Target, options: CompileOptions) -> tuple[Graph, list[Layer]]:
    """The int8 graph and its layers, each with the kernel chosen for `target`."""
    qgraph = checked(optimize_and_quantize(checked(graph), options))
    prove_graph(qgraph)   # before lowering: no layer whose int32 arithmetic can overflow gets C
    return qgraph, lower_within_flash(qgraph, target, options)


def lower_within_flash(graph: Graph, target: Target, options: CompileOptions) -> list[Layer]:
    """The layers for `target`; if the v7m kernels' constants (two channels' weights per int32 word:
    twice the int8 weights of a convolution) would exceed the flash budget the portable ones fit in,
    the layers without them, so the plain-C speed-up never costs a model its fit."""
    kernels, family = kernel_target(target, options), kernel_family(target, options)
    layers = lower(graph, kernels, family)
    budget = flash_budget(target, options)
    if kernels.has(V7M_FEATURE) and budget and constant_bytes(layers) > budget:
        return lower(graph, replace(kernels, features=kernels.features - {V7M_FEATURE}), family)
    return layers


def flash_budget(target: Target, options: CompileOptions) -> int:
    """Flash bytes the constants must fit in: the board's, or the target file's (0: no budget)."""
    if options.board is not None:
        from mnc.boards import load_board

        return load_board(options.board).flash_bytes
    return target.flash_bytes if options.enforce_budget else 0


def constant_bytes(layers: list[Layer]) -> int:
    return sum(a.data.nbytes for layer in layers for a in layer.call.arrays)


def kernel_target(target: Target, options: CompileOptions) -> Target:
    """The target kernels are chosen for: with `portable_kernels`, one without features, so the same
    CPU can be measured with the portable C kernels."""
    if options.portable_kernels:
        return replace(target, features=frozenset())
    return target


def kernel_family(target: Target, options: CompileOptions) -> KernelFamily | None:
    """With `kernels="cmsis-nn"`, CMSIS-NN's descriptors for the code path the core compiles (tried
    before mnc's own kernels); None for mnc's kernels only."""
    return cmsis_nn_kernels.family(target) if options.kernels == "cmsis-nn" else None


def lower(graph: Graph, target: Target, family: KernelFamily | None = None) -> list[Layer]:
    """Each scheduled op's kernel call on `target` (the first of its candidate kernels that applies,
    a `family`'s first), with its MAC count and why better kernels were skipped."""
    layers = []
    for op in graph.ops():
        lowering = lower_op(op, graph, target, family)
        layers.append(Layer(op, lowering.call, int(get_op(op.kind).macs(op, graph)), lowering.skipped))
    return layers


def cmsis_nn_library(options: CompileOptions):
    """The CMSIS-NN tree to compile against, or None for mnc's own kernels."""
    if options.kernels != "cmsis-nn":
        return None
    return locate_cmsis_nn(options.cmsis_nn)


def vendor_files(cmsis, layers: list[Layer], target: Target) -> tuple[tuple[str, ...], tuple[Path, ...]]:
    """(extra package files, folders they are copied from): the CMSIS-NN sources and headers the calls
    need on this core, and the glue; nothing for mnc's own kernels."""
    if cmsis is None:
        return (), ()
    functions = cmsis_nn_kernels.arm_functions([layer.call for layer in layers])
    sources = cmsis.needed_sources(functions, target.cc, target.cflags) if functions else []
    files = (*sources, *(cmsis.headers() if functions else ()), *((CMSIS_NN_LICENSE,) if functions else ()))
    return files, (CMSIS_GLUE_DIR, *cmsis.file_dirs())


def plan_arena(graph: Graph, layers: list[Layer], options: CompileOptions | None = None):
    """The arena plan: plain, or (schedule "auto" / a RAM budget) with row-streamed segments chosen
    by mnc.memory.choose. A budget below the smallest reachable arena is a FitError."""
    scratch = {layer.op.name: layer.call.scratch_bytes for layer in layers if layer.call.scratch_bytes > 0}
    aliases = {layer.call.outputs[0]: layer.call.inputs[0] for layer in layers if layer.call.is_alias}
    options = options or CompileOptions()
    budget = options.ram_budget if options.ram_budget is not None else board_arena_budget(options.board)
    if options.schedule == "plain" and budget is None:
        return plan_memory(graph, scratch, aliases)
    choice = choose_schedule(graph, [layer.call.kernel for layer in layers], [layer.call.inputs for layer in layers],
                             sum(layer.macs for layer in layers),
                             lambda segments, verify: plan_memory(graph, scratch, aliases, segments, verify),
                             budget=budget)
    if options.ram_budget is not None and choice.plan.arena_bytes > options.ram_budget:
        layer = layers[choice.peak_layer].op.name
        raise FitError(f"--ram-budget {options.ram_budget} is below the smallest arena mnc reaches: "
                       f"{choice.plan.arena_bytes} bytes, set at layer {layer!r}")
    return choice.plan


def board_arena_budget(board_name: str | None) -> int | None:
    """The arena a board leaves after the stack and firmware allowances (None without a board): a
    model whose plain plan does not fit streams rows until it does (the board fit check reports the
    rest)."""
    if board_name is None:
        return None
    from mnc.boards import FIRMWARE_RAM_BYTES, STACK_BYTES, load_board

    return max(1, load_board(board_name).ram_bytes - STACK_BYTES - FIRMWARE_RAM_BYTES)


def check_c_limits(layers: list[Layer], arena_bytes: int) -> None:
    """Reject what the generated C itself cannot represent, whatever the target or board."""
    for layer in layers:
        if layer.macs > MAX_LAYER_MACS:
            raise FitError(f"layer {quoted(layer.op.name)}: {layer.macs:,} MACs exceed the generated C's 32-bit "
                           f"per-layer counter (at most {MAX_LAYER_MACS:,})")
    if arena_bytes > MAX_ARENA_BYTES:
        raise FitError(f"arena of {arena_bytes:,} bytes exceeds the {MAX_ARENA_BYTES:,} bytes the generated C can "
                       f"address with int32 indices")


def check_fits(layers: list[Layer], arena_bytes: int, target: Target) -> None:
    """Reject, before writing anything, a model whose arena or constants exceed the target's budget."""
    const_bytes = constant_bytes(layers)
    if target.ram_bytes and arena_bytes > target.ram_bytes:
        raise FitError(f"arena of {arena_bytes} bytes exceeds {target.name}'s {target.ram_bytes} bytes of RAM")
    if target.flash_bytes and const_bytes > target.flash_bytes:
        raise FitError(f"{const_bytes} bytes of weights exceed {target.name}'s {target.flash_bytes} bytes of flash")


def check_board_fit(layers: list[Layer], plan, target: Target, board_name: str) -> None:
    """Refuse, before writing anything, a model that does not fit the board's RAM or flash."""
    from mnc.boards import load_board, require_fit

    board = load_board(board_name)
    if board.core_target != target.name:
        raise MncError(f"board {board.name} runs {board.core_target} code, not {target.name}")
    require_fit(board, layers, plan)


def emit(out_dir: Path, graph: Graph, layers: list[Layer], plan, target: Target,
         extra_files: tuple[str, ...] = (), extra_dirs: tuple[Path, ...] = (),
         kernel_dirs: tuple[Path, ...] = (KERNELS_DIR,)) -> dict:
    """Render and write the package; returns its manifest."""
    calls = [layer for layer in layers if not layer.call.is_alias]
    # streamed tensors are addressed at their windows (only band calls use them, with row offsets)
    layout = MemoryLayout({**plan.offsets, **getattr(plan, "window_offsets", {})}, plan.scratch_offsets,
                          plan.arena_bytes)
    ctx = build_context(graph, calls, layout, target.name, _program(graph, layers, plan))
    files = tuple(sorted({*kernel_files(calls), *extra_files}))
    kernel_dirs = (*kernel_dirs, *extra_dirs)
    manifest = build_manifest(graph, calls, ctx.model_hash, plan.arena_bytes, target, package_sources(files))
    write_package(out_dir, ctx, files, manifest, kernel_dirs)
    return manifest


def _program(graph: Graph, layers: list[Layer], plan):
    """The banded call order when the plan streams segments, else None (one call per layer)."""
    if not getattr(plan, "segments", None):
        return None
    index, k = {}, 0
    for pos, layer in enumerate(layers):
        if not layer.call.is_alias:
            index[pos], k = k, k + 1
    return build_program(graph, [layer for layer in layers if not layer.call.is_alias], index, plan)


def build_manifest(graph: Graph, calls: list[Layer], hash_: str, arena_bytes: int, target: Target,
                   sources: list[str]) -> dict:
    return {
        "mnc_version": __version__,
        "model_hash": hash_,
        "target": target.name,
        "input": _io_entry(graph, graph.inputs[0]),
        "output": _io_entry(graph, graph.outputs[0]),
        "arena_bytes": int(arena_bytes),
        "calibration": graph.meta.get("calibration"),   # None: the model arrived int8
        "layers": [{"name": layer.op.name, "kind": layer.op.kind, "macs": layer.macs,
                    "source": str(layer.op.meta.get("source", layer.op.name)),
                    "kernel": layer.call.kernel, "skipped": layer.skipped} for layer in calls],
        "sources": sources,
    }


def measure(out_dir: Path, target: Target):
    return package_sizes(out_dir, target)


# ---- helpers ----------------------------------------------------------------------------------

def checked(graph: Graph) -> Graph:
    verify_graph(graph)
    return graph


def _io_entry(graph: Graph, name: str) -> dict:
    """C shape (NHWC), the source model's layout and shape of it (mnc.layout), quantization."""
    t = graph.tensor(name)
    scale, zero_point = t.quant.single()
    return {**io_spec(t), "scale": scale, "zero_point": zero_point}



__all__ = ["CompileOptions", "CompileResult", "compile_model", "model_hash"]
