"""The semantic model: a validated YAML file of entities, typed and classified fields, relations,
derived fields, measures and model functions. Generic: nothing here knows any domain.

``load_model(path)`` validates the schema (pydantic), then the references (relations point at
entities, keys and foreign keys are fields, every derived expression parses), and stamps a version
(a hash of the file) that compiled-query caches key on.
"""

from __future__ import annotations

import hashlib
from enum import IntEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from pavedroad.errors import ConfigurationError
from pavedroad.query import ast as qa
from pavedroad.query.errors import QueryError

__all__ = [
    "Classification",
    "DerivedDef",
    "EntityDef",
    "FieldDef",
    "FunctionDef",
    "MeasureDef",
    "RelationDef",
    "SemanticModel",
    "load_model",
    "parse_model",
]

FieldType = Literal["string", "int", "number", "bool", "date", "timestamp", "json"]


class Classification(IntEnum):
    """Ordered, so an expression's classification is the max of its inputs'."""

    public = 0
    internal = 1
    confidential = 2
    personal = 3
    sensitive = 4


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldDef(_Strict):
    """A column: its type, classification and whether queries may name it."""

    type: FieldType
    classification: Literal["public", "internal", "confidential", "personal", "sensitive"]
    column: str | None = Field(default=None, description="The column name when it differs from the field name.")
    nullable: bool = False
    queryable: bool = True
    description: str = ""


class RelationDef(_Strict):
    """many_to_one: ``foreign_key`` is on this entity; one_to_many: ``foreign_key`` is on the target."""

    entity: str
    cardinality: Literal["many_to_one", "one_to_many"]
    foreign_key: str
    references: str | None = Field(default=None, description="Column matched by foreign_key (default: the key).")
    required: bool = Field(default=False, description="many_to_one only: every row has a match (inner join).")
    also: dict[str, str] = Field(
        default_factory=dict,
        description="A composite key's other columns: foreign-key-side field -> referenced-side field "
        "(lineitem's partsupp: {suppkey: suppkey} beside foreign_key partkey).",
    )
    when: dict[str, str] = Field(
        default_factory=dict,
        description="many_to_one only: the target row also has these values (a role in a membership table); a "
        "unique index on the target must make the match one row at most.",
    )
    description: str = ""


class DerivedDef(_Strict):
    """A row-level field defined by an expression over this entity's fields and relations."""

    expr: str
    description: str = ""
    classification: Literal["public", "internal", "confidential", "personal", "sensitive"] | None = None


class MeasureDef(_Strict):
    """A reusable aggregate, named in ``aggregate``; the description records its choices."""

    expr: str
    description: str


class FunctionDef(_Strict):
    """A model function (a macro): ``reached(stage)`` expands to its expression with arguments bound."""

    params: list[str]
    expr: str
    description: str


class EntityDef(_Strict):
    table: str
    key: str = "id"
    tenant_column: str = "tenant_id"
    time_zone: Literal["tenant", "utc"] = "tenant"
    custom_fields_column: str | None = Field(default=None, description="JSONB column holding tenant custom fields.")
    queryable: bool = True
    root: bool = Field(default=True, description="A query may start here (false: reached through relations only).")
    description: str = ""
    default_fields: list[str] | None = None
    fields: dict[str, FieldDef]
    relations: dict[str, RelationDef] = Field(default_factory=dict)
    derived: dict[str, DerivedDef] = Field(default_factory=dict)
    measures: dict[str, MeasureDef] = Field(default_factory=dict)
    functions: dict[str, FunctionDef] = Field(default_factory=dict)

    def column_of(self, field: str) -> str:
        f = self.fields[field]
        return f.column or field


