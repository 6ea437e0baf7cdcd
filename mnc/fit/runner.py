"""Measure many candidates: from the cache, else in a local process pool or on a Dask cluster.

Both executors run the same task, `measure.measure(candidate, core)`, so a sweep gives the same
results wherever it runs; results are returned in candidate order, whatever order they finish in.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from mnc.errors import MncError
from mnc.fit.cache import Cache
from mnc.fit.candidates import Candidate
from mnc.fit.measure import measure

SCHEDULER_TIMEOUT_S = 10


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def measure_all(candidates: list[Candidate], core: str, cache: Cache, jobs: int = 1,
                scheduler: str | None = None, console: Console | None = None) -> list[dict]:
    results = {c: hit for c in candidates if (hit := cache.get(c, core)) is not None}
    todo = [c for c in candidates if c not in results]
    finished = _execute(todo, core, jobs, scheduler)   # connects first: a bad address fails before any output
    with _progress(console) as progress:
        task = progress.add_task(f"measuring on {core}", total=len(candidates), completed=len(results))
        for candidate, measurement in finished:
            cache.put(candidate, core, measurement)
            results[candidate] = measurement
            progress.update(task, advance=1, description=f"measured {candidate.variant}")
    return [results[c] for c in candidates]


def _progress(console: Console | None) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console or Console(stderr=True), transient=False)


def _execute(todo: list[Candidate], core: str, jobs: int, scheduler: str | None) -> Iterator[tuple[Candidate, dict]]:
    if not todo:
        return iter(())
    if scheduler is not None:
        return _on_dask(todo, core, scheduler)
    if jobs <= 1:
        return ((c, measure(c, core)) for c in todo)
    return _on_pool(todo, core, jobs)


def _on_pool(todo: list[Candidate], core: str, jobs: int) -> Iterator[tuple[Candidate, dict]]:
    # spawn, not fork: the parent runs the progress bar's refresh thread.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=context) as pool:
        futures = {pool.submit(measure, c, core): c for c in todo}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _on_dask(todo: list[Candidate], core: str, address: str) -> Iterator[tuple[Candidate, dict]]:
    client, dask_completed = _dask_client(address)
    return _dask_results(client, dask_completed, todo, core)


def _dask_client(address: str):
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise MncError("--scheduler needs dask.distributed (pip install 'dask[distributed]')") from None
    try:
        client = Client(address, timeout=SCHEDULER_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise MncError(f"cannot reach the Dask scheduler at {address!r}: {' '.join(str(exc).split())}") from None
    return client, dask_completed


def _dask_results(client, dask_completed, todo: list[Candidate], core: str) -> Iterator[tuple[Candidate, dict]]:
    with client:
        futures = {client.submit(measure, c, core, pure=False): c for c in todo}
        for future in dask_completed(futures):
            yield futures[future], future.result()
