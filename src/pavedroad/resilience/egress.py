"""Every outbound call site in a codebase, found by reading its syntax trees (``pavedroad guard egress``).

Imports are resolved (``import httpx as h``, ``from requests import get``), then each call whose target
is in ``OUTBOUND`` is reported with its kind and whether it rides a pipeline:

* ``paved`` — ``pavedroad.resilience.client("dep")``, ``async_client("dep")`` or ``transport("dep")``
  (the dependency is reported), or an httpx client built with ``transport=`` one of those;
* ``internal`` — inside ``pavedroad/resilience/`` (the paved road itself) or ``pavedroad/testing/``;
* ``loopback`` — the call names a loopback host literally (``("127.0.0.1", port)``, ``"http://localhost…"``):
  local plumbing such as readiness probes, which the runtime guard allows too;
* ``bypass`` — anything else: a raw client, a module-level ``httpx.get``, ``requests``, ``urllib``,
  ``http.client``, ``aiohttp``, raw sockets, SMTP.

    >>> sites = scan_source("import requests\\nrequests.get('https://x')\\n", "app.py")
    >>> [(s.line, s.target, s.status) for s in sites]
    [(2, 'requests.get', 'bypass')]
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["OUTBOUND", "CallSite", "render_table", "scan_egress", "scan_source"]

_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream")

# target (fully qualified) -> kind. Prefix entries end with "." and match any attribute below them.
OUTBOUND: dict[str, str] = {
    "pavedroad.resilience.transport": "resilient transport",
    "pavedroad.resilience.registry.transport": "resilient transport",
    "pavedroad.resilience.client": "resilient client",
    "pavedroad.resilience.async_client": "resilient client",
    "pavedroad.resilience.registry.client": "resilient client",
    "pavedroad.resilience.registry.async_client": "resilient client",
    "httpx.Client": "httpx client",
    "httpx.AsyncClient": "httpx client",
    "httpx.HTTPTransport": "raw httpx transport",
    "httpx.AsyncHTTPTransport": "raw httpx transport",
    **{f"httpx.{verb}": "httpx one-shot request" for verb in _HTTP_VERBS},
    "requests.": "requests",
    "urllib.request.urlopen": "urllib",
    "urllib.request.build_opener": "urllib",
    "http.client.HTTPConnection": "http.client",
    "http.client.HTTPSConnection": "http.client",
    "aiohttp.ClientSession": "aiohttp",
    "aiohttp.request": "aiohttp",
    "socket.create_connection": "raw socket",
    "asyncio.open_connection": "raw socket",
    "smtplib.SMTP": "smtp",
    "smtplib.SMTP_SSL": "smtp",
    "ftplib.FTP": "ftp",
}
_INTERNAL_PARTS = (("pavedroad", "resilience"), ("pavedroad", "testing"))

Status = Literal["paved", "internal", "loopback", "bypass"]
_LOOPBACK_PREFIXES = ("127.", "localhost", "::1", "[::1]")


@dataclass(frozen=True, slots=True)
class CallSite:
    path: str
    line: int
    column: int
    target: str
    kind: str
    status: Status
    dependency: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _kind(target: str) -> str | None:
    if target in OUTBOUND:
        return OUTBOUND[target]
    for key, kind in OUTBOUND.items():
        if key.endswith(".") and target.startswith(key):
            return kind
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str, internal: bool) -> None:
        self.path = path
        self.internal = internal
        self.aliases: dict[str, str] = {}
        self.sites: list[CallSite] = []

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".", 1)[0]
                self.aliases[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level:
            for alias in node.names:
                self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def resolve(self, node: ast.expr) -> str | None:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.aliases:
            return None
        return ".".join([self.aliases[node.id], *reversed(parts)])

    def visit_Call(self, node: ast.Call) -> None:
        target = self.resolve(node.func)
        kind = _kind(target) if target else None
        if target is not None and kind is not None:
            self.sites.append(self._site(node, target, kind))
        self.generic_visit(node)

    def _site(self, node: ast.Call, target: str, kind: str) -> CallSite:
        dependency = None
        status: Status = "internal" if self.internal else "loopback" if _names_loopback(node) else "bypass"
        if kind in ("resilient transport", "resilient client"):
            status = "paved"
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                dependency = first.value
        elif kind == "httpx client":
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg == "transport" and isinstance(value, ast.Call):
                    inner = self.resolve(value.func)
                    if inner and OUTBOUND.get(inner) == "resilient transport":
                        status = "paved"
                        arg = value.args[0] if value.args else None
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            dependency = arg.value
        return CallSite(self.path, node.lineno, node.col_offset, target, kind, status, dependency)


def _names_loopback(node: ast.Call) -> bool:
    first = node.args[0] if node.args else None
    if isinstance(first, ast.Tuple) and first.elts:
        first = first.elts[0]
    if not isinstance(first, ast.Constant) or not isinstance(first.value, str):
        return False
    host = first.value.split("://", 1)[-1]
    return host.startswith(_LOOPBACK_PREFIXES)


def _is_internal(path: Path) -> bool:
    parts = path.parts
    return any(parts[i : i + 2] == pair for pair in _INTERNAL_PARTS for i in range(len(parts) - 1))


def scan_source(source: str, path: str = "<source>", *, internal: bool = False) -> list[CallSite]:
    """The outbound call sites in one module's source."""
    scanner = _Scanner(path, internal)
    scanner.visit(ast.parse(source, filename=path))
    return sorted(scanner.sites, key=lambda site: (site.line, site.column))


def _files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.py") if ".venv" not in p.parts and "__pycache__" not in p.parts)
        elif path.suffix == ".py":
            yield path


def scan_egress(paths: Iterable[str | Path]) -> list[CallSite]:
    """Scan files and directories (recursively, ``*.py``) for outbound call sites; unreadable files are skipped."""
    sites: list[CallSite] = []
    for file in _files(Path(p) for p in paths):
        try:
            source = file.read_text(encoding="utf-8")
            sites.extend(scan_source(source, str(file), internal=_is_internal(file)))
        except (OSError, UnicodeDecodeError, SyntaxError):
            continue
    return sites


def render_table(sites: list[CallSite]) -> Table:
    """The human form of a scan, with a hint when something bypasses the pipelines."""
    from rich.table import Table  # only the CLI renders

    bypasses = sum(site.status == "bypass" for site in sites)
    table = Table(
        title=f"outbound call sites: {len(sites)} ({bypasses} bypassing a pipeline)",
        caption="fix: httpx.Client(transport=pavedroad.resilience.transport('<dependency>'))" if bypasses else None,
    )
    table.add_column("where", overflow="fold")
    for column in ("call", "kind", "dependency", "status"):
        table.add_column(column)
    style = {"paved": "green", "internal": "dim", "loopback": "dim", "bypass": "bold red"}
    for site in sites:
        table.add_row(
            f"{site.path}:{site.line}",
            site.target,
            site.kind,
            site.dependency or "",
            f"[{style[site.status]}]{site.status}[/]",
        )
    return table
