"""mnc.summary: per-layer MACs and BN-folded parameter counts, and the rich table."""

from __future__ import annotations

import numpy as np
from rich.console import Console

from mnc.frontends.builtin.builder import GraphBuilder
from mnc.summary import print_summary, summarize, summary_table


def _tiny_graph():
    b = GraphBuilder("tiny", "test", np.random.default_rng(0))
    x = b.input("input", (1, 8, 8, 3))
    x = b.conv_bn_act(x, "conv", 4, kernel=3, act="relu6")       # 8*8*4*27 MACs, 108 + 4 params
    x = b.mean_hw(x, "pool", keepdims=False)
    x = b.fully_connected(x, "fc", 2)                             # 8 MACs, 8 + 2 params
    b.output(b.softmax(x, "softmax"))
    return b.graph


def test_counts_per_layer_and_totals():
    s = summarize(_tiny_graph())
    by_name = {layer["name"]: layer for layer in s["layers"]}
    assert [layer["name"] for layer in s["layers"]] == ["conv", "conv_bn", "conv_relu6", "pool", "fc", "softmax"]
    assert by_name["conv"] == {"name": "conv", "kind": "conv2d", "output_shape": [1, 8, 8, 4],
                               "macs": 8 * 8 * 4 * 27, "params": 108}
    assert by_name["conv_bn"]["params"] == 4          # folds into one bias per channel
    assert by_name["fc"]["macs"] == 8 and by_name["fc"]["params"] == 10
    assert by_name["pool"]["params"] == 0 and by_name["pool"]["output_shape"] == [1, 4]
    assert s["params"] == 122
    assert s["macs"] == sum(layer["macs"] for layer in s["layers"])
    assert s["macs"] >= 8 * 8 * 4 * 27 + 8


def test_table_lists_every_layer_and_the_totals():
    s = summarize(_tiny_graph())
    console = Console(record=True, width=160)
    print_summary(s, console)
    text = console.export_text()
    for layer in s["layers"]:
        assert layer["name"] in text
    assert "6,912" in text and "122 parameters" in text
    assert summary_table(s).row_count == len(s["layers"])


def test_large_counts_are_abbreviated():
    big = {"name": "m", "macs": 7_489_664, "params": 208_802, "layers": []}
    console = Console(record=True, width=160)
    print_summary(big, console)
    assert "7.49M MACs, 208.8K parameters" in console.export_text()
