"""Read SLO spec files: Sloth ``prometheus/v1``, OpenSLO ``v1`` (and Sloth's ``v1alpha``), mixed freely.

Guarantees: every document of a (multi-document) YAML file is recognised by its ``version`` or
``apiVersion`` and validated, or the whole load fails with a ``SLOSpecError`` naming the file and the
document; OpenSLO references resolve across all documents of the file; SLO ids are unique.

    slos = load_specs("src/pavedroad/recruiting/slos.yaml")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from pavedroad.slo.openslo import parse_openslo, to_slos, v1alpha_to_slos
from pavedroad.slo.sloth import from_sloth
from pavedroad.slo.spec import SLO, SLOSpecError
from pavedroad.slo.windows import DAY, WindowRule

__all__ = ["load_specs", "parse_specs", "read_documents"]


class _Loader(yaml.SafeLoader):
    """Safe YAML without implicit timestamps: ``startTime: 2022-01-01 12:00:00`` stays the text written."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_documents(text: str, where: str = "spec") -> list[dict[str, Any]]:
    """The YAML documents of ``text``, with lists of objects (the OpenSLO SDK style) flattened."""
    try:
        raw = [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]
    except yaml.YAMLError as exc:
        raise SLOSpecError(f"{where}: not valid YAML: {exc}", code="SLO109") from None
    docs: list[dict[str, Any]] = []
    for item in raw:
        for doc in item if isinstance(item, list) else [item]:
            if not isinstance(doc, dict):
                raise SLOSpecError(f"{where}: expected mappings, found {type(doc).__name__}", code="SLO109")
            docs.append(doc)
    return docs


def parse_specs(
    docs: Sequence[Mapping[str, Any]],
    *,
    where: str = "spec",
    period_s: float | None = None,
    windows: Sequence[WindowRule] | None = None,
) -> list[SLO]:
    """SLOs from documents; ``period_s``/``windows`` override Sloth's defaults (``--default-slo-period``)."""
    slos: list[SLO] = []
    openslo: list[Mapping[str, Any]] = []
    for index, doc in enumerate(docs):
        at = f"{where} (document {index})"
        if "version" in doc:
            slos.extend(from_sloth(doc, period_s=period_s or 30 * DAY, where=at))
        elif doc.get("apiVersion") == "openslo/v1alpha":
            slos.extend(v1alpha_to_slos(doc, where=at))
        elif doc.get("apiVersion") == "openslo/v1":
            openslo.append(doc)
        else:
            raise SLOSpecError(
                f"{at}: not an SLO spec (no version or apiVersion I know: {doc.get('apiVersion')!r})",
                code="SLO104",
                hint="use Sloth 'version: prometheus/v1' or OpenSLO 'apiVersion: openslo/v1'",
            )
    if openslo:
        slos.extend(to_slos(parse_openslo(openslo, where=where), where=where))
    if windows is not None:
        slos = [_with_windows(s, tuple(windows)) for s in slos]
    seen: set[str] = set()
    for slo in slos:
        if slo.slo_id in seen:
            raise SLOSpecError(f"{where}: SLO '{slo.slo_id}' is defined twice", code="SLO108")
        seen.add(slo.slo_id)
    return slos


def _with_windows(slo: SLO, rules: tuple[WindowRule, ...]) -> SLO:
    return slo.model_copy(update={"alerting": slo.alerting.model_copy(update={"windows": rules})})


def load_specs(paths: str | Path | Iterable[str | Path], **options: Any) -> list[SLO]:
    """SLOs from one file or several (a directory means its ``*.yaml``/``*.yml`` files)."""
    if isinstance(paths, str | Path):
        paths = [paths]
    files: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            files.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]))
        elif path.is_file():
            files.append(path)
        else:
            raise SLOSpecError(f"no SLO spec at {path}", code="SLO110", hint="pass a YAML file or a directory")
    docs: list[dict[str, Any]] = []
    where = ", ".join(str(f) for f in files)
    for file in files:
        docs.extend(read_documents(file.read_text(), str(file)))
    return parse_specs(docs, where=where, **options)
