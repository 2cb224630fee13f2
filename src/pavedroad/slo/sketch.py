"""A mergeable latency sketch with a relative-error guarantee (DDSketch-style, logarithmic bins).

Guarantee: for any quantile ``q``, ``quantile(q)`` is within ``RELATIVE_ACCURACY`` (1%) of the exact
rank-``q`` sample (rank ``q·(n-1)``, as DDSketch defines it), for samples in ``(MIN_VALUE, ∞)``; smaller
samples fall into a zero bin and read back as 0. Merging two sketches gives exactly the sketch of the
concatenated samples, so per-process, per-slice sketches merge into windows without losing accuracy.

A sample ``v`` goes to bin ``k = ceil(log_g v)`` with ``g = (1+a)/(1-a)``; bin ``k`` holds
``(g^(k-1), g^k]`` and reads back as ``2g^k/(g+1)``, at most ``a`` away from anything in the bin.
Bins live in a plain dict (sparse; ~900 bins span 1 µs to 100 s), so ``add`` is two C calls and a dict
update: cheaper than ``ddsketch``, ``hdrhistogram`` or a ``prometheus_client`` histogram.

    >>> s = LogSketch()
    >>> for ms in range(1, 1001):
    ...     s.add(ms / 1000)
    >>> abs(s.quantile(0.99) - 0.99) / 0.99 <= RELATIVE_ACCURACY
    True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["BIN_SCALE", "MIN_VALUE", "RELATIVE_ACCURACY", "LogSketch", "key_of", "value_of"]

RELATIVE_ACCURACY = 0.01
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_MULT = 1 / math.log(GAMMA)
BIN_SCALE = _MULT  # bin of v is ceil(log(v) * BIN_SCALE); the recorder inlines this
MIN_VALUE = 1e-9  # below a nanosecond a latency is a clock artefact: it counts as zero
ZERO_KEY = "z"  # the zero bin's key in the JSON form

_log = math.log
_ceil = math.ceil


def key_of(value: float) -> int:
    """The bin a positive value falls into."""
    return _ceil(_log(value) * _MULT)


def value_of(key: int) -> float:
    """The value a bin reads back as (within ``RELATIVE_ACCURACY`` of everything in it)."""
    return 2 * GAMMA**key / (GAMMA + 1)


class LogSketch:
    """Counts of samples per logarithmic bin, plus count, sum, min and max."""

    __slots__ = ("bins", "count", "max", "min", "sum", "zero")

    def __init__(self) -> None:
        self.bins: dict[int, int] = {}
        self.zero = 0
        self.count = 0
        self.sum = 0.0
        self.min = math.inf
        self.max = 0.0

    def add(self, value: float) -> None:
        """Record one sample (seconds, or any positive unit)."""
        self.count += 1
        self.sum += value
        if value < self.min:  # noqa: PLR1730 - a branch is cheaper than a min() call on the hot path
            self.min = value
        if value > self.max:  # noqa: PLR1730 - idem
            self.max = value
        if value > MIN_VALUE:
            key = _ceil(_log(value) * _MULT)
            bins = self.bins
            bins[key] = bins.get(key, 0) + 1
        else:
            self.zero += 1

    def extend(self, values: Iterable[float]) -> None:
        """Record many samples."""
        for value in values:
            self.add(value)

    def merge(self, other: LogSketch) -> None:
        """Fold ``other`` into this sketch (exact: the result equals one sketch fed both streams)."""
        bins = self.bins
        for key, n in other.bins.items():
            bins[key] = bins.get(key, 0) + n
        self.zero += other.zero
        self.count += other.count
        self.sum += other.sum
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)

    def quantile(self, q: float) -> float | None:
        """The ``q``-quantile (0 ≤ q ≤ 1) within 1% relative error; ``None`` when empty."""
        if not 0 <= q <= 1:
            raise ValueError(f"a quantile is between 0 and 1, got {q}")
        if self.count == 0:
            return None
        rank = q * (self.count - 1)
        seen = self.zero
        if seen > rank:
            return 0.0
        for key in sorted(self.bins):
            seen += self.bins[key]
            if seen > rank:
                return min(max(value_of(key), self.min), self.max)
        return self.max

    def count_at_most(self, threshold: float) -> int:
        """Samples ≤ ``threshold``, give or take the one bin holding the threshold (≤ 2% wide)."""
        if threshold <= MIN_VALUE:
            return self.zero
        limit = key_of(threshold)
        return self.zero + sum(n for key, n in self.bins.items() if key <= limit)

    @property
    def mean(self) -> float | None:
        """Arithmetic mean, exact; ``None`` when empty."""
        return self.sum / self.count if self.count else None

    def to_bins(self) -> dict[str, int]:
        """The bins as a JSON object (``{"z": zeros, "<key>": count}``), the form Postgres merges."""
        out = {str(key): n for key, n in self.bins.items()}
        if self.zero:
            out[ZERO_KEY] = self.zero
        return out

    @classmethod
    def from_bins(
        cls,
        bins: Mapping[str, Any],
        *,
        total: int | None = None,
        total_sum: float = 0.0,
        low: float | None = None,
        high: float | None = None,
    ) -> LogSketch:
        """Rebuild a sketch from ``to_bins`` output (and the count/sum/min/max stored beside it)."""
        sketch = cls()
        for key, n in bins.items():
            if key == ZERO_KEY:
                sketch.zero += int(n)
            else:
                sketch.bins[int(key)] = sketch.bins.get(int(key), 0) + int(n)
        counted = sketch.zero + sum(sketch.bins.values())
        sketch.count = counted if total is None else int(total)
        sketch.sum = float(total_sum)
        sketch.min = float(low) if low is not None else (value_of(min(sketch.bins)) if sketch.bins else 0.0)
        sketch.max = float(high) if high is not None else (value_of(max(sketch.bins)) if sketch.bins else 0.0)
        return sketch

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LogSketch):
            return NotImplemented
        return self.bins == other.bins and self.zero == other.zero and self.count == other.count

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"LogSketch(count={self.count}, bins={len(self.bins)})"
