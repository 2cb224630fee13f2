"""The index advisor's driver: propose indexes for a suite, measure each in a scratch transaction.

For every candidate (``advisor.candidates``) not already covered by an existing index, one transaction
on the owner connection creates it (plain ``CREATE INDEX``; ``ANALYZE`` of the table when it is an
expression index, so the planner has statistics for the expression), re-plans the suite as the app
role under the tenant, and rolls back. Guarantee: nothing the advisor creates survives it; the gain is
the drop in the planner's estimated cost over the suite (deterministic for the same data), and with
``analyze`` also the measured execution time. While a candidate is measured its table is locked against
writes (``CREATE INDEX`` takes a SHARE lock): run it on staging or a restored copy, not a busy primary.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from psycopg import sql

from pavedroad.query import SemanticModel
from pavedroad.querytools.advisor import IndexCandidate, candidates
from pavedroad.querytools.scratch import CompiledCase, compile_suite, plan_all
from pavedroad.querytools.suite import SuiteQuery

__all__ = ["Advice", "Proposal", "advise", "index_ddl"]


@dataclass(frozen=True, slots=True)
class Proposal:
    candidate: IndexCandidate
    cost_before: float
    cost_after: float
    queries: tuple[str, ...]  # suite queries whose estimated cost dropped
    ms_before: float | None = None
    ms_after: float | None = None
    ddl: str = ""
    slower: tuple[str, ...] = ()  # with analyze: queries that ran >25 % (and >0.5 ms) slower with the index

    @property
    def gain(self) -> float:
        """Fraction of the suite's estimated cost the index removes."""
        return 0.0 if self.cost_before <= 0 else (self.cost_before - self.cost_after) / self.cost_before


@dataclass
class Advice:
    tenant: str
    proposals: list[Proposal]
    skipped: dict[str, str] = field(default_factory=dict)  # candidate label or query name -> why
    cost_before: float = 0.0
    cost_after_all: float = 0.0


def index_ddl(c: IndexCandidate, *, concurrently: bool = True) -> sql.Composed:
    """``CREATE INDEX [CONCURRENTLY] IF NOT EXISTS`` for ``c``: identifiers quoted, values as literals."""
    keys: list[sql.Composable] = []
    for k in c.keys:
        if k.json_key is None:
            keys.append(sql.Identifier(k.column))
        elif k.cast is None:
            keys.append(sql.SQL("({} ->> {})").format(sql.Identifier(k.column), sql.Literal(k.json_key)))
        else:  # the cast comes from advisor._CASTS, a fixed table
            keys.append(
                sql.SQL("(({} ->> {})::" + k.cast + ")").format(sql.Identifier(k.column), sql.Literal(k.json_key))
            )
    stmt = sql.SQL("CREATE INDEX {}IF NOT EXISTS {} ON {} ({})").format(
        sql.SQL("CONCURRENTLY " if concurrently else ""), sql.Identifier(c.name), sql.Identifier(c.table),
        sql.SQL(", ").join(keys),
    )  # fmt: skip
    if c.where:
        preds = [sql.SQL("{} = {}").format(sql.Identifier(col), sql.Literal(v)) for col, v in c.where]
        stmt = stmt + sql.SQL(" WHERE ") + sql.SQL(" AND ").join(preds)
    return stmt


# Why JSONB expression indexes rarely pay off here: under row-level security the planner may use a user
# condition as an index condition only if every function in it is LEAKPROOF, and ``->>`` and the casts
# are not (a bad value raises an error that would leak it), so the app role's plans cannot use them.
_RLS_NOTE = (
    "measured gain {gain:.1%}: under row-level security the app role's plans cannot use a JSONB expression"
    " index (->> and its cast are not LEAKPROOF); promote the field to a real column to index it"
)

_COLS = re.compile(r"USING \w+ \((.*)\)(?: WHERE .*)?$")


def _existing(conn: psycopg.Connection) -> dict[str, list[list[str]]]:
    """Table -> key column lists of its full (non-partial) indexes, plain columns only."""
    out: dict[str, list[list[str]]] = {}
    for table, ddl in conn.execute("select tablename, indexdef from pg_indexes where schemaname = 'public'"):
        m = _COLS.search(ddl)
        if m and " WHERE " not in ddl:
            out.setdefault(table, []).append([c.strip() for c in m.group(1).split(",")])
    return out


