"""Memory planner: liveness, greedy offsets, aliasing, scratch, and the overlap check.

The planner only needs the schedule and tensor sizes, so these graphs use bare op kinds
without building real layers.
"""

from __future__ import annotations

import numpy as np
import pytest

from mnc.ir import Graph, Tensor
from mnc.memory import MemoryPlan, check_plan, compute_buffers, plan_memory
from mnc.memory.liveness import Buffer, summed_peak_bytes
from mnc.memory.planner import STRATEGIES

# MobileNetV1-0.25 at 96x96: activation shapes (H, W, C) along the chain, input first.
MOBILENET_V1_025_96 = [
    (96, 96, 3), (48, 48, 8), (48, 48, 8), (48, 48, 16), (24, 24, 16), (24, 24, 32), (24, 24, 32),
    (24, 24, 32), (12, 12, 32), (12, 12, 64), (12, 12, 64), (12, 12, 64), (6, 6, 64), (6, 6, 128),
    *[(6, 6, 128)] * 10, (3, 3, 128), (3, 3, 256), (3, 3, 256), (3, 3, 256), (1, 1, 256),
]


def act(g: Graph, name: str, shape) -> str:
    g.add_tensor(Tensor(name, shape, "int8"))
    return name


def const(g: Graph, name: str, shape) -> str:
    g.add_tensor(Tensor(name, shape, "int8", data=np.zeros(shape, np.int8)))
    return name


def chain(shapes) -> Graph:
    g = Graph("chain")
    prev = act(g, "t0", (1, *shapes[0]))
    g.inputs = [prev]
    for i, shape in enumerate(shapes[1:], start=1):
        w = const(g, f"w{i}", (4, 1, 1, 4))
        cur = act(g, f"t{i}", (1, *shape))
        g.add_op("layer", [prev, w], [cur], name=f"op{i}")
        prev = cur
    g.outputs = [prev]
    return g


def test_chain_reaches_the_floor_of_mobilenet_v1():
    plan = plan_memory(chain(MOBILENET_V1_025_96), {}, {})
    assert plan.peak_live_bytes == 48 * 48 * 8 + 48 * 48 * 16 == 55_296
    assert plan.arena_bytes == 55_296
    assert plan.strategy == "ping_pong"


def test_offsets_are_aligned_and_consecutive_layers_do_not_overlap():
    g = chain([(5, 5, 3), (3, 3, 7), (3, 3, 5), (2, 2, 9)])
    plan = plan_memory(g, {}, {})
    for i in range(1, 4):
        a, b = f"t{i - 1}", f"t{i}"
        lo_a, lo_b = plan.offsets[a], plan.offsets[b]
        assert lo_a % 16 == 0 and lo_b % 16 == 0
        size_a, size_b = g.tensor(a).nbytes, g.tensor(b).nbytes
        assert lo_a + size_a <= lo_b or lo_b + size_b <= lo_a


def test_constants_get_no_memory():
    plan = plan_memory(chain([(4, 4, 4), (4, 4, 4)]), {}, {})
    assert set(plan.offsets) == {"t0", "t1"}


def test_graph_input_stays_live_until_its_late_consumer():
    # t0 -> op1 -> t1 -> op2 -> t2;  add(t0, t2) -> t3: t0 must survive op1 and op2.
    g = Graph("residual")
    g.inputs = [act(g, "t0", (1, 8, 8, 4))]
    g.add_op("layer", ["t0"], [act(g, "t1", (1, 8, 8, 4))], name="op1")
    g.add_op("layer", ["t1"], [act(g, "t2", (1, 8, 8, 4))], name="op2")
    g.add_op("add", ["t0", "t2"], [act(g, "t3", (1, 8, 8, 4))], name="op3")
    g.outputs = ["t3"]
    plan = plan_memory(g, {}, {})
    bufs = {b.name: b for b in plan.buffers}
    assert (bufs["t0"].start, bufs["t0"].end) == (0, 2)
    assert plan.arena_bytes == 3 * 256   # t0 and both operands of op2 / op3 are live together
    assert len({plan.offsets[t] for t in ("t0", "t1", "t2")}) == 3


def test_graph_output_lives_to_the_end():
    # t1 is a graph output produced first; later ops must not overwrite it.
    g = Graph("two_outputs")
    g.inputs = [act(g, "t0", (1, 4, 4, 4))]
    g.add_op("layer", ["t0"], [act(g, "t1", (1, 4, 4, 4))], name="op1")
    g.add_op("layer", ["t0"], [act(g, "t2", (1, 4, 4, 4))], name="op2")
    g.add_op("layer", ["t2"], [act(g, "t3", (1, 4, 4, 4))], name="op3")
    g.outputs = ["t1", "t3"]
    plan = plan_memory(g, {}, {})
    bufs = {b.name: b for b in plan.buffers}
    assert bufs["t1"].end == 2
    assert plan.offsets["t1"] not in (plan.offsets["t2"], plan.offsets["t3"])


