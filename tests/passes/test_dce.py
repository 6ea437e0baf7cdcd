from mnc.ops import verify_graph
from mnc.passes.dce import dce, live_ops
from tests.passes.builders import Builder, assert_same_float, kinds

X = (1, 5, 5, 2)


def test_dead_branch_and_its_constants_go():
    b = Builder(1)
    x = b.input(X)
    live = b.conv(x, 3)
    dead = b.conv(b.op("relu", [x]), 4, name="dead")
    b.op("relu6", [dead])
    g = b.output(b.op("relu", [live]))
    cleaned = dce(g)
    verify_graph(cleaned)
    assert kinds(cleaned) == ["conv2d", "relu"]
    assert not any(name.startswith("dead") for name in (t.name for t in cleaned.tensors()))
    assert len(cleaned.tensors()) == 5   # x, w, b, conv output, relu output
    assert_same_float(g, cleaned, b.sample(X))


def test_everything_live_is_kept():
    b = Builder(2)
    x = b.input(X)
    c = b.conv(x, 3, pad=(1, 1, 1, 1))
    g = b.output(c, b.conv(c, 2))
    assert len(live_ops(g)) == 2
    cleaned = dce(g)
    assert kinds(cleaned) == kinds(g) and len(cleaned.tensors()) == len(g.tensors())


def test_unused_graph_input_is_kept():
    b = Builder(3)
    x = b.input(X)
    b.input(X, name="unused")
    g = b.output(b.conv(x, 2))
    cleaned = dce(g)
    assert cleaned.inputs == ["x", "unused"] and cleaned.has_tensor("unused")
