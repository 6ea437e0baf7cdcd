"""What mnc supports, generated from the op and kernel descriptors: for every op kind, the TFLite and
ONNX operators imported as it, its lowering constraints and the C kernels per target. The source of
`mnc ops` and of the op table in docs/IR.md (tests fail when that table is stale)."""

from __future__ import annotations

from pathlib import Path

from mnc.kernels.registry import get_kernel
from mnc.ops import get_op, kinds
from mnc.ops.base import OpDef
from mnc.targets import available, load_target

BEGIN = "<!-- BEGIN op table: generated from mnc/ops and mnc/kernels by scripts/update_ir_doc.py; do not edit -->"
END = "<!-- END op table -->"
COLUMNS = ("kind", "module", "TFLite", "ONNX", "inputs", "attrs", "C kernels (preference order)",
           "lowering constraints", "notes")


def op_support() -> list[dict]:
    """Every op kind defined in mnc/ops (kinds registered from elsewhere, e.g. by tests, are not mnc's)."""
    return [describe(get_op(kind)) for kind in kinds() if type(get_op(kind)).__module__.startswith("mnc.ops.")]


def describe(opdef: OpDef) -> dict:
    return {
        "kind": opdef.kind,
        "module": type(opdef).__module__.rsplit(".", 1)[-1],
        "tflite": list(opdef.tflite_ops),
        "onnx": list(opdef.onnx_ops),
        "inputs": opdef.inputs_doc,
        "attrs": opdef.attrs_doc,
        "constraints": [c.rule for c in opdef.constraints] or ([opdef.no_kernel_reason] if not opdef.kernels else []),
        "output_quantization": output_quantization(opdef),
        "fused_activation": opdef.accepts_fused_activation,
        "kernels": [_kernel_entry(name) for name in opdef.kernels],
        "kernels_per_target": {t: kernels_on(opdef, t) for t in available()},
        "notes": opdef.notes,
    }


def output_quantization(opdef: OpDef) -> str:
    rule = opdef.output_quant
    if rule.rule == "fixed":
        return f"fixed: scale {rule.scale:g}, zero point {rule.zero_point}"
    return "same as input" if rule.rule == "input" else "own"


def kernels_on(opdef: OpDef, target_name: str) -> list[str]:
    """The op's kernels a target can run, in preference order (shape conditions aside)."""
    target = load_target(target_name)
    return [k for k in opdef.kernels if _feature(k) is None or target.has(_feature(k))]


def _feature(kernel: str) -> str | None:
    return get_kernel(kernel).feature


def _kernel_entry(name: str) -> dict:
    return {"name": name, "needs": _feature(name)}


# ---- docs/IR.md ---------------------------------------------------------------------------------

def markdown_table(support: list[dict]) -> str:
    rows = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    rows += ["| " + " | ".join(_cells(op)) + " |" for op in support]
    return "\n".join(rows)


def _cells(op: dict) -> list[str]:
    kernels = ", ".join(f"{k['name']} ({k['needs']})" if k["needs"] else k["name"] for k in op["kernels"])
    return [op["kind"], op["module"], ", ".join(op["tflite"]), ", ".join(op["onnx"]), op["inputs"],
            op["attrs"], kernels or "none", "; ".join(op["constraints"]), op["notes"]]


def updated_ir_doc(text: str) -> str:
    """`text` (docs/IR.md) with the generated op table replaced by the current one."""
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{markdown_table(op_support())}\n{END}{tail}"


def ir_doc_path() -> Path:
    return Path(__file__).resolve().parent.parent / "docs" / "IR.md"
