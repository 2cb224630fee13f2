"""Cedar's integration tests (handwritten and the fuzzer corpus) on the compiled decision path, for every
test whose policies the engine supports (the others are refused at load, which is counted, not failed).

The data lives in ``../shared/conformance/cedar-integration-tests`` (Apache-2.0, see its SOURCE.md);
without it the test skips with that reason."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import cedarpy
import pytest

from pavedroad.policy import Authorizer, Entities, PolicyError, PolicySet, parse_policies
from pavedroad.policy.entities import from_cedar_value

CORPUS_LIMIT = 800  # corpus tests run (of ~7,800), in name order, to keep the suite's time in bounds


def _cases(root: Path) -> Iterator[tuple[str, dict[str, Any], str, str, str]]:
    """(name, test, policies text, entities JSON, schema text) for the handwritten tests, then the corpus."""
    for path in sorted((root / "tests").rglob("*.json")):
        test = json.loads(path.read_text())
        yield (str(path.relative_to(root)), test, (root / test["policies"]).read_text(),
               (root / test["entities"]).read_text(), (root / test["schema"]).read_text())  # fmt: skip
    files: dict[str, str] = {}
    with tarfile.open(root / "corpus-tests.tar.gz") as tar:  # read in order: a gzip stream cannot seek back
        for member in tar:
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None:
                files[member.name.removeprefix("./")] = handle.read().decode()
    tests = sorted(n for n in files if n.endswith(".json") and not n.endswith(".entities.json"))
    for name in tests[:CORPUS_LIMIT]:
        test = json.loads(files[name])
        read = lambda n: files[n.removeprefix("./")]  # noqa: E731
        yield name, test, read(test["policies"]), read(test["entities"]), read(test["schema"])


def _store(entities_json: str, schema: str) -> tuple[Entities, Entities] | None:
    try:
        normal = json.loads(str(cedarpy.Entities.from_json_str(entities_json, schema=schema)))
    except ValueError:
        return None
    try:
        items = [((e["uid"]["type"], e["uid"]["id"]), from_cedar_value(e.get("attrs", {})),
                  [(p["type"], p["id"]) for p in e.get("parents", [])]) for e in normal]  # fmt: skip
    except ValueError:  # extension values: not supported
        return None
    store = Entities(items)
    actions = Entities((u, a, ps) for u, a, ps in items if u[0].endswith("Action"))
    return store, actions


def _uid(x: Any) -> tuple[str, str] | None:
    return None if not x else (x["type"], x["id"])


def test_cedar_integration_tests_on_the_supported_subset(conformance_dir: Path) -> None:
    root = conformance_dir / "cedar-integration-tests"
    if not root.is_dir():
        pytest.skip(f"the Cedar integration tests are not at {root}")
    run = refused = requests = 0
    mismatches: list[str] = []
    for name, test, text, entities_json, schema in _cases(root):
        try:
            policies = [replace(p, id=p.key) for p in parse_policies(text, source=name)]
            stores = _store(entities_json, schema)
            if stores is None:
                refused += 1
                continue
            ps = PolicySet(policies, stores[1])
        except PolicyError:
            refused += 1
            continue
        run += 1
        az = Authorizer(ps)
        for req in test["requests"]:
            p, a, r = _uid(req.get("principal")), _uid(req.get("action")), _uid(req.get("resource"))
            if p is None or a is None or r is None:
                continue
            try:
                context = from_cedar_value(req.get("context") or {})
            except ValueError:
                continue
            requests += 1
            got = az.is_allowed(p, a, r, context, stores[0])
            want = (req["decision"].lower() == "allow", sorted(req.get("reason", [])))
            if (got.allowed, sorted(got.policy_ids)) != want:
                mismatches.append(f"{name}: {req.get('description', '')} ours {got} expected {want}")
    print(f"cedar conformance: {run} tests run ({requests} requests), {refused} refused as unsupported")
    assert run >= 100
    assert requests >= 1000
    assert not mismatches, mismatches[:5]
