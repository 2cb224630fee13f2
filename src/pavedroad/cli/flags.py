"""``pavedroad flags``: list, show, set, ramp, kill, revert, lint, eval.

Changes go to the flag store (Postgres, as the owner) with an author and a reason, are audited, and reach
running processes within a second. Whoever holds the owner database URL is a platform operator: the CLI
acts as the platform (``Actor.platform``), on any flag and any tenant's override. ``lint`` and ``eval``
also work on a flagd file (``--file``) with no database at all.
"""

from __future__ import annotations

import getpass
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from pavedroad.cli.common import console, friendly_errors, settings
from pavedroad.errors import InvalidInput

if TYPE_CHECKING:
    from pavedroad.flags import Actor

app = typer.Typer(help="Feature flags: flagd-format flags with ramps, kill switches and an audit trail.")

AuthorOpt = Annotated[str, typer.Option("--author", help="Who makes the change (default: your login).")]
ReasonOpt = Annotated[str, typer.Option("--reason", "-r", help="Why (recorded in the audit trail).")]
FileOpt = Annotated[Path | None, typer.Option("--file", "-f", help="A flagd flag file instead of the store.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _actor(author: str) -> Actor:
    """The platform actor of a CLI change (the CLI runs with the owner database URL)."""
    from pavedroad.flags import Actor

    return Actor.platform(author or getpass.getuser())


@contextmanager
def _store() -> Iterator[Any]:
    """An owner connection to the migrated store (starting the embedded server if needed)."""
    import psycopg

    from pavedroad.stack import start_stack

    stack = start_stack(settings(), with_nats=False)
    try:
        with psycopg.connect(stack.owner_url) as conn:
            yield conn
    finally:
        stack.stop()


def _do(conn: Any, op: Any) -> Any:
    from pavedroad.flags.store import run

    with conn.transaction():
        return run(conn, op)


def _load(file: Path | None) -> tuple[Any, dict[str, float]]:
    """(StoreState, flag key -> last change time) from a file or the store."""
    from pavedroad.flags import StoreState, parse_flag_set

    if file is not None:
        try:
            doc = json.loads(file.read_text())
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"cannot read {file}: {exc}", hint="pass a flagd JSON flag file") from None
        return StoreState(0, parse_flag_set(doc, allow_array=True)), {}
    from pavedroad.flags.store import load_state

    with _store() as conn:
        state = _do(conn, load_state())
        rows = conn.execute("select key, extract(epoch from updated_at) from pavedroad_meta.flags").fetchall()
    return state, {k: float(t) for k, t in rows}


@app.command("list")
@friendly_errors
def list_flags(file: FileOpt = None, as_json: JsonOpt = False) -> None:
    """List flags: state, type, default, ramp position, owner, expiry."""
    from pavedroad.flags import compile_snapshot

    state, _ = _load(file)
    snap = compile_snapshot(state.flag_set, overrides=state.overrides)
    now = time.time()
    rows = []
    for key, flag in sorted(snap.flags.items()):
        step, percent = flag.ramp_percent(now)
        rows.append({
            "key": key, "state": flag.flag.state, "type": flag.kind, "default": flag.flag.defaultVariant,
            "ramp": f"{percent:g}% (step {step})" if flag.meta.schedule else "", "owner": flag.meta.owner or "",
            "expires": str(flag.meta.expires or ""), "overrides": len(state.overrides.get(key, {})),
        })  # fmt: skip
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table(title=f"{len(rows)} flag(s) at version {state.version}")
    for col in ("key", "state", "type", "default", "ramp", "owner", "expires", "overrides"):
        table.add_column(col)
    for r in rows:
        table.add_row(*(str(v) for v in r.values()))
    console.print(table)


@app.command()
@friendly_errors
def show(key: str, as_json: JsonOpt = False) -> None:
    """Show one flag: its flagd JSON, ramp position, tenant overrides and recent history."""
    from pavedroad.flags import ramp_position
    from pavedroad.flags.store import get_flag, history, load_state

    with _store() as conn:
        definition = _do(conn, get_flag(key))
        overrides = _do(conn, load_state()).overrides.get(key, {})
        entries = _do(conn, history(key, 10))
    body = {
        "key": key,
        "definition": definition,
        "ramp": ramp_position(key, definition, time.time()).to_json(),
        "overrides": {t: ("KILLED" if v.startswith("\x00") else v) for t, v in overrides.items()},
        "history": [e.to_json() for e in entries],
    }
    if as_json:
        console.print(json.dumps(body, default=str), highlight=False, soft_wrap=True)
    else:
        console.print_json(json.dumps(body, default=str))


@app.command("set")
@friendly_errors
def set_flag(
    key: Annotated[str | None, typer.Argument(help="Flag key; omit with --file to import a whole flag set.")] = None,
    file: FileOpt = None,
    definition: Annotated[str | None, typer.Option("--json", help="The flag's flagd JSON inline.")] = None,
    reason: ReasonOpt = "",
    author: AuthorOpt = "",
) -> None:
    """Create or replace a flag (``--json``), or import a flagd file (``--file``); validated first."""
    from pavedroad.flags import require_valid
    from pavedroad.flags.store import import_flag_set, put_flag

    if definition is not None:
        if key is None:
            raise InvalidInput("--json needs a flag key", hint="pavedroad flags set KEY --json '{...}' -r why")
        try:
            doc = json.loads(definition)
        except ValueError as exc:
            raise InvalidInput(f"--json is not JSON: {exc}", hint="quote the JSON for your shell") from None
        with _store() as conn:
            version = _do(conn, put_flag(key, doc, actor=_actor(author), reason=reason))
    elif file is not None:
        flag_set = require_valid(json.loads(file.read_text()), allow_array=True)
        if key is not None:
            if key not in flag_set.flags:
                raise InvalidInput(f"{file} has no flag {key!r}", hint=f"flags in it: {', '.join(flag_set.flags)}")
            flag_set = flag_set.model_copy(update={"flags": {key: flag_set.flags[key]}})
        with _store() as conn:
            version = _do(conn, import_flag_set(flag_set, actor=_actor(author), reason=reason))
    else:
        raise InvalidInput("nothing to set", hint="pass --json '{...}' or --file flags.json")
    console.print(f"published (store version {version})" if version else "no change")


def _subjects(conn: Any, stickiness: str) -> list[dict[str, Any]]:
    """Every tenant (and, for user stickiness, every active user) as an evaluation context."""
    tenants = [r[0] for r in conn.execute("select tenant_id from tenants order by tenant_id").fetchall()]
    if stickiness == "tenant":
        return [{"tenant": t, "targetingKey": t} for t in tenants]
    from pavedroad.tenancy import Principal, Role, set_tenant

    subjects = []
    for t in tenants:
        with conn.transaction():
            set_tenant(conn, Principal(t, None, Role.ADMIN))
            for uid, role in conn.execute("select id, role from users where tenant_id = %s and active", (t,)):
                subjects.append({"tenant": t, "targetingKey": f"{t}:{uid}", "role": role})
    return subjects


@app.command()
@friendly_errors
def ramp(  # noqa: PLR0917 - Typer maps each option to a parameter
    key: str,
    schedule: Annotated[str | None, typer.Argument(help="New schedule, e.g. '1%:1h,5%:4h,25%:1d,100%'.")] = None,
    to: Annotated[int | None, typer.Option("--to", help="Pin the ramp at this step index (-1 = 0%).")] = None,
    back: Annotated[bool, typer.Option("--back", help="Roll back to the last safe step (guard turns red).")] = False,
    guard: Annotated[str | None, typer.Option("--guard", help="Set the guard: green or red.")] = None,
    rollout: Annotated[str | None, typer.Option("--rollout", help="Treatment split, e.g. 'blue:1,green:1'.")] = None,
    preview: Annotated[bool, typer.Option("--preview", help="Only count who would flip; publish nothing.")] = False,
    reason: ReasonOpt = "",
    author: AuthorOpt = "",
) -> None:
    """Start, move, guard or roll back a flag's ramp; prints who flips (tenants, users) first."""
    from pavedroad.cli.humanize import ramp_position_for_people
    from pavedroad.flags import Flag, ramp_position
    from pavedroad.flags.control import move_ramp, rollback_ramp, set_ramp, update_ramp
    from pavedroad.flags.preview import who_flips
    from pavedroad.flags.store import Op, get_flag, load_state

    now = time.time()
    who = _actor(author)
    ops: list[Callable[[], Op]] = []
    if schedule is not None:
        ops.append(lambda: set_ramp(key, schedule, rollout=rollout, guard=guard == "green", actor=who,
                                    reason=reason, now=now))  # fmt: skip
    if to is not None:
        ops.append(lambda: move_ramp(key, to, actor=who, reason=reason, now=now))
    if back:
        ops.append(lambda: rollback_ramp(key, actor=who, reason=reason, now=now))
    if guard is not None and schedule is None:
        ops.append(lambda: update_ramp(key, guard=guard, actor=who, reason=reason, now=now))
    with _store() as conn:
        before = _do(conn, get_flag(key))
        if not ops:
            console.print_json(json.dumps(ramp_position_for_people(ramp_position(key, before, now).to_json(), now)))
            return
        # Apply inside a transaction that is rolled back, to preview the exact result.
        tx = conn.transaction(force_rollback=True)
        with tx:
            from pavedroad.flags.store import run

            for make in ops:
                run(conn, make())
            after = run(conn, get_flag(key))
            evaluators = run(conn, load_state()).flag_set.evaluators
        b, a = Flag.model_validate(before), Flag.model_validate(after)
        stick = a.metadata.get("pavedroad.stickiness", "tenant")
        report = who_flips(key, b, a, _subjects(conn, str(stick)), now=now, evaluators=evaluators)
        console.print(f"who flips: {json.dumps(report.to_json(), ensure_ascii=False)}")
        if preview:
            return
        with conn.transaction():
            from pavedroad.flags.store import run

            for make in ops:
                run(conn, make())
        position = ramp_position(key, _do(conn, get_flag(key)), now).to_json()
        console.print_json(json.dumps(ramp_position_for_people(position, now)))


@app.command()
@friendly_errors
def kill(
    key: str,
    tenant: Annotated[str | None, typer.Option("--tenant", "-t", help="Kill for this tenant only.")] = None,
    off: Annotated[bool, typer.Option("--off", help="Lift the kill switch instead.")] = False,
    reason: ReasonOpt = "",
    author: AuthorOpt = "",
) -> None:
    """Kill switch: the flag serves the code default everywhere (or for one tenant) until lifted."""
    from pavedroad.flags.store import get_flag, put_flag, set_override

    with _store() as conn:
        if tenant is not None:
            op = set_override(tenant, key, variant=None, killed=not off, actor=_actor(author), reason=reason,
                              action="unkill" if off else "kill")  # fmt: skip
        else:
            definition = _do(conn, get_flag(key))
            state = "ENABLED" if off else "DISABLED"
            op = put_flag(key, {**definition, "state": state}, actor=_actor(author), reason=reason,
                          action="unkill" if off else "kill")  # fmt: skip
        version = _do(conn, op)
    console.print(f"{'lifted' if off else 'killed'} {key}{f' for {tenant}' if tenant else ''} (version {version})")


@app.command()
@friendly_errors
def revert(
    key: str,
    change: Annotated[int | None, typer.Option("--change", help="Audit entry id to undo (default: latest).")] = None,
    reason: ReasonOpt = "",
    author: AuthorOpt = "",
) -> None:
    """Undo the latest change of a flag (or a given audit entry) as a new, audited change."""
    from pavedroad.flags.store import revert as revert_op

    with _store() as conn:
        version = _do(conn, revert_op(key, actor=_actor(author), reason=reason or "revert", audit_id=change))
    console.print(f"reverted {key} (version {version})" if version else "nothing to revert: already as before")


@app.command()
@friendly_errors
def lint(
    file: FileOpt = None,
    src: Annotated[
        list[Path] | None, typer.Option("--src", help="Source roots to scan for flag keys (default: ./src if present).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Find invalid and stale flags: past expiry, fully on for weeks, unreferenced in code. Exit 1 if any."""
    from pavedroad.flags.lint import find_references, lint_flag_set

    state, changed = _load(file)
    roots = src or ([Path("src")] if Path("src").is_dir() else [])
    refs = find_references(state.flag_set.flags, roots) if roots else None
    findings = lint_flag_set(state.flag_set, now=time.time(), changed_at=changed, references=refs)
    if as_json:
        console.print_json(json.dumps([{"key": f.key, "kind": f.kind, "message": f.message} for f in findings]))
    else:
        for f in findings:
            console.print(f"[bold]{f.key}[/] [yellow]{f.kind}[/] {f.message}", highlight=False)
        console.print(f"{len(findings)} finding(s) in {len(state.flag_set.flags)} flag(s)")
    if findings:
        raise typer.Exit(1)


@app.command("eval")
@friendly_errors
def eval_flag(
    key: str,
    ctx: Annotated[str, typer.Option("--ctx", "-c", help='Context JSON, e.g. \'{"tenant": "acme"}\'.')] = "{}",
    default: Annotated[str, typer.Option("--default", help="Caller default (JSON).")] = "false",
    file: FileOpt = None,
) -> None:
    """Evaluate one flag for a context and print value, variant, reason and error code."""
    from pavedroad.flags import FlagClient, FlagRuntime

    try:
        context, fallback = json.loads(ctx), json.loads(default)
    except ValueError as exc:
        raise InvalidInput(f"--ctx/--default must be JSON: {exc}", hint='e.g. --ctx \'{"tenant": "acme"}\'') from None
    state, _ = _load(file)
    r = FlagClient(FlagRuntime(state=state)).details(key, fallback, context)
    console.print_json(json.dumps({"key": key, "value": r.value, "variant": r.variant, "reason": r.reason,
                                   "error_code": r.error_code, "error_message": r.error_message}))  # fmt: skip
