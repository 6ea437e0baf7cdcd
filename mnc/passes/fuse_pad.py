"""Fuse an explicit zero `pad` into the `pad` attr of the windowed ops that read it.

conv2d / depthwise_conv2d: always legal. Their padding contributes real zero, and an int8 pad
writes the zero point, which the int8 kernels also treat as zero (x + input_offset = 0), so the
fused op is bit-exact provided the pad does not requantize.
max_pool2d: a pooling window ignores out-of-bounds positions, while a padded zero competes in the
max. Equal only when the input is known to be >= 0 (after relu/relu6) and every window keeps at
least one real element (each side's pad smaller than the kernel).
avg_pool2d: never: TFLite divides by the count of in-bounds elements, so padded zeros change it.
"""

from __future__ import annotations

from mnc.ir import Graph, Op
from mnc.ops import get_op
from mnc.passes.rewrite import mark_fused, same_quant


def fuse_pad(graph: Graph) -> Graph:
    g = graph.copy()
    for pad in [op for op in g.ops() if op.kind == "pad"]:
        spatial = spatial_pads(g, pad)
        out = pad.outputs[0]
        consumers = g.consumers(out)
        if spatial is None or out in g.outputs or not consumers:
            continue
        if not same_quant(g, pad.inputs[0], out):
            continue
        if all(_can_absorb(g, pad, op, spatial) for op in consumers):
            _absorb(g, pad, consumers, spatial)
    return g


def spatial_pads(g: Graph, pad: Op) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) when `pad` pads only H and W of an NHWC tensor, else None."""
    pads = [tuple(int(v) for v in p) for p in pad.attrs.get("pads", ())]
    if len(g.tensor(pad.inputs[0]).shape) != 4 or len(pads) != 4:
        return None
    if pads[0] != (0, 0) or pads[3] != (0, 0) or min(min(p) for p in pads) < 0:
        return None
    return (pads[1][0], pads[1][1], pads[2][0], pads[2][1])


def _can_absorb(g: Graph, pad: Op, op: Op, spatial: tuple[int, int, int, int]) -> bool:
    if op.inputs[0] != pad.outputs[0] or pad.outputs[0] in op.inputs[1:]:
        return False
    rule = get_op(op.kind).absorbs_zero_pad   # "always", "non_negative_input" or "never"
    if rule == "always":
        return True
    if rule == "non_negative_input":   # a pooling window: its pads must stay smaller than the window
        kh, kw = op.attrs["kernel"]
        top, bottom, left, right = _combined(op, spatial)
        return max(top, bottom) < kh and max(left, right) < kw and non_negative(g, pad.inputs[0])
    return False


def _combined(op: Op, spatial: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    own = op.attrs.get("pad", (0, 0, 0, 0))
    return tuple(int(a) + int(b) for a, b in zip(own, spatial))


def non_negative(g: Graph, tensor: str) -> bool:
    """True when `tensor` is provably >= 0: a relu/relu6 result (standalone or fused: every `act`
    other than "none" clamps at 0), possibly through sign-preserving ops (pooling, pad, reshape)."""
    op = g.producer(tensor)
    if op is None:
        return False
    opdef = get_op(op.kind)
    if opdef.fuses_as_activation or op.attrs.get("act", "none") != "none":
        return True
    return opdef.preserves_sign and non_negative(g, op.inputs[0])


def _absorb(g: Graph, pad: Op, consumers: list[Op], spatial: tuple[int, int, int, int]) -> None:
    x, out = pad.inputs[0], pad.outputs[0]
    for op in consumers:
        op.attrs["pad"] = _combined(op, spatial)
        g.set_input(op, 0, x)
        mark_fused(op, "pad")
    g.remove_op(pad)
    g.remove_tensor(out)