def _covered(c: IndexCandidate, existing: dict[str, list[list[str]]]) -> bool:
    if c.where or any(k.json_key for k in c.keys):
        return False
    cols = [k.column for k in c.keys]
    return any(idx[: len(cols)] == cols for idx in existing.get(c.table, []))


def _costs(conn: psycopg.Connection, tenant: str, tz: str, cases: list[CompiledCase], *, analyze: bool,
           reps: int) -> tuple[dict[str, float], dict[str, float]]:  # fmt: skip
    cost: dict[str, float] = {}
    ms: dict[str, list[float]] = {}
    for _ in range(reps if analyze else 1):
        for name, plan in plan_all(conn, tenant, tz, cases, analyze=analyze).items():
            cost[name] = plan.total_cost or 0.0
            ms.setdefault(name, []).append(plan.execution_ms or 0.0)
    return cost, {n: statistics.median(x) for n, x in ms.items()}


def _measure(conn: psycopg.Connection, tenant: str, tz: str, cases: list[CompiledCase], indexes: list[IndexCandidate],
             *, analyze: bool, reps: int) -> tuple[dict[str, float], dict[str, float]]:  # fmt: skip
    with conn.transaction(force_rollback=True):
        for c in indexes:
            conn.execute(index_ddl(c, concurrently=False))
        for table in sorted({c.table for c in indexes if any(k.json_key for k in c.keys)}):
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
        return _costs(conn, tenant, tz, cases, analyze=analyze, reps=reps)


def advise(
    owner_url: str,
    tenant: str,
    suite: list[SuiteQuery],
    *,
    model: SemanticModel,
    now: datetime,
    min_gain: float = 0.01,
    analyze: bool = False,
    reps: int = 3,
) -> Advice:
    """Candidates for every suite query, each measured alone; those that cut the suite's cost by at least
    ``min_gain`` are proposed, best first, and measured once more all together (``cost_after_all``).
    A lower estimate can still run slower: with ``analyze``, ``Proposal.slower`` names such queries."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        schema, cases, errors = compile_suite(conn, tenant, suite, model=model, now=now)
        existing = _existing(conn)
        advice = Advice(tenant, [], {name: f"does not compile: {e}" for name, e in errors.items()})
        found: dict[str, IndexCandidate] = {}
        for case in cases:
            for c in candidates(case.trace, model):
                if _covered(c, existing):
                    advice.skipped.setdefault(c.label, "an existing index already leads with these columns")
                else:
                    found.setdefault(c.name, c)
        base_cost, base_ms = _measure(conn, tenant, schema.time_zone, cases, [], analyze=analyze, reps=reps)
        advice.cost_before = sum(base_cost.values())
        for c in found.values():
            cost, ms = _measure(conn, tenant, schema.time_zone, cases, [c], analyze=analyze, reps=reps)
            after = sum(cost.values())
            better = tuple(n for n in cost if cost[n] < base_cost[n] * 0.999)
            slower = tuple(n for n in ms if ms[n] > base_ms[n] * 1.25 and ms[n] - base_ms[n] > 0.5) if analyze else ()
            proposal = Proposal(c, advice.cost_before, after, better,
                                sum(base_ms.values()) if analyze else None, sum(ms.values()) if analyze else None,
                                index_ddl(c).as_string(conn) + ";", slower)  # fmt: skip
            if proposal.gain >= min_gain:
                advice.proposals.append(proposal)
            elif any(k.json_key for k in c.keys):
                advice.skipped.setdefault(c.label, _RLS_NOTE.format(gain=proposal.gain))
            else:
                advice.skipped.setdefault(c.label, f"measured gain {proposal.gain:.1%} is below {min_gain:.0%}")
        advice.proposals.sort(key=lambda p: -p.gain)
        chosen = [p.candidate for p in advice.proposals]
        all_cost, _ = (
            _measure(conn, tenant, schema.time_zone, cases, chosen, analyze=False, reps=1)
            if chosen
            else (base_cost, {})
        )
        advice.cost_after_all = sum(all_cost.values())
    return advice
