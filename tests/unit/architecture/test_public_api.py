"""Every block's ``__all__`` is its whole public surface, and other blocks import it only through it.

A name a block's ``__init__`` binds without listing it, or lists without binding it, is a surface nobody
curated; an import of ``pavedroad.<block>.<module>`` from another block ties that block to a layout the
owner is free to change. Both are read from the source (AST), so lazy imports inside functions count too.
"""

from __future__ import annotations

import ast
import functools
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[3] / "src" / "pavedroad"

# Blocks: packages with a curated public API. recruiting is the reference domain (a client, like a user's code).
BLOCKS = sorted(
    p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists() and p.name not in {"cli", "recruiting", "service"}
)
# Modules the apps (cli, service, stack, workers, testing) may import directly: the NATS launcher (importing
# events must not load it), and modules whose dependencies are too heavy for the block's __init__ (duckdb and
# pyarrow for the warehouse copy, OpenTelemetry for tracing). Blocks and recruiting never import them.
APP_ONLY = {"pavedroad.events.nats_server", "pavedroad.query.warehouse_copy", "pavedroad.observability.tracing"}
APPS = {"cli", "service", "stack", "workers", "testing"}


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements of a module body, with those of ``if TYPE_CHECKING:`` (names served lazily by a
    module ``__getattr__``; the runtime check below proves each one resolves)."""
    flat: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            flat.extend(node.body)
        else:
            flat.append(node)
    return flat


def _bound_and_listed(init: Path) -> tuple[set[str], set[str]]:
    bound: set[str] = set()
    listed: set[str] = set()
    for node in _top_level(ast.parse(init.read_text()).body):
        if isinstance(node, ast.ImportFrom) and node.module not in {"__future__", "typing"}:
            bound |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            bound |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id == "__all__":
                    assert node.value is not None
                    listed = set(ast.literal_eval(node.value))
                elif isinstance(target, ast.Name):
                    bound.add(target.id)
    return {name for name in bound if not name.startswith("_")}, listed


@functools.cache
def _all_imports() -> list[tuple[str, str, list[str]]]:
    """(file, module, imported names) for every absolute import in the package."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.append((rel, node.module, [alias.name for alias in node.names]))
            elif isinstance(node, ast.Import):
                found.extend((rel, alias.name, []) for alias in node.names)
    return found


def _imports(owner: str) -> list[tuple[str, str, list[str]]]:
    """The imports outside ``owner``'s own package."""
    return [entry for entry in _all_imports() if entry[0].split("/")[0].removesuffix(".py") != owner]


@pytest.mark.parametrize("block", BLOCKS)
def test_all_lists_exactly_the_public_names(block: str) -> None:
    bound, listed = _bound_and_listed(PACKAGE / block / "__init__.py")
    assert listed, f"pavedroad.{block} has no __all__"
    assert sorted(bound - listed) == [], f"public in pavedroad.{block} but not in __all__"
    assert sorted(listed - bound) == [], f"listed in pavedroad.{block}.__all__ but not defined there"
    module = importlib.import_module(f"pavedroad.{block}")
    assert [name for name in listed if not hasattr(module, name)] == []


@pytest.mark.parametrize("block", BLOCKS)
def test_other_blocks_import_only_the_public_init(block: str) -> None:
    _, listed = _bound_and_listed(PACKAGE / block / "__init__.py")
    prefix = f"pavedroad.{block}"
    wrong = []
    for where, module, names in _imports(block):
        if module in APP_ONLY and where.split("/")[0].removesuffix(".py") in APPS:
            continue
        if module.startswith(prefix + "."):
            wrong.append(f"{where}: {module}")
        elif module == prefix:
            wrong.extend(f"{where}: {prefix}.{name} (not in __all__)" for name in names if name not in listed)
    assert wrong == []
