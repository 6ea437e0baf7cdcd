"""`mnc fit`: the listed candidates really compile within the limits, the front is non-dominated,
the Dask path gives the same fit.json as the process pool, and a second sweep comes from the cache."""

from __future__ import annotations

import json

import pytest

from mnc.compiler import compile_model
from mnc.errors import MncError
from mnc.fit import runner
from mnc.fit.accuracy import PUBLISHED, SOURCES, published_top1
from mnc.fit.cache import Cache
from mnc.fit.candidates import Candidate, sweep
from mnc.fit.pareto import Limits, dominates, pareto_front
from mnc.options import CompileOptions
from tests.conftest import need_tool
from tests.test_cli import assert_one_line_error, invoke

CORE = "cortex-m4"
RAM, FLASH, CLOCK_MHZ, MAX_LATENCY_MS = 262_144, 1_048_576, 180, 1000
CLASSES = 10
# Two candidates with published accuracy: a two-member front (more accurate vs faster).
SWEEP = ["--families", "v1", "--widths", "0.25,0.5", "--resolutions", "128", "--classes", str(CLASSES)]
LIMITS = ["--target", CORE, "--ram", str(RAM), "--flash", str(FLASH), "--clock-mhz", str(CLOCK_MHZ),
          "--max-latency-ms", str(MAX_LATENCY_MS)]


# ---- pure parts ---------------------------------------------------------------------------------

def _row(name, top1, latency, ram, fits=True):
    return {"variant": name, "top1": top1, "latency_ms": latency, "ram_bytes": ram, "fits": fits}


def test_front_keeps_exactly_the_non_dominated_fitting_rows():
    rows = [_row("a", 70, 10, 100), _row("b", 60, 5, 100), _row("c", 60, 10, 100),   # c: dominated by a and b
            _row("d", 50, 1, 500), _row("e", 80, 1, 1, fits=False), _row("f", None, 0.1, 1)]
    front = [r["variant"] for r in pareto_front(rows)]
    assert front == ["a", "b", "d"]
    assert dominates(rows[0], rows[2]) and not dominates(rows[0], rows[1]) and not dominates(rows[0], rows[0])


def test_latency_model():
    limits = Limits(CORE, RAM, FLASH, clock_mhz=100, cpi=1.5)
    assert limits.latency_ms(2_000_000) == pytest.approx(30.0)   # 2e6 x 1.5 cycles at 100 MHz


def test_published_accuracy_rows_cite_a_source_and_match_the_variants():
    assert published_top1("v1", 1.0, 224).top1 == 70.9
    assert published_top1("v2", 0.35, 96).top1 == 45.5
    assert published_top1("v4m", 1.0, 256).top1 == 79.9
    assert published_top1("v3s", 1.0, 96) is None                 # not published: unknown, not guessed
    for (family, width, res), row in PUBLISHED.items():
        assert row.source in SOURCES and 40 < row.top1 < 85
        assert Candidate(family, width, res, 1000) in sweep([family], [res], 1000, [width])


def test_sweep_refuses_unknown_families_and_widths():
    with pytest.raises(MncError, match="unknown family"):
        sweep(["v9"], [96], 2)
    with pytest.raises(MncError, match="no candidates"):
        sweep(["v1"], [96], 2, [0.3])
    with pytest.raises(MncError, match="multiple of 32"):
        sweep(["v1"], [100], 2)


def test_cache_is_keyed_by_variant_core_and_version(tmp_path):
    c = Candidate("v1", 0.25, 96, 2)
    Cache(tmp_path, "1.0").put(c, CORE, {"instructions": 5})
    assert Cache(tmp_path, "1.0").get(c, CORE) == {"instructions": 5}
    assert Cache(tmp_path, "1.1").get(c, CORE) is None
    assert Cache(tmp_path, "1.0").get(c, "cortex-m7") is None
    assert Cache(tmp_path, "1.0").get(Candidate("v1", 0.25, 96, 3), CORE) is None
    Cache(tmp_path, "1.0").put(c, "cortex-m7", {"error": "toolchain missing"})
    assert Cache(tmp_path, "1.0").get(c, "cortex-m7") is None       # failures are measured again


def test_board_limits_equal_their_explicit_form():
    from dataclasses import replace

    from mnc.cli.choose import _limits

    by_board = _limits("nucleo_f446re", None, None, None, None, 200, 1.0)
    explicit = _limits(None, "cortex-m4", 131_072, 524_288, 180, 200, 1.0)
    assert by_board == replace(explicit, board="nucleo_f446re")


