"""The classification registry: every column of every tenant table mapped to its ``Classification``.

Guarantee: a ``Registry`` is built only from validated declarations — the semantic model's per-field
``classification`` (the primary source) and each block's ``classification.yaml`` for platform tables
that are not entities of the model (tenants, users, audit) — and refuses one column declared twice with
different labels. Everything else (catalog check, field access, redaction, erasure) reads from it.

Block file form (``<block>/classification.yaml``)::

    tables:
      users: {tenant_id: internal, id: internal, email: personal, name: personal}
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from pavedroad.errors import ConfigurationError
from pavedroad.privacy.classification import Classification

__all__ = ["BLOCK_FILE", "Registry", "load_registry"]

BLOCK_FILE = "classification.yaml"


@dataclass(frozen=True)
class Registry:
    """``(table, column) -> Classification`` with where each label was declared, and optional field tags."""

    labels: Mapping[tuple[str, str], Classification] = field(default_factory=dict)
    origins: Mapping[tuple[str, str], str] = field(default_factory=dict)
    tags: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)

    def get(self, table: str, column: str) -> Classification | None:
        return self.labels.get((table, column))

    def table(self, table: str) -> dict[str, Classification]:
        """The labelled columns of ``table``."""
        return {col: label for (tbl, col), label in self.labels.items() if tbl == table}

    def tables(self) -> set[str]:
        return {tbl for tbl, _ in self.labels}

    def columns_at_least(self, table: str, level: Classification) -> list[str]:
        """Columns of ``table`` classified ``level`` or higher (e.g. what erasure must overwrite)."""
        return sorted(c for c, lab in self.table(table).items() if lab.rank >= level.rank)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.labels)

    def merge(self, other: Registry) -> Registry:
        """Both registries; a column labelled differently in each is a ``ConfigurationError``."""
        labels = dict(self.labels)
        origins = dict(self.origins)
        tags = dict(self.tags)
        for key, label in other.labels.items():
            if key in labels and labels[key] != label:
                raise ConfigurationError(
                    f"column {key[0]}.{key[1]} is classified {labels[key].value} in {origins[key]}"
                    f" and {label.value} in {other.origins[key]}",
                    hint="declare each column once, in the semantic model if it is an entity's field",
                )
            labels[key] = label
            origins[key] = other.origins[key]
        for key, extra in other.tags.items():
            tags[key] = tags.get(key, frozenset()) | extra
        return Registry(labels, origins, tags)

    @classmethod
    def from_tables(cls, tables: Mapping[str, Mapping[str, object]], origin: str) -> Registry:
        """From ``{table: {column: label}}`` (a block file's ``tables``)."""
        labels: dict[tuple[str, str], Classification] = {}
        for table, columns in tables.items():
            if not isinstance(columns, Mapping):
                raise _bad(origin, f"tables.{table} must map column names to classifications")
            for column, label in columns.items():
                labels[(str(table), str(column))] = _label(origin, f"{table}.{column}", label)
        return cls(labels, dict.fromkeys(labels, origin))

    @classmethod
    def from_model(cls, model: Mapping[str, Any], origin: str) -> Registry:
        """From a semantic model: each entity's ``table`` and its fields' ``column`` + ``classification``.

        Fields computed from an expression (no single column) are the compiler's business; only fields
        bound to a column are registered. An entity's tenant column is ``internal`` unless declared.
        """
        labels: dict[tuple[str, str], Classification] = {}
        tags: dict[tuple[str, str], frozenset[str]] = {}
        for name, entity in _entities(model):
            table = str(entity.get("table", name))
            tenant_column = str(entity.get("tenant_column", entity.get("tenant_key", "tenant_id")))
            labels[(table, tenant_column)] = Classification.INTERNAL
            for fname, spec in _fields(entity):
                column = spec.get("column", fname)
                if not isinstance(column, str) or not column.isidentifier():
                    continue
                if "classification" not in spec:
                    continue  # the catalog check reports the column as unclassified
                labels[(table, column)] = _label(origin, f"{name}.{fname}", spec["classification"])
                if spec.get("tags"):
                    tags[(table, column)] = frozenset(str(t) for t in spec["tags"])
        return cls(labels, dict.fromkeys(labels, origin), tags)


def _entities(model: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    entities = model.get("entities", {})
    if isinstance(entities, Mapping):
        return [(str(k), v) for k, v in entities.items() if isinstance(v, Mapping)]
    return [(str(e.get("name", e.get("table"))), e) for e in entities if isinstance(e, Mapping)]


def _fields(entity: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    fields = entity.get("fields", entity.get("dimensions", {}))
    if isinstance(fields, Mapping):
        return [(str(k), v if isinstance(v, Mapping) else {"type": v}) for k, v in fields.items()]
    return [(str(f.get("name")), f) for f in fields if isinstance(f, Mapping)]


def _label(origin: str, where: str, value: object) -> Classification:
    try:
        return Classification.parse(value)
    except ValueError as exc:
        raise _bad(origin, f"{where}: {exc}") from None


def _bad(origin: str, message: str) -> ConfigurationError:
    return ConfigurationError(f"{origin}: {message}", hint="see docs/guardrails.md, 'The classification registry'")


def _read_yaml(path: Path | Any) -> Mapping[str, Any]:
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, Mapping):
        raise _bad(str(path), "expected a mapping at the top level")
    return data


def load_registry(*, model_paths: Iterable[Path] = (), packages: Iterable[str] = ()) -> Registry:
    """The merged registry of the semantic model file(s) and every listed package's block file."""
    registry = Registry()
    for path in model_paths:
        if Path(path).exists():
            registry = registry.merge(Registry.from_model(_read_yaml(Path(path)), str(path)))
    for package in packages:
        try:
            resource = resources.files(package).joinpath(BLOCK_FILE)
        except ModuleNotFoundError:
            continue
        if resource.is_file():
            tables = _read_yaml(resource).get("tables", {})
            registry = registry.merge(Registry.from_tables(tables, f"{package}/{BLOCK_FILE}"))
    return registry