def test_alias_chain_shares_one_buffer_live_over_all_members():
    # t1 -reshape-> t2 -reshape-> t3 -> op4 -> t4: t1..t3 are one buffer live until op4.
    g = Graph("alias")
    g.inputs = [act(g, "t0", (1, 4, 4, 4))]
    g.add_op("layer", ["t0"], [act(g, "t1", (1, 4, 4, 4))], name="op1")
    g.add_op("reshape", ["t1"], [act(g, "t2", (1, 16, 4))], name="op2")
    g.add_op("reshape", ["t2"], [act(g, "t3", (1, 64))], name="op3")
    g.add_op("layer", ["t3"], [act(g, "t4", (1, 64))], name="op4")
    g.outputs = ["t4"]
    plan = plan_memory(g, {}, {"t2": "t1", "t3": "t2"})
    assert plan.offsets["t1"] == plan.offsets["t2"] == plan.offsets["t3"]
    (buf,) = [b for b in plan.buffers if "t3" in b.tensors]
    assert (buf.name, buf.start, buf.end, sorted(buf.tensors)) == ("t1", 0, 3, ["t1", "t2", "t3"])
    assert plan.offsets["t4"] != plan.offsets["t1"]
    assert plan.arena_bytes == 128


def test_alias_cycle_is_rejected():
    g = chain([(2, 2, 2), (2, 2, 2)])
    with pytest.raises(ValueError, match="alias cycle"):
        plan_memory(g, {}, {"t0": "t1", "t1": "t0"})


def test_scratch_is_live_only_during_its_op():
    # sizes: t0 64, t1 64, t2 16, t3 16; op1 needs 100 bytes of scratch, op3 needs 40.
    g = chain([(4, 4, 4), (4, 4, 4), (2, 2, 4), (2, 2, 4)])
    plan = plan_memory(g, {"op1": 100, "op3": 40}, {})
    s1, s3 = plan.scratch_offsets["op1"], plan.scratch_offsets["op3"]
    assert s1 % 16 == 0 and s3 % 16 == 0
    # op1's scratch sits beside t0 and t1 (all live at step 0); op3's can reuse that space.
    assert plan.arena_bytes == 100 + 64 + 64 + 12   # 100 rounded up to 112 before the next buffer
    live_at_op3 = [(plan.offsets["t2"], 16), (plan.offsets["t3"], 16)]
    assert all(s3 + 40 <= lo or lo + n <= s3 for lo, n in live_at_op3)


def test_scratch_for_unknown_op_is_rejected():
    with pytest.raises(ValueError, match="unknown ops"):
        plan_memory(chain([(2, 2, 2), (2, 2, 2)]), {"nope": 8}, {})


def test_zero_scratch_needs_no_buffer():
    plan = plan_memory(chain([(2, 2, 2), (2, 2, 2)]), {"op1": 0}, {})
    assert plan.scratch_offsets == {}


def test_check_plan_catches_overlapping_live_buffers():
    a, b = Buffer("a", 32, 0, 1, ["a"]), Buffer("b", 32, 1, 2, ["b"])
    bad = MemoryPlan({"a": 0, "b": 16}, 48, buffers=[a, b], buffer_offsets={"a": 0, "b": 16})
    with pytest.raises(RuntimeError, match="overlap"):
        check_plan(bad)
    disjoint_in_time = Buffer("c", 32, 2, 3, ["c"])
    ok = MemoryPlan({"a": 0, "c": 0}, 32, buffers=[a, disjoint_in_time], buffer_offsets={"a": 0, "c": 0})
    check_plan(ok)


def test_liveness_intervals_follow_the_schedule():
    bufs = {b.name: b for b in compute_buffers(chain([(2, 2, 2)] * 4))}
    assert [(bufs[f"t{i}"].start, bufs[f"t{i}"].end) for i in range(4)] == [(0, 0), (0, 1), (1, 2), (2, 2)]


def test_random_dags_never_overlap():
    rng = np.random.default_rng(0)
    for trial in range(20):
        g = Graph(f"dag{trial}")
        names = [act(g, "x", (1, int(rng.integers(1, 40))))]
        g.inputs = ["x"]
        for i in range(12):
            srcs = list(rng.choice(names, size=min(len(names), int(rng.integers(1, 3))), replace=False))
            names.append(act(g, f"t{i}", (1, int(rng.integers(1, 200)))))
            g.add_op("layer", srcs, [names[-1]], name=f"op{i}")
        g.outputs = [names[-1]]
        scratch = {f"op{i}": int(rng.integers(0, 64)) for i in range(0, 12, 3)}
        plan = plan_memory(g, scratch, {})
        assert plan.peak_live_bytes == summed_peak_bytes(plan.buffers) <= plan.arena_bytes   # nothing shares bytes
        for strategy in STRATEGIES.values():   # every heuristic must be valid, not only the winner
            placed = strategy(plan.buffers)
            arena = max(placed[b.name] + b.size for b in plan.buffers)
            check_plan(MemoryPlan({}, arena, buffers=plan.buffers, buffer_offsets=placed))


@pytest.mark.parametrize("size_a, overlapping", [(33, True), (32, False)])
def test_check_plan_catches_a_one_byte_overlap(size_a, overlapping):
    """Buffer a ends one byte inside b (both aligned), or exactly where b starts."""
    a, b = Buffer("a", size_a, 0, 1, ["a"]), Buffer("b", 32, 1, 2, ["b"])
    plan = MemoryPlan({"a": 0, "b": 32}, 64, buffers=[a, b], buffer_offsets={"a": 0, "b": 32})
    if overlapping:
        with pytest.raises(RuntimeError, match="overlap"):
            check_plan(plan)
    else:
        check_plan(plan)
