"""`mnc fit`: which built-in MobileNet fits a board, how fast it runs, and what accuracy it gives up.

    candidates.py  the sweep: family x width x resolution
    measure.py     one candidate on one core: compile (exact flash/RAM), run once under QEMU (instructions)
    cache.py       measurements keyed by (variant, core, mnc version)
    runner.py      measure many: process pool or a Dask cluster, with a progress bar
    accuracy.py    published ImageNet top-1, with sources
    pareto.py      limits, the latency model, the Pareto front and the recommendation
    output.py      terminal table, fit.json, pareto.png
"""
