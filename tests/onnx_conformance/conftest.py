"""Session summary of the ONNX node conformance cases: run / passed / skipped per operator."""

from __future__ import annotations

from collections import Counter, defaultdict


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    per_op: dict[str, Counter] = defaultdict(Counter)
    reasons: Counter = Counter()
    for outcome in ("passed", "failed", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            op = dict(getattr(report, "user_properties", ())).get("onnx_op")
            if op is None or (outcome != "skipped" and report.when != "call"):
                continue
            per_op[op][outcome] += 1
            if outcome == "skipped":
                reasons[_skip_reason(report)] += 1
    if not per_op:
        return
    tr = terminalreporter
    tr.section("ONNX node conformance")
    tr.write_line(f"{'operator':<20}{'run':>6}{'passed':>8}{'failed':>8}{'skipped':>9}")
    for op in sorted(per_op):
        c = per_op[op]
        tr.write_line(f"{op:<20}{c['passed'] + c['failed']:>6}{c['passed']:>8}{c['failed']:>8}{c['skipped']:>9}")
    total = sum(per_op.values(), Counter())
    tr.write_line(f"{'total':<20}{total['passed'] + total['failed']:>6}{total['passed']:>8}"
                  f"{total['failed']:>8}{total['skipped']:>9}")
    tr.write_line("skip reasons:")
    for reason, n in reasons.most_common():
        tr.write_line(f"  {n:>4}  {reason}")


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")
