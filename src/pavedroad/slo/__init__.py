"""SLOs and SLIs: recorder, sketches, specs (OpenSLO v1, Sloth), budgets, burn-rate alerts, rules, reports."""

from pavedroad.slo.cohort import DEFAULT_VARIANT, STATE_KEY, current_cohort, set_cohort
from pavedroad.slo.loader import load_specs, parse_specs, read_documents
from pavedroad.slo.middleware import SLOMiddleware, route_template
from pavedroad.slo.openslo import inline, parse_openslo, to_slos
from pavedroad.slo.prom import RecorderCollector
from pavedroad.slo.recorder import (
    DEFAULT_BUCKETS,
    Recorder,
    SliceRow,
    default_recorder,
    record_dependency,
    use_recorder,
)
from pavedroad.slo.rules import generate_rules, rules_yaml
from pavedroad.slo.sketch import RELATIVE_ACCURACY, LogSketch
from pavedroad.slo.sloth import from_sloth
from pavedroad.slo.spec import SLO, Alerting, AlertTier, PromSLI, RecorderSLI, SLOSpecError
from pavedroad.slo.windows import PRESETS, Window, WindowRule, parse_duration, resolve_windows, sloth_alert_windows

__all__ = [
    "DEFAULT_BUCKETS",
    "DEFAULT_VARIANT",
    "PRESETS",
    "RELATIVE_ACCURACY",
    "SLO",
    "STATE_KEY",
    "AlertTier",
    "Alerting",
    "LogSketch",
    "PromSLI",
    "Recorder",
    "RecorderCollector",
    "RecorderSLI",
    "SLOMiddleware",
    "SLOSpecError",
    "SliceRow",
    "Window",
    "WindowRule",
    "current_cohort",
    "default_recorder",
    "from_sloth",
    "generate_rules",
    "inline",
    "load_specs",
    "parse_duration",
    "parse_openslo",
    "parse_specs",
    "read_documents",
    "record_dependency",
    "resolve_windows",
    "route_template",
    "rules_yaml",
    "set_cohort",
    "sloth_alert_windows",
    "to_slos",
    "use_recorder",
]