class SemanticModel(_Strict):
    """The whole model. ``version`` is the declared version plus a hash of the source."""

    name: str
    version: str = "1"
    entities: dict[str, EntityDef]
    _parsed: dict[tuple[str, str, str], qa.Expr] = PrivateAttr(default_factory=dict)
    _fingerprint: str = PrivateAttr(default="")

    @property
    def fingerprint(self) -> str:
        """``name@version:hash``: part of every compiled-query cache key."""
        return self._fingerprint

    @model_validator(mode="after")
    def _references(self) -> SemanticModel:
        for name, ent in self.entities.items():
            where = f"entities.{name}"
            if ent.key not in ent.fields:
                raise ValueError(f"{where}.key '{ent.key}' is not one of its fields")
            if ent.tenant_column not in ent.fields:
                raise ValueError(
                    f"{where}.tenant_column '{ent.tenant_column}' must be declared (classified) as a field"
                )
            overlap = set(ent.fields) & (set(ent.relations) | set(ent.derived) | set(ent.measures))
            if overlap:
                raise ValueError(f"{where}: names used twice: {sorted(overlap)}")
            for rname, rel in ent.relations.items():
                target = self.entities.get(rel.entity)
                if target is None:
                    raise ValueError(f"{where}.relations.{rname}: unknown entity '{rel.entity}'")
                local, remote = (ent, target) if rel.cardinality == "many_to_one" else (target, ent)
                if rel.foreign_key not in local.fields:
                    raise ValueError(f"{where}.relations.{rname}: foreign_key '{rel.foreign_key}' is not a field")
                ref = rel.references or remote.key
                if ref not in remote.fields:
                    raise ValueError(f"{where}.relations.{rname}: references '{ref}' is not a field")
                bad = sorted(k for k, v in rel.also.items() if k not in local.fields or v not in remote.fields)
                if bad:
                    raise ValueError(f"{where}.relations.{rname}: also names unknown fields {bad}")
                if rel.when and rel.cardinality != "many_to_one":
                    raise ValueError(f"{where}.relations.{rname}: 'when' narrows a many_to_one relation only")
                unknown = sorted(set(rel.when) - set(target.fields))
                if unknown:
                    raise ValueError(f"{where}.relations.{rname}: when names unknown fields {unknown}")
        return self

    def expression(self, entity: str, kind: str, name: str) -> qa.Expr:
        """The parsed expression of a derived field, measure or function (parsed once, cached)."""
        key = (entity, kind, name)
        found = self._parsed.get(key)
        if found is None:
            from pavedroad.query.text import parse_expr

            ent = self.entities[entity]
            table: dict[str, Any] = {"derived": ent.derived, "measures": ent.measures, "functions": ent.functions}
            found = parse_expr(table[kind][name].expr)
            self._parsed[key] = found
        return found

    def check_expressions(self) -> None:
        """Parse every derived field, measure and function now, so a typo fails at load, not at query time."""
        for name, ent in self.entities.items():
            for kind in ("derived", "measures", "functions"):
                for item in getattr(ent, kind):
                    try:
                        self.expression(name, kind, item)
                    except QueryError as exc:
                        raise ConfigurationError(
                            f"semantic model: entities.{name}.{kind}.{item}: {exc.message}",
                            code="Q001",
                            hint=exc.hint,
                        ) from None


# libyaml's safe loader parses the recruiting model in a tenth of the pure-Python one's time (every CLI
# query pays for it); both build the same plain values.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_model(text: str, origin: str = "model") -> SemanticModel:
    """Validate a model from YAML text; raise ``ConfigurationError`` naming the bad path."""
    try:
        raw = yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader (libyaml's when present)
        model = SemanticModel.model_validate(raw)
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{origin}: not valid YAML: {exc}", code="Q001") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ConfigurationError(
            f"{origin}: {loc}: {first['msg']}", code="Q001", hint="see docs/query.md, 'The semantic model'"
        ) from None
    model._fingerprint = f"{model.name}@{model.version}:{hashlib.sha256(text.encode()).hexdigest()[:12]}"
    model.check_expressions()
    return model


def load_model(path: str | Path) -> SemanticModel:
    """Load and validate a semantic model file."""
    p = Path(path)
    return parse_model(p.read_text(), origin=str(p))
