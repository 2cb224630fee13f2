"""The flag format: flagd's flag-set JSON, as pydantic models, so existing flagd files load unchanged.

A flag set is ``{"flags": {key: flag}, "$evaluators": {name: rule}, "metadata": {...}}``; a flag is
``{"state", "variants", "defaultVariant", "targeting", "metadata"}``. Variants are all booleans, all
strings, all numbers or all objects; metadata values are booleans, strings or numbers. pavedroad's
additions (owner, expiry, ramp schedule, guard, hash version) live in flag metadata under
``pavedroad.*`` keys, so a file stays valid against the flagd schema (see ``pavedroad.flags.metadata``).

``parse_flag_set`` checks the structure; ``validate_flag_set`` also checks every targeting rule against
the flagd targeting grammar and our metadata, and returns the problems instead of raising.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from pavedroad.flags.errors import InvalidFlagSet

__all__ = ["Flag", "FlagSet", "MetaValue", "flag_kind", "parse_flag_set"]

MetaValue = StrictBool | StrictInt | StrictFloat | StrictStr
VariantValue = StrictBool | StrictInt | StrictFloat | StrictStr | dict[str, Any]


def flag_kind(value: object) -> str:
    """The variant kind of one value: boolean, number, string or object (``""`` for anything else)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    return ""


class Flag(BaseModel):
    """One flagd flag. Unknown keys are kept (flagd allows them) and written back unchanged."""

    model_config = ConfigDict(extra="allow", frozen=True)

    state: Literal["ENABLED", "DISABLED"]
    variants: dict[str, VariantValue] = Field(min_length=1)
    defaultVariant: str | None = None  # noqa: N815 - the flagd field name
    targeting: Any = None
    metadata: dict[str, MetaValue] = Field(default_factory=dict)

    @field_validator("variants")
    @classmethod
    def _one_kind(cls, variants: dict[str, Any]) -> dict[str, Any]:
        kinds = {flag_kind(v) for v in variants.values()}
        if "" in kinds or len(kinds) != 1:
            raise ValueError(f"variants must all be booleans, all strings, all numbers or all objects; got {kinds}")
        if any(not name for name in variants):
            raise ValueError("variant names must not be empty")
        return variants

    @property
    def kind(self) -> str:
        """boolean, number, string or object."""
        return flag_kind(next(iter(self.variants.values())))

    def to_json(self) -> dict[str, Any]:
        """The flagd JSON of this flag (fields left unset are omitted)."""
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=False)


class FlagSet(BaseModel):
    """A flagd flag set: flags by key, shared ``$evaluators``, flag-set metadata."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    flags: dict[str, Flag]
    evaluators: dict[str, Any] = Field(default_factory=dict, alias="$evaluators")
    metadata: dict[str, MetaValue] = Field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The flagd JSON of the whole set."""
        doc: dict[str, Any] = {"flags": {k: f.to_json() for k, f in self.flags.items()}}
        if self.evaluators:
            doc["$evaluators"] = self.evaluators
        if self.metadata:
            doc["metadata"] = dict(self.metadata)
        return doc


def parse_flag_set(doc: object, *, allow_array: bool = False) -> FlagSet:
    """Parse a flagd flag-set document (a dict, or JSON text) or raise ``InvalidFlagSet``.

    ``allow_array`` accepts the flagd-daemon form where ``flags`` is a list of flags with a ``key``.

    >>> parse_flag_set({"flags": {"f": {"state": "ENABLED", "variants": {"on": True}}}}).flags["f"].kind
    'boolean'
    """
    if isinstance(doc, str | bytes):
        try:
            doc = json.loads(doc)
        except json.JSONDecodeError as exc:
            raise InvalidFlagSet(
                f"the flag file is not JSON: {exc}", hint="check the file with a JSON linter"
            ) from None
    if not isinstance(doc, dict):
        raise InvalidFlagSet("a flag set must be a JSON object with a 'flags' member", hint='{"flags": {...}}')
    flags = doc.get("flags")
    if isinstance(flags, list):
        if not allow_array:
            raise InvalidFlagSet(
                "'flags' is a list, which only the flagd daemon format allows",
                hint="write flags as an object keyed by flag key",
            )
        keyed: dict[str, Any] = {}
        for i, item in enumerate(flags):
            if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not item["key"]:
                raise InvalidFlagSet(f"flags[{i}] has no 'key'", hint="each flag in a list needs a non-empty key")
            keyed[item["key"]] = {k: v for k, v in item.items() if k != "key"}
        doc = {**doc, "flags": keyed}
    try:
        return FlagSet.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidFlagSet(
            f"invalid flag set at {where or 'top level'}: {first['msg']}",
            hint="see docs/flags.md for the flag format (it is flagd's)",
            location=where,
        ) from None
