"""PromQL text for SLIs: Sloth's expression shapes, and the queries over pavedroad's own metrics.

Guarantees: ``sli_error_ratio(slo, window)`` is the same expression Sloth writes for the same spec
(events ``(err)/(total)``, raw ``(ratio)``, OpenSLO good/total ``1 - good/total``); recorder SLIs become
queries over ``http_request_duration_seconds`` / ``pavedroad_dependency_duration_seconds`` — a latency
threshold must be one of the histogram's bucket bounds, or generation fails and says which to add.
Numbers are written the way Go writes them (``14.4``, ``6``, ``0.0009999999999999432``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from pavedroad.slo.prom import DEPENDENCY_METRIC, HTTP_METRIC
from pavedroad.slo.recorder import DEFAULT_BUCKETS, GOOD_OUTCOMES
from pavedroad.slo.spec import SLO, PromSLI, RecorderSLI, SLOSpecError

__all__ = ["event_queries", "go_float", "recorder_queries", "render_window", "sli_error_ratio"]

_WINDOW = re.compile(r"\{\{\s*\.window\s*\}\}")


def go_float(value: float) -> str:
    """``strconv.FormatFloat(v, 'f', -1, 64)``: shortest round-trip digits, no exponent, no ``.0``."""
    text = format(Decimal(repr(float(value))), "f")
    return text[:-2] if text.endswith(".0") else text


def render_window(query: str, window: str) -> str:
    """Replace Sloth's ``{{.window}}`` placeholder."""
    return _WINDOW.sub(window, query)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def recorder_queries(slo: SLO, sli: RecorderSLI, buckets: Sequence[float] = DEFAULT_BUCKETS) -> PromSLI:
    """Error and total queries (with ``{{.window}}``) for a recorder SLI over pavedroad's metrics."""
    if sli.source == "http":
        metric = HTTP_METRIC
        matchers = [f'service="{_escape(slo.service)}"']
        if sli.route:
            matchers.append(f'route="{_escape(sli.route)}"')
        if sli.route_prefix:
            matchers.append(f'route=~"{_escape(re.escape(sli.route_prefix))}.*"')
        if sli.method:
            matchers.append(f'method="{_escape(sli.method)}"')
        bad = 'status_class="5xx"'
    else:
        metric = DEPENDENCY_METRIC
        matchers = [f'service="{_escape(slo.service)}"']
        if sli.route:
            matchers.append(f'dependency="{_escape(sli.route)}"')
        if sli.route_prefix:
            matchers.append(f'dependency=~"{_escape(re.escape(sli.route_prefix))}.*"')
        bad = 'outcome!~"{}"'.format("|".join(sorted(GOOD_OUTCOMES)))
    sel = ",".join(matchers)
    total = f"sum(rate({metric}_count{{{sel}}}[{{{{.window}}}}]))"
    if sli.kind == "availability":
        error = f"sum(rate({metric}_count{{{sel},{bad}}}[{{{{.window}}}}]))"
    else:
        assert sli.threshold_s is not None
        if not any(abs(b - sli.threshold_s) < 1e-12 for b in buckets):
            raise SLOSpecError(
                f"SLO '{slo.slo_id}': latency threshold {sli.threshold_s}s is not a histogram bucket bound",
                code="SLO111",
                hint=f"use one of {', '.join(go_float(b) for b in buckets)} or add it to the recorder's buckets",
            )
        le = repr(float(sli.threshold_s))
        error = f'({total}\n-\nsum(rate({metric}_bucket{{{sel},le="{le}"}}[{{{{.window}}}}])))'
    return PromSLI(shape="events", error_query=error, total_query=total)


def event_queries(slo: SLO, buckets: Sequence[float] = DEFAULT_BUCKETS) -> PromSLI:
    """The PromQL form of an SLO's SLI (the recorder SLI translated, or the spec's own queries)."""
    if slo.prom is not None:
        return slo.prom
    assert slo.sli is not None
    return recorder_queries(slo, slo.sli, buckets)


def sli_error_ratio(prom: PromSLI, window: str) -> str:
    """The error ratio over ``window``, in Sloth's exact shape for that SLI kind."""
    if prom.shape == "events":
        assert prom.error_query
        assert prom.total_query
        return f"({render_window(prom.error_query, window)})\n/\n({render_window(prom.total_query, window)})\n"
    if prom.shape == "raw":
        assert prom.error_ratio_query
        return f"({render_window(prom.error_ratio_query, window)})"
    assert prom.good_query
    assert prom.total_query
    good, total = render_window(prom.good_query, window), render_window(prom.total_query, window)
    return f"(\n  1 - (\n    (\n      {good}\n    )\n    /\n    (\n      {total}\n    )\n  )\n)"


def error_events(prom: PromSLI, window: str) -> str | None:
    """Bad events per second over ``window`` (``None`` for a raw ratio SLI: it has no counts)."""
    if prom.shape == "events":
        assert prom.error_query
        return render_window(prom.error_query, window)
    if prom.shape == "good_total":
        assert prom.good_query
        assert prom.total_query
        return f"({render_window(prom.total_query, window)})\n-\n({render_window(prom.good_query, window)})"
    return None


def total_events(prom: PromSLI, window: str) -> str | None:
    """All events per second over ``window`` (``None`` for a raw ratio SLI)."""
    return None if prom.total_query is None else render_window(prom.total_query, window)
