# ruff: noqa: RUF002, RUF003 - the statistics read in their usual notation (ρ, γ, ×, −)
"""Latency comparison from log-bucketed sketches, reduced to exact counts so the count test applies.

Latency arrives per cohort and time slice as a DDSketch-style histogram: bucket ``k`` holds the values
in ``(γ^(k-1), γ^k]`` with ``γ = (1 + a) / (1 − a)`` for relative accuracy ``a``. To compare a quantile
``q`` (p50/p95/p99) without assuming a distribution, each slice's threshold is the bucket at quantile
``q`` of the *pooled* histogram (baseline + canary); the comparison is then between the counts of
each cohort's requests above that bucket. Under "same latency distribution" the pooled histogram is a
symmetric function of the slice's requests, so, given it, the canary's share of the slow requests is
hypergeometric: the count test in ``sequential`` stays valid. Counting whole buckets keeps it exact.

The estimates reported beside the test are each cohort's quantile from the summed histograms (within
the sketch's relative accuracy) and their ratio.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DEFAULT_RELATIVE_ACCURACY",
    "BucketScheme",
    "dense_histograms",
    "exceedance_counts",
    "quantile_from_counts",
]

DEFAULT_RELATIVE_ACCURACY = 0.01


class BucketScheme:
    """Logarithmic buckets of one relative accuracy; ``key(x)`` is DDSketch's ``ceil(log_γ x)``."""

    def __init__(self, relative_accuracy: float = DEFAULT_RELATIVE_ACCURACY) -> None:
        if not 0.0 < relative_accuracy < 1.0:
            raise ValueError("relative_accuracy must be between 0 and 1")
        self.relative_accuracy = relative_accuracy
        self.gamma = (1.0 + relative_accuracy) / (1.0 - relative_accuracy)
        self._log_gamma = math.log(self.gamma)

    def key(self, value: float) -> int:
        """Bucket key of a positive value (values ≤ 0 go to the lowest key the scheme uses, 0)."""
        if value <= 0.0:
            return 0
        return math.ceil(math.log(value) / self._log_gamma)

    def keys(self, values: NDArray[np.floating]) -> NDArray[np.int64]:
        """Vectorised ``key``."""
        safe = np.maximum(np.asarray(values, dtype=np.float64), 1e-12)
        return np.ceil(np.log(safe) / self._log_gamma).astype(np.int64)

    def value(self, key: int | NDArray[np.int64]) -> NDArray[np.float64]:
        """Representative value of a bucket (relative error ≤ ``relative_accuracy`` for its members)."""
        k = np.asarray(key, dtype=np.float64)
        return np.asarray(2.0 * self.gamma**k / (self.gamma + 1.0), dtype=np.float64)

    def upper_bound(self, key: int | NDArray[np.int64]) -> NDArray[np.float64]:
        """Upper edge ``γ^key`` of a bucket."""
        return np.asarray(self.gamma ** np.asarray(key, dtype=np.float64), dtype=np.float64)


def dense_histograms(
    histograms: Iterable[Mapping[int, int]],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Sparse ``{key: count}`` histograms → (sorted union of keys, counts of shape ``(n, len(keys))``)."""
    items = list(histograms)
    sizes = [len(h) for h in items]
    total = sum(sizes)
    keys = np.fromiter((k for h in items for k in h), dtype=np.int64, count=total)
    counts = np.fromiter((c for h in items for c in h.values()), dtype=np.int64, count=total)
    union, column = np.unique(keys, return_inverse=True)
    dense = np.zeros((len(items), len(union)), dtype=np.int64)
    np.add.at(dense, (np.repeat(np.arange(len(items)), sizes), column), counts)
    return union.astype(np.int64), dense


def _quantile_index(counts: NDArray[np.integer], q: float) -> NDArray[np.int64]:
    """Index of the bucket holding rank ``q·(n−1)`` along the last axis (0 for empty histograms)."""
    c = np.asarray(counts, dtype=np.float64)
    cum = np.cumsum(c, axis=-1)
    total = cum[..., -1:]
    rank = q * np.maximum(total - 1.0, 0.0)
    idx = np.sum(cum <= rank, axis=-1)
    out: NDArray[np.int64] = np.minimum(idx, c.shape[-1] - 1).astype(np.int64)
    return out


def exceedance_counts(
    baseline: NDArray[np.integer], canary: NDArray[np.integer], q: float
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per slice: how many baseline and canary requests fall above the pooled ``q``-quantile bucket.

    ``baseline`` and ``canary`` are dense bucket counts with buckets on the last axis (same keys).
    """
    b = np.asarray(baseline, dtype=np.int64)
    c = np.asarray(canary, dtype=np.int64)
    cut = _quantile_index(b + c, q)[..., None]
    above = np.arange(b.shape[-1]) > cut
    return np.sum(np.where(above, b, 0), axis=-1), np.sum(np.where(above, c, 0), axis=-1)


def quantile_from_counts(
    keys: NDArray[np.int64], counts: NDArray[np.integer], q: float, scheme: BucketScheme
) -> NDArray[np.float64]:
    """The ``q``-quantile of each histogram (last axis), NaN where a histogram is empty."""
    c = np.asarray(counts)
    idx = _quantile_index(c, q)
    values = scheme.value(np.asarray(keys)[idx])
    return np.where(c.sum(axis=-1) > 0, values, np.nan)
