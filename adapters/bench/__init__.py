"""Benchmarks: ratios against a reference measured in the same run.

Each benchmark measures the application side and a simpler reference doing
comparable work on the same machine in the same process, over several rounds
with the sides alternating, and reports medians and ``app / reference``.
"""

from __future__ import annotations

from adapters.bench.report import BenchReport, RoundReport
from adapters.bench.write import WriteResult, WriteRound, run_write_benchmark

__all__ = [
    "BenchReport",
    "RoundReport",
    "WriteResult",
    "WriteRound",
    "run_write_benchmark",
]