@pytest.mark.parametrize("argv", [
    ["fit", "--board", "nucleo_f446re", "--ram", "1000"],                         # a mix of both forms
    ["fit", "--board", "no_such_board"],
    ["fit", "--target", CORE, "--ram", "1000"],                                   # missing --flash, --clock-mhz
    ["fit", "--ram", "1", "--flash", "1", "--clock-mhz", "1"],                    # no --target
    ["fit", "--target", "host", "--ram", "1", "--flash", "1", "--clock-mhz", "1"],
    ["fit", *LIMITS, "--families", "v7"],
    ["fit", *LIMITS, "--resolutions", "abc"],
    ["fit", *LIMITS, "--clock-mhz", "0"],
])
def test_cli_errors_are_one_line(capsys, tmp_path, argv):
    status, _, err = invoke(capsys, *argv, "-o", str(tmp_path / "out"))
    assert status in (1, 2)
    assert_one_line_error(err)
    assert not (tmp_path / "out").exists()


# ---- end to end on the emulated core --------------------------------------------------------------

@pytest.fixture(scope="module")
def pool_fit(tmp_path_factory):
    need_tool("arm-none-eabi-gcc")
    need_tool("qemu-system-arm")
    folder = tmp_path_factory.mktemp("fit")
    from mnc.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["fit", *LIMITS, *SWEEP, "--jobs", "2", "--cache-dir", str(folder / "cache"), "-o", str(folder / "pool")])
    assert exc.value.code == 0
    return folder


@pytest.mark.slow
@pytest.mark.qemu
def test_listed_candidates_compile_within_the_limits(pool_fit):
    summary = json.loads((pool_fit / "pool" / "fit.json").read_text())
    assert (pool_fit / "pool" / "pareto.png").read_bytes()[:4] == b"\x89PNG"
    fitting = [r for r in summary["candidates"] if r["fits"]]
    assert {r["variant"] for r in fitting} == {"v1-0.25-128", "v1-0.5-128"}
    for row in fitting:
        result = compile_model(row["variant"], CompileOptions(target=CORE, classes=CLASSES,
                                                              out_dir=pool_fit / "check" / row["variant"]))
        assert result.sizes.flash == row["flash_bytes"] <= FLASH
        assert result.sizes.ram == row["ram_bytes"] <= RAM
        assert row["latency_ms"] == pytest.approx(row["instructions"] / (CLOCK_MHZ * 1e3), abs=1e-3)
        assert row["latency_ms"] <= MAX_LATENCY_MS


@pytest.mark.slow
@pytest.mark.qemu
def test_front_is_non_dominated_and_recommendation_is_on_it(pool_fit):
    summary = json.loads((pool_fit / "pool" / "fit.json").read_text())
    rows = {r["variant"]: r for r in summary["candidates"]}
    front = [rows[name] for name in summary["pareto_front"]]
    assert front and all(r["fits"] and r["top1"] is not None for r in front)
    for a in front:
        assert not any(dominates(b, a) for b in rows.values() if b["fits"] and b["top1"] is not None)
    for r in rows.values():
        if r["fits"] and r["top1"] is not None and r not in front:
            assert any(dominates(f, r) for f in front)
    assert summary["recommendation"] == max(front, key=lambda r: r["top1"])["variant"]
    assert summary["latency_model"]["cpi"] == 1.0 and "modelled" in summary["latency_model"]["note"]


@pytest.mark.slow
@pytest.mark.qemu
def test_second_sweep_comes_from_the_cache(pool_fit, capsys, monkeypatch):
    def no_measuring(*_args):
        raise AssertionError("measured although cached")

    monkeypatch.setattr(runner, "measure", no_measuring)
    status, _, err = invoke(capsys, "fit", *LIMITS, *SWEEP, "--jobs", "1", "--cache-dir", str(pool_fit / "cache"),
                            "-o", str(pool_fit / "cached"))
    assert status == 0, err
    assert (pool_fit / "cached" / "fit.json").read_bytes() == (pool_fit / "pool" / "fit.json").read_bytes()


@pytest.mark.slow
@pytest.mark.qemu
def test_dask_cluster_gives_the_same_fit_json(pool_fit, capsys):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        status, _, err = invoke(capsys, "fit", *LIMITS, *SWEEP, "--scheduler", cluster.scheduler_address,
                                "--no-cache", "-o", str(pool_fit / "dask"))
    assert status == 0, err
    assert (pool_fit / "dask" / "fit.json").read_bytes() == (pool_fit / "pool" / "fit.json").read_bytes()


def test_unreachable_scheduler_is_one_line(capsys, tmp_path):
    status, _, err = invoke(capsys, "fit", *LIMITS, *SWEEP, "--scheduler", "tcp://127.0.0.1:9", "--no-cache",
                            "-o", str(tmp_path / "out"))
    assert status == 1
    assert_one_line_error(err)
