"""SLOs and SLIs: recorder, sketches, specs (OpenSLO v1, Sloth), budgets, burn-rate alerts, rules, reports."""

from pavedroad.slo.alerts import AlertEvent, Evaluation, evaluate, transition
from pavedroad.slo.asgi import instrument, listen_to_resilience
from pavedroad.slo.budget import (
    Counts,
    budget_consumed,
    burn_rate,
    detection_time,
    error_ratio,
    ratio_timeslices,
    remaining_budget,
    threshold_burn_rate,
    time_to_exhaustion,
    timeslices,
)
from pavedroad.slo.cached import CachedSliceSource
from pavedroad.slo.cohort import DEFAULT_VARIANT, STATE_KEY, current_cohort, current_tenant, set_cohort
from pavedroad.slo.evaluator import Evaluator, run_evaluator
from pavedroad.slo.flusher import SliceFlusher
from pavedroad.slo.loader import load_specs, parse_specs, read_documents
from pavedroad.slo.memory import MemorySliceSource
from pavedroad.slo.middleware import SLOMiddleware, route_template
from pavedroad.slo.openslo import inline, parse_openslo, to_slos
from pavedroad.slo.ports import AlertSink, SliceSource
from pavedroad.slo.prom import RecorderCollector
from pavedroad.slo.recorder import (
    DEFAULT_BUCKETS,
    Recorder,
    SliceRow,
    default_recorder,
    record_dependency,
    use_recorder,
)
from pavedroad.slo.reports import RANK_BY, SLOStatus, TopEntry, burndown, rank, status, status_windows
from pavedroad.slo.rules import generate_rules, rules_yaml
from pavedroad.slo.sketch import RELATIVE_ACCURACY, LogSketch
from pavedroad.slo.sloth import from_sloth
from pavedroad.slo.spec import SLO, Alerting, AlertTier, PromSLI, RecorderSLI, SLOSpecError
from pavedroad.slo.store import (
    PostgresSliceSource,
    TopRow,
    aflush_rows,
    burndown_query,
    counts_query,
    decode_counts,
    decode_top,
    prune,
    top_query,
)
from pavedroad.slo.windows import PRESETS, Window, WindowRule, parse_duration, resolve_windows, sloth_alert_windows

__all__ = [
    "DEFAULT_BUCKETS",
    "DEFAULT_VARIANT",
    "PRESETS",
    "RANK_BY",
    "RELATIVE_ACCURACY",
    "SLO",
    "STATE_KEY",
    "AlertEvent",
    "AlertSink",
    "AlertTier",
    "Alerting",
    "CachedSliceSource",
    "Counts",
    "Evaluation",
    "Evaluator",
    "LogSketch",
    "MemorySliceSource",
    "PostgresSliceSource",
    "PromSLI",
    "Recorder",
    "RecorderCollector",
    "RecorderSLI",
    "SLOMiddleware",
    "SLOSpecError",
    "SLOStatus",
    "SliceFlusher",
    "SliceRow",
    "SliceSource",
    "TopEntry",
    "TopRow",
    "Window",
    "WindowRule",
    "aflush_rows",
    "budget_consumed",
    "burn_rate",
    "burndown",
    "burndown_query",
    "counts_query",
    "current_cohort",
    "current_tenant",
    "decode_counts",
    "decode_top",
    "default_recorder",
    "detection_time",
    "error_ratio",
    "evaluate",
    "from_sloth",
    "generate_rules",
    "inline",
    "instrument",
    "listen_to_resilience",
    "load_specs",
    "parse_duration",
    "parse_openslo",
    "parse_specs",
    "prune",
    "rank",
    "ratio_timeslices",
    "read_documents",
    "record_dependency",
    "remaining_budget",
    "resolve_windows",
    "route_template",
    "rules_yaml",
    "run_evaluator",
    "set_cohort",
    "sloth_alert_windows",
    "status",
    "status_windows",
    "threshold_burn_rate",
    "time_to_exhaustion",
    "timeslices",
    "to_slos",
    "top_query",
    "transition",
    "use_recorder",
]
