"""Hypothesis strategies: random *valid* queries over any semantic model (read from the model itself)."""

from __future__ import annotations

from hypothesis import strategies as st

from pavedroad.query import SemanticModel

_VALUES = {
    "string": st.sampled_from(["active", "hired", "Engineering", "Onsite", "x", "completed", "open"]),
    "int": st.integers(min_value=0, max_value=500),
    "number": st.integers(min_value=0, max_value=200_000),
    "timestamp": st.sampled_from(["2024-01-01", "2025-06-30T12:00:00+00:00"]),
    "date": st.sampled_from(["2024-01-01", "2026-01-31"]),
}


def _quote(v: object) -> str:
    return f'"{v}"' if isinstance(v, str) else str(v)


def fields(model: SemanticModel, entity: str, depth: int = 1) -> list[tuple[str, str]]:
    """(path, type) of usable fields on ``entity`` and its many-to-one neighbours."""
    ent = model.entities[entity]
    out: list[tuple[str, str]] = [(n, f.type) for n, f in ent.fields.items()
           if f.queryable and f.type in _VALUES | {"bool": None} and f.classification != "sensitive"]  # fmt: skip
    if depth:
        for rname, rel in ent.relations.items():
            target = model.entities[rel.entity]
            if rel.cardinality == "many_to_one" and target.queryable:
                out += [(f"{rname}.{p}", t) for p, t in fields(model, rel.entity, depth - 1)]
    return out


def many(model: SemanticModel, entity: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """One-to-many relations of ``entity`` with the related row's fields. A path through a relation is
    qualified by the relation's name (``interviews.stage.name``), so it never reads as the outer row's."""
    ent = model.entities[entity]
    out = []
    for r, rel in ent.relations.items():
        target = model.entities[rel.entity]
        if rel.cardinality != "one_to_many" or not target.queryable:
            continue
        qualify = r not in target.relations and r not in target.fields
        rfs = [(f"{r}.{p}" if "." in p else p, t) for p, t in fields(model, rel.entity, 1 if qualify else 0)]
        out.append((r, rfs))
    return out


@st.composite
def predicate(draw: st.DrawFn, fs: list[tuple[str, str]]) -> str:
    path, typ = draw(st.sampled_from(fs))
    if typ == "bool":
        return path if draw(st.booleans()) else f"not {path}"
    if draw(st.integers(0, 5)) == 0:
        return f"{path} is {'not ' if draw(st.booleans()) else ''}null"
    op = draw(st.sampled_from(["=", "!=", "<", ">=", "in"] if typ != "timestamp" else ["<", ">="]))
    if op == "in":
        items = draw(st.lists(_VALUES[typ], min_size=1, max_size=3))
        return f"{path} in ({', '.join(_quote(v) for v in items)})"
    return f"{path} {op} {_quote(draw(_VALUES[typ]))}"


@st.composite
def outer_condition(draw: st.DrawFn, rfs: list[tuple[str, str]], fs: list[tuple[str, str]]) -> list[str]:
    """Zero or one comparison of a related row's field with the outer row's (``status = outer.status``)."""
    pairs = [(p, q) for p, t in rfs for q, u in fs if t == u and t != "bool"]
    if not pairs:
        return []
    inner, outer = draw(st.sampled_from(pairs))
    return [f"{inner} {draw(st.sampled_from(['=', '!=']))} outer.{outer}"]


@st.composite
def outer_aggregate(
    draw: st.DrawFn, rels: list[tuple[str, list[tuple[str, str]]]], fs: list[tuple[str, str]], fn: str
) -> list[str]:
    """Zero or one relation aggregate used as a value whose condition reads the outer row (a lateral branch)."""
    if not rels or not draw(st.booleans()):
        return []
    rel, rfs = draw(st.sampled_from(rels))
    return [f"{fn}({rel}, {c})" for c in draw(outer_condition(rfs, fs))]


@st.composite
def valid_query(draw: st.DrawFn, model: SemanticModel) -> str:
    """A random well-formed query: filters, optional existence test, then a list view or an aggregate."""
    entity = draw(st.sampled_from(sorted(e for e, d in model.entities.items() if d.queryable and d.root)))
    fs = fields(model, entity)
    steps = [entity]
    for _ in range(draw(st.integers(0, 2))):
        joiner = draw(st.sampled_from([" and ", " or "]))
        steps.append(f"where {joiner.join(draw(st.lists(predicate(fs), min_size=1, max_size=2)))}")
    rels = many(model, entity)
    if rels and bool(draw(st.booleans())):
        rel, rfs = draw(st.sampled_from(rels))
        conds = [draw(predicate(rfs))] if rfs and bool(draw(st.booleans())) else []
        if draw(st.booleans()):
            conds += draw(outer_condition(rfs, fs))
        cond = f", {' and '.join(conds)}" if conds else ""
        steps.append(f"where {'not ' if draw(st.booleans()) else ''}any({rel}{cond})")
    numeric = [p for p, t in fs if t in ("int", "number")]
    groupable = [p for p, t in fs if t in ("string", "bool", "int")]
    if groupable and bool(draw(st.booleans())):
        keys = draw(st.lists(st.sampled_from(groupable), min_size=0, max_size=2, unique=True))
        aggs = ["n = count()"]
        if numeric:
            agg = draw(st.sampled_from(["sum", "min", "max", "avg", "count"]))
            aggs.append(f"m = {agg}({draw(st.sampled_from(numeric))})")
        if rels and bool(draw(st.booleans())):
            aggs.append(f"r = count({draw(st.sampled_from(rels))[0]})")
        aggs += [f"o = {x}" for x in draw(outer_aggregate(rels, fs, "count"))]
        if keys:
            steps.append("group " + ", ".join(f"g{i} = {k}" for i, k in enumerate(keys)))
        steps.append(f"aggregate {', '.join(aggs)}")
        if draw(st.booleans()):
            steps.append("where n > 0")
    else:
        cols = draw(st.lists(st.sampled_from([p for p, _ in fs]), min_size=1, max_size=4, unique=True))
        cols += draw(outer_aggregate(rels, fs, "any"))
        steps.append("select " + ", ".join(f"c{i} = {c}" for i, c in enumerate(cols)))
        steps.append("take 10000")
    return "\n| ".join(steps)
