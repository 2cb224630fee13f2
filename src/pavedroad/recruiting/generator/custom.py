"""Custom fields: the catalog every generated tenant defines, and their JSONB values built column-wise.

Guarantees: the catalog holds every field type (text, number, date, boolean, single_select,
multi_select) on each entity (candidates, applications, jobs), a few classified personal or compensation
(the salaries); ``values_json`` returns, per row, a JSON object whose keys are catalog keys of that entity
and whose values match the declared type: numbers as JSON numbers, dates as ISO strings, booleans,
select values drawn from the declared options (multi_select as a non-empty JSON array).
"""

from __future__ import annotations

import functools
import itertools
import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]  # no stubs published
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]  # no stubs published

from pavedroad.recruiting.generator.names import CITIES, FIRST_NAMES
from pavedroad.recruiting.generator.plan import DAY

__all__ = ["CATALOG", "FIELD_TYPES", "CustomField", "values_json"]

FIELD_TYPES = ("text", "number", "date", "boolean", "single_select", "multi_select")


@dataclass(frozen=True)
class CustomField:
    """A field definition plus how to draw its values (``span``: number range, or date offset in days)."""

    entity: str
    key: str
    label: str
    field_type: str
    fill: float
    options: tuple[str, ...] = ()
    span: tuple[int, int] = (0, 0)
    classification: str = "internal"


_SKILLS = ("python", "sql", "go", "typescript", "kubernetes", "aws", "react", "machine_learning")
CATALOG: tuple[CustomField, ...] = (
    CustomField(
        "candidates",
        "current_company",
        "Current company",
        "text",
        0.7,
        ("Initrode", "Chotchkie's", "Penetrode", "Vought", "Massive Dynamic", "Pendant Publishing"),
    ),
    CustomField(
        "candidates", "preferred_name", "Preferred name", "text", 0.25, FIRST_NAMES[:20], classification="personal"
    ),
    CustomField("candidates", "years_experience", "Years of experience", "number", 0.8, span=(0, 30)),
    CustomField("candidates", "available_from", "Available from", "date", 0.4, span=(0, 90)),
    CustomField("candidates", "willing_to_relocate", "Willing to relocate", "boolean", 0.6),
    CustomField(
        "candidates",
        "visa_status",
        "Visa status",
        "single_select",
        0.5,
        ("citizen", "permanent_resident", "needs_sponsorship", "other"),
        classification="personal",
    ),
    CustomField(
        "candidates", "seniority", "Seniority", "single_select", 0.75, ("junior", "mid", "senior", "staff", "principal")
    ),
    CustomField("candidates", "skills", "Skills", "multi_select", 0.65, _SKILLS),
    CustomField("applications", "referred_by", "Referred by", "text", 0.12, FIRST_NAMES[20:40]),
    CustomField("applications", "relocation_city", "Relocating from", "text", 0.1, CITIES),
    CustomField(
        "applications",
        "expected_salary",
        "Expected salary",
        "number",
        0.45,
        span=(40_000, 260_000),
        classification="compensation",
    ),
    CustomField("applications", "notice_period_days", "Notice period (days)", "number", 0.5, span=(0, 90)),
    CustomField("applications", "earliest_start", "Earliest start", "date", 0.35, span=(14, 120)),
    CustomField("applications", "requires_sponsorship", "Requires sponsorship", "boolean", 0.55),
    CustomField("applications", "priority", "Priority", "single_select", 0.6, ("low", "normal", "high")),
    CustomField(
        "applications",
        "tags",
        "Tags",
        "multi_select",
        0.3,
        ("fast_track", "silver_medalist", "internal", "diversity_event", "rehire"),
    ),
    CustomField("jobs", "cost_center", "Cost center", "text", 0.9, ("CC-1001", "CC-1002", "CC-2040", "CC-3100")),
    CustomField(
        "jobs",
        "budgeted_salary",
        "Budgeted salary",
        "number",
        0.7,
        span=(50_000, 250_000),
        classification="compensation",
    ),
    CustomField("jobs", "target_start", "Target start date", "date", 0.6, span=(30, 120)),
    CustomField("jobs", "remote_ok", "Remote OK", "boolean", 0.8),
    CustomField("jobs", "level", "Level", "single_select", 0.85, ("L1", "L2", "L3", "L4", "L5", "L6")),
    CustomField(
        "jobs",
        "languages",
        "Required languages",
        "multi_select",
        0.4,
        ("English", "German", "French", "Spanish", "Japanese", "Portuguese"),
    ),
)


def _subsets(options: tuple[str, ...], most: int = 3) -> list[str]:
    """Every non-empty subset of up to ``most`` options, JSON-encoded in declared order."""
    out: list[str] = []
    for size in range(1, most + 1):
        out.extend(json.dumps(list(combo)) for combo in itertools.combinations(options, size))
    return out


@functools.cache
def _vocabulary(field: CustomField) -> pa.Array:
    """The JSON text of every value a text/select field can take (built once per field)."""
    if field.field_type == "multi_select":
        return pa.array(_subsets(field.options))
    if field.field_type == "boolean":
        return pa.array(["false", "true"])
    return pa.array([json.dumps(o) for o in field.options])


def _encoded(field: CustomField, gen: np.random.Generator, anchor: np.ndarray) -> pa.Array:
    """JSON text of one value per row, matching the field's type."""
    count = len(anchor)
    kind = field.field_type
    if kind in ("text", "single_select", "multi_select", "boolean"):
        vocab = _vocabulary(field)
        return vocab.take(pa.array(gen.integers(0, len(vocab), count)))
    low, high = field.span
    if kind == "number":
        step = 1000 if high >= 10_000 else 1
        values = gen.integers(low // step, high // step + 1, count) * step
        return pc.cast(pa.array(values), pa.string())
    days = (anchor // DAY + gen.integers(low, high + 1, count)).astype(np.int32)
    iso = pc.cast(pa.array(days, type=pa.date32()), pa.string())
    return pc.binary_join_element_wise('"', iso, '"', "")


def values_json(entity: str, gen: np.random.Generator, anchor: np.ndarray) -> pa.Array:
    """One JSON object per row for ``entity``'s custom fields; ``anchor`` (seconds) dates relative values."""
    fields = [f for f in CATALOG if f.entity == entity]
    count = len(anchor)
    present: np.ndarray = gen.random((len(fields), count)) < np.array([f.fill for f in fields])[:, None]
    after_first = (np.cumsum(present, axis=0) - present) > 0  # some earlier field is present on the row
    pieces = []
    for i, field in enumerate(fields):
        key = json.dumps(field.key) + ": "
        lead = pc.if_else(pa.array(after_first[i]), ", " + key, key)
        pieces.append(
            pc.if_else(pa.array(present[i]), pc.binary_join_element_wise(lead, _encoded(field, gen, anchor), ""), "")
        )
    return pc.binary_join_element_wise("{", *pieces, "}", "")
