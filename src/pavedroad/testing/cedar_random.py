"""Random Cedar policies, entities and requests, for differential tests against Cedar's own evaluator.

``decision_world(rng)`` draws a policy set, an entity store (users in roles and groups, documents in
folders, owners, optional attributes) and requests, exercising scopes, hierarchies, attribute access and
dereference, ``has``, sets, ``like``, ``if``, arithmetic and ill-typed expressions (which Cedar skips as
errors). ``filter_policies(rng)`` draws policies over the recruiting ``jobs`` entity that the data filter
must compile to SQL (typed by the schema, so they validate).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

__all__ = ["JobRow", "decision_world", "filter_policies", "job_rows"]

ROLES = ("admin", "recruiter", "viewer")
GROUPS = ("g1", "g2")
DEPTS = ("eng", "ops", "sales")
TAGS = ("a", "b", "c")
FOLDERS = ("f1", "f2", "f3")


def _e(t: str, i: str) -> str:
    return f'{t}::"{i}"'


def _long(rng: random.Random) -> str:
    return str(rng.randint(-2, 5))


def _atom(rng: random.Random) -> str:  # noqa: PLR0911, PLR0912
    k = rng.randrange(22)
    if k == 0:
        return f"resource.level {rng.choice(['<', '<=', '>', '>=', '==', '!='])} principal.level"
    if k == 1:
        return f"resource.level {rng.choice(['<', '<=', '>', '>='])} {_long(rng)}"
    if k == 2:
        return f'resource.dept == "{rng.choice(DEPTS)}"'
    if k == 3:
        return "resource.dept == principal.dept"
    if k == 4:
        return "resource.public"
    if k == 5:
        return f"principal in {_e('Role', rng.choice(ROLES))}"
    if k == 6:
        return f"principal in {_e('Group', rng.choice(GROUPS))}"
    if k == 7:
        return f"resource in {_e('Folder', rng.choice(FOLDERS))}"
    if k == 8:
        return "resource.owner == principal"
    if k == 9:
        return f'resource.owner.dept == "{rng.choice(DEPTS)}"'
    if k == 10:
        return f'principal.tags.contains("{rng.choice(TAGS)}")'
    if k == 11:
        return f'["{rng.choice(DEPTS)}", "{rng.choice(DEPTS)}"].contains(resource.dept)'
    if k == 12:
        return f"resource has n && resource.n > {_long(rng)}"
    if k == 13:
        return f"resource.n > {_long(rng)}"  # errors where n is absent
    if k == 14:
        return f"context.hour < {rng.randint(0, 24)}"
    if k == 15:
        return f'resource.name like "{rng.choice(["a*", "*b", "a*c", "*"])}"'
    if k == 16:
        return f"resource.level + {_long(rng)} > principal.level * {rng.randint(-1, 2)}"
    if k == 17:
        return f"principal is {rng.choice(['User', 'Doc'])}"
    if k == 18:
        return f"resource.dept < {_long(rng)}"  # ill-typed: an error, the policy is skipped
    if k == 19:
        return f'principal.tags.containsAny(["{rng.choice(TAGS)}"]) || context.admin'
    if k == 20:
        return f"resource.owner in {_e('Group', rng.choice(GROUPS))}"
    return rng.choice(["true", "false"])


def _expr(rng: random.Random, depth: int) -> str:
    if depth <= 0 or rng.random() < 0.35:
        return _atom(rng)
    k = rng.randrange(4)
    if k == 0:
        return f"!({_expr(rng, depth - 1)})"
    if k == 1:
        return f"({_expr(rng, depth - 1)}) && ({_expr(rng, depth - 1)})"
    if k == 2:
        return f"({_expr(rng, depth - 1)}) || ({_expr(rng, depth - 1)})"
    return f"if {_expr(rng, depth - 1)} then {_expr(rng, depth - 1)} else {_expr(rng, depth - 1)}"


def _scope(rng: random.Random, var: str) -> str:
    k = rng.randrange(5)
    if var == "principal":
        return ["principal", f"principal in {_e('Role', rng.choice(ROLES))}",
                f"principal == {_e('User', f'u{rng.randrange(6)}')}", "principal is User",
                f"principal is User in {_e('Group', rng.choice(GROUPS))}"][k]  # fmt: skip
    if var == "action":
        return ["action", 'action == Action::"read"', 'action in [Action::"read", Action::"write"]',
                'action in Action::"all"', 'action == Action::"write"'][k]  # fmt: skip
    return ["resource", f"resource in {_e('Folder', rng.choice(FOLDERS))}", "resource is Doc",
            f"resource == {_e('Doc', f'd{rng.randrange(8)}')}", "resource"][k]  # fmt: skip


def _policy(rng: random.Random, i: int, body: str, scope: tuple[str, str, str]) -> str:
    effect = "forbid" if rng.random() < 0.3 else "permit"
    kind = "unless" if rng.random() < 0.25 else "when"
    return f'@id("p{i}")\n{effect} ({", ".join(scope)}) {kind} {{ {body} }};'


def decision_world(rng: random.Random, *, policies: int = 4, requests: int = 30) -> dict[str, Any]:
    """A policy set (Cedar text), entities (Cedar JSON) and requests (Cedar JSON request form)."""
    text = "\n".join(
        _policy(rng, i, _expr(rng, 3), (_scope(rng, "principal"), _scope(rng, "action"), _scope(rng, "resource")))
        for i in range(policies)
    )
    ents: list[dict[str, Any]] = []
    for f in FOLDERS:
        ents.append({"uid": {"type": "Folder", "id": f}, "attrs": {}, "parents": []})
    ents.append({"uid": {"type": "Folder", "id": "f3"}, "attrs": {}, "parents": [{"type": "Folder", "id": "f1"}]})
    ents = [e for e in ents if not (e["uid"]["id"] == "f3" and not e["parents"])]
    for a in ("read", "write", "all"):
        parents = [{"type": "Action", "id": "all"}] if a != "all" else []
        ents.append({"uid": {"type": "Action", "id": a}, "attrs": {}, "parents": parents})
    for i in range(6):
        parents = [{"type": "Role", "id": rng.choice(ROLES)}]
        if rng.random() < 0.5:
            parents.append({"type": "Group", "id": rng.choice(GROUPS)})
        tags = sorted(set(rng.choices(TAGS, k=rng.randint(0, 2))))
        ents.append({"uid": {"type": "User", "id": f"u{i}"}, "parents": parents,
                     "attrs": {"level": rng.randint(0, 4), "dept": rng.choice(DEPTS), "tags": tags}})  # fmt: skip
    for i in range(8):
        attrs: dict[str, Any] = {
            "level": rng.randint(0, 4), "dept": rng.choice(DEPTS), "public": rng.random() < 0.5,
            "owner": {"__entity": {"type": "User", "id": f"u{rng.randrange(6)}"}},
            "name": rng.choice(["abc", "ab", "b", "ac", "xbc"]),
        }  # fmt: skip
        if rng.random() < 0.5:
            attrs["n"] = rng.randint(0, 4)
        ents.append({"uid": {"type": "Doc", "id": f"d{i}"}, "attrs": attrs,
                     "parents": [{"type": "Folder", "id": rng.choice(FOLDERS)}]})  # fmt: skip
    reqs = []
    for _ in range(requests):
        ctx: dict[str, Any] = {"hour": rng.randint(0, 23)}
        if rng.random() < 0.7:
            ctx["admin"] = rng.random() < 0.3
        reqs.append({
            "principal": f'User::"u{rng.randrange(6)}"' if rng.random() < 0.9 else 'Doc::"d0"',
            "action": f'Action::"{rng.choice(["read", "write", "all"])}"',
            "resource": f'Doc::"d{rng.randrange(8)}"', "context": ctx,
        })  # fmt: skip
    return {"policies": text, "entities": ents, "requests": reqs}


# -- data filtering over the recruiting ``jobs`` entity -------------------------------------------------

STATUSES = ("draft", "open", "closed")
TYPES = ("full_time", "part_time", "contract", "intern")


@dataclass(frozen=True)
class JobRow:
    id: int
    title: str
    department_id: int
    status: str
    confidential: bool
    employment_type: str
    openings: int
    department_name: str


def job_rows(rng: random.Random, n: int, departments: dict[int, str]) -> list[JobRow]:
    """``n`` jobs with random attributes (ids assigned by the caller's insert order: 1..n)."""
    return [
        JobRow(0, rng.choice(["Engineer", "Analyst", "Designer"]), rng.choice(sorted(departments)),
               rng.choice(STATUSES), rng.random() < 0.4, rng.choice(TYPES), rng.randint(1, 4), "")
        for _ in range(n)
    ]  # fmt: skip


def _job_atom(rng: random.Random) -> str:  # noqa: PLR0911
    k = rng.randrange(11)
    if k == 0:
        return f'resource.status == "{rng.choice(STATUSES)}"'
    if k == 1:
        return f"resource.confidential == {rng.choice(['true', 'false'])}"
    if k == 2:
        return f"resource.openings {rng.choice(['<', '<=', '>', '>=', '==', '!='])} {rng.randint(0, 5)}"
    if k == 3:
        return f'["{rng.choice(TYPES)}", "{rng.choice(TYPES)}"].contains(resource.employment_type)'
    if k == 4:
        return "resource.confidential"
    if k == 5:
        return 'principal in Role::"admin"'
    if k == 6:
        return f'principal.role == "{rng.choice(["admin", "recruiter", "interviewer"])}"'
    if k == 7:
        return "principal has user_id && resource.openings <= principal.user_id"
    if k == 8:
        return f'resource.department.name == "{rng.choice(["Eng", "Ops"])}"'
    if k == 9:
        return f"resource.id {rng.choice(['<', '>=', '!='])} {rng.randint(1, 30)}"
    return "principal has user_id && resource.department_id == principal.user_id"


def _job_expr(rng: random.Random, depth: int) -> str:
    if depth <= 0 or rng.random() < 0.4:
        return _job_atom(rng)
    k = rng.randrange(4)
    if k == 0:
        return f"!({_job_expr(rng, depth - 1)})"
    if k == 1:
        return f"({_job_expr(rng, depth - 1)}) && ({_job_expr(rng, depth - 1)})"
    if k == 2:
        return f"({_job_expr(rng, depth - 1)}) || ({_job_expr(rng, depth - 1)})"
    return f"if {_job_expr(rng, depth - 1)} then {_job_expr(rng, depth - 1)} else {_job_expr(rng, depth - 1)}"


def filter_policies(rng: random.Random, n: int = 3) -> str:
    """``n`` policies on reading jobs (typed: they validate against the recruiting schema)."""
    out = []
    for i in range(n):
        effect = "forbid" if i and rng.random() < 0.35 else "permit"
        scope = rng.choice(["resource is jobs"] * 4 + ['resource == jobs::"2"'])
        kind = "unless" if rng.random() < 0.2 else "when"
        body = _job_expr(rng, 3)
        out.append(f'@id("f{i}")\n{effect} (principal, action == Action::"read", {scope}) {kind} {{ {body} }};')
    return "\n".join(out)
