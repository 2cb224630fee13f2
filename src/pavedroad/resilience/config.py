"""Per-dependency configuration as validated data: a YAML file (or a dict), defaults merged underneath.

```yaml
defaults:                     # applies to every dependency, and to ones not listed
  deadline_s: 30
  attempt_timeout_s: 10
  breaker: {failure_rate: 0.5, minimum_calls: 10}
dependencies:
  calendar:
    bulkhead: {max_concurrent: 16, max_queue: 32, max_wait_s: 0.5}
    retry: {max_attempts: 4}
    rate_limit: {per_second: 20, burst: 40}
  email:
    breaker: null             # null disables a policy
egress_allow: [db.internal, 10.20.0.0/16]   # infrastructure the egress guard lets through
```

Keys are checked (a typo is an error naming the dependency, the key and the expected form), values
are range-checked, and ``defaults`` are deep-merged under each dependency before validation. The file
comes from ``load_config(path)`` or ``PAVEDROAD_RESILIENCE_FILE``; with neither, every dependency gets
the defaults below, which suit a typical SaaS integration (a JSON API answering in under a second).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pavedroad.errors import ConfigurationError

__all__ = [
    "BreakerSettings",
    "BudgetSettings",
    "BulkheadSettings",
    "DependencySettings",
    "HedgingSettings",
    "RateLimitSettings",
    "ResilienceConfig",
    "RetrySettings",
    "load_config",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BulkheadSettings(_Strict):
    max_concurrent: int = Field(64, ge=1, description="Calls in flight at once.")
    max_queue: int = Field(0, ge=0, description="Calls that may wait for a slot.")
    max_wait_s: float = Field(1.0, ge=0, description="How long a queued call waits before BulkheadFull.")


class RetrySettings(_Strict):
    max_attempts: int = Field(3, ge=1, le=10, description="Attempts per call, the first included.")
    base_delay_s: float = Field(0.1, ge=0)
    max_delay_s: float = Field(5.0, ge=0)
    multiplier: float = Field(2.0, ge=1)
    max_retry_after_s: float = Field(30.0, ge=0, description="A longer Retry-After ends the retries.")
    retry_statuses: frozenset[int] = frozenset({408, 429, 500, 502, 503, 504})
    failure_statuses: frozenset[int] = frozenset({408, 429, *range(500, 600)})


class BudgetSettings(_Strict):
    ratio: float = Field(0.2, ge=0, le=1, description="Retries allowed per request.")
    min_per_second: float = Field(1.0, ge=0, description="Floor: retries allowed per second regardless.")
    max_tokens: float = Field(10.0, ge=1, description="Most retries saved up for a burst.")


class BreakerSettings(_Strict):
    window: Literal["count", "time"] = "count"
    size: float = Field(50, gt=0, description="Calls (count window) or seconds (time window).")
    minimum_calls: int = Field(10, ge=1)
    failure_rate: float = Field(0.5, gt=0, le=1)
    slow_call_rate: float = Field(1.0, gt=0, le=1)
    slow_call_s: float = Field(5.0, gt=0)
    wait_open_s: float = Field(10.0, ge=0)
    half_open_probes: int = Field(3, ge=1)


class RateLimitSettings(_Strict):
    per_second: float = Field(gt=0)
    burst: float = Field(1.0, ge=1)
    max_wait_s: float = Field(0.0, ge=0)


class HedgingSettings(_Strict):
    delay_s: float = Field(0.5, ge=0, description="Start a copy when an attempt has run this long.")
    max_hedges: int = Field(1, ge=1, le=5)


class DependencySettings(_Strict):
    deadline_s: float | None = Field(30.0, gt=0, description="Whole-call deadline, retries included.")
    attempt_timeout_s: float | None = Field(10.0, gt=0)
    bulkhead: BulkheadSettings | None = BulkheadSettings()
    retry: RetrySettings = RetrySettings()
    budget: BudgetSettings | None = BudgetSettings()
    breaker: BreakerSettings | None = BreakerSettings()
    rate_limit: RateLimitSettings | None = None
    hedging: HedgingSettings | None = None

    @model_validator(mode="after")
    def _timeouts_fit(self) -> DependencySettings:
        deadline, attempt = self.deadline_s, self.attempt_timeout_s
        if deadline is not None and attempt is not None and attempt > deadline:
            raise ValueError(
                f"attempt_timeout_s ({self.attempt_timeout_s}) exceeds deadline_s ({self.deadline_s}); "
                "an attempt can never outlive its call"
            )
        return self


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        return {key: _merge(base.get(key), override[key]) if key in base else override[key] for key in override} | {
            key: value for key, value in base.items() if key not in override
        }
    return override


class ResilienceConfig(_Strict):
    defaults: DependencySettings = DependencySettings()
    dependencies: dict[str, DependencySettings] = {}
    egress_allow: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _merge_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        defaults = data.get("defaults") or {}
        if isinstance(defaults, BaseModel):
            defaults = defaults.model_dump()
        deps = data.get("dependencies") or {}
        if isinstance(defaults, dict) and isinstance(deps, dict):
            data = {
                **data,
                "dependencies": {
                    name: _merge(defaults, dep or {}) if isinstance(dep, dict) else dep for name, dep in deps.items()
                },
            }
        return data

    def for_dependency(self, name: str) -> DependencySettings:
        """The settings of ``name``: its own entry, else the defaults."""
        return self.dependencies.get(name, self.defaults)

    @classmethod
    def parse(cls, data: Any, *, source: str = "resilience config") -> ResilienceConfig:
        """Validate ``data``; raise ``ConfigurationError`` naming the first bad key and what was expected."""
        try:
            return cls.model_validate(data or {})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "(top level)"
            hint = "see docs/resilience.md for every key, its range and its default"
            if first["type"] == "extra_forbidden" and first["loc"]:
                close = difflib.get_close_matches(str(first["loc"][-1]), _KNOWN_KEYS, n=1)
                if close:
                    hint = f"did you mean {close[0]!r}? " + hint
            raise ConfigurationError(
                f"{source}: {where}: {first['msg']} (got {first.get('input')!r})", hint=hint, location=where
            ) from None


_KNOWN_KEYS = sorted(
    {
        key
        for model in (
            HedgingSettings,
            BulkheadSettings,
            RetrySettings,
            BudgetSettings,
            BreakerSettings,
            RateLimitSettings,
            DependencySettings,
            ResilienceConfig,
        )
        for key in model.model_fields
    }
)


def load_config(path: str | Path | None = None) -> ResilienceConfig:
    """Read ``path`` (default ``PAVEDROAD_RESILIENCE_FILE``; neither ⇒ built-in defaults) and validate it."""
    path = path or os.environ.get("PAVEDROAD_RESILIENCE_FILE")
    if not path:
        return ResilienceConfig()
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the resilience config {file}: {exc.strerror}",
            hint="set PAVEDROAD_RESILIENCE_FILE to an existing YAML file, or unset it for the defaults",
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{file} is not valid YAML: {exc}", hint="check the indentation") from None
    return ResilienceConfig.parse(data, source=str(file))
