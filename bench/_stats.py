"""Small statistics and reporting helpers for the benchmarks."""

from __future__ import annotations

import cProfile
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Figure:
    """One line of the summary: a measured value against its target (``ok`` None = no target)."""

    name: str
    value: str
    target: str = "-"
    ok: bool | None = None

    @property
    def verdict(self) -> str:
        return "info" if self.ok is None else ("PASS" if self.ok else "MISS")


def measured(action: Callable[[], T]) -> tuple[T, float]:
    """What ``action`` returned and the seconds it took, by ``time.perf_counter``."""
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def timed(action: Callable[[], object]) -> float:
    """Seconds ``action`` took, by ``time.perf_counter``."""
    return measured(action)[1]


def rate_runs(action: Callable[[], object], per_run: int, runs: int) -> list[float]:
    """Per-second rates of ``action``, ``per_run`` calls in each of ``runs`` timed runs."""
    rates = []
    for _ in range(runs):
        elapsed = timed(lambda: [action() for _ in range(per_run)])
        rates.append(per_run / elapsed)
    return rates


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def summary_table(figures: Sequence[Figure]) -> str:
    header = ("Figure", "Value", "Target", "Result")
    rows = [header, *((f.name, f.value, f.target, f.verdict) for f in figures)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def print_profile(action: Callable[[], object], title: str, packages: str, top: int = 20) -> None:
    """cProfile ``action``; print the project's ``packages`` by cumulative time, then all by own time."""
    profiler = cProfile.Profile()
    profiler.runcall(action)
    stats = pstats.Stats(profiler, stream=sys.stdout)
    root = str(Path(__file__).resolve().parents[1])
    print(f"\n{title}")
    stats.sort_stats("cumulative").print_stats(f"{root}/({packages})/", top)
    print("by own time:")
    stats.sort_stats("tottime").print_stats(15)
