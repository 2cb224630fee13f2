"""The Postgres store: versions, audit with diff/author/reason, one-call revert, overrides."""

from __future__ import annotations

import pytest

from pavedroad.flags import KILL, Actor, FlagClient, FlagRuntime, InvalidFlagSet
from pavedroad.flags.store import delete_flag, get_flag, history, load_state, put_flag, revert, set_override
from pavedroad.testing import TestDatabase

from .conftest import write


def test_load_state_as_the_app_role(store: TestDatabase) -> None:
    """The application role reads the whole flag set; flags are stamped with their hash version."""
    state = write(store.app_url, load_state())
    assert set(state.flag_set.flags) == {"new-ui", "banner"}
    assert state.flag_set.flags["new-ui"].metadata["pavedroad.hashVersion"] == "v2"
    assert "beta_tenants" in state.flag_set.evaluators
    assert state.version >= 2


def test_every_change_is_audited_with_a_diff(store: TestDatabase) -> None:
    flag = write(store.owner_url, get_flag("banner"))
    flag["defaultVariant"] = "b"
    version = write(store.owner_url, put_flag("banner", flag, actor=Actor.platform("ana"), reason="say bye"))
    entries = write(store.owner_url, history("banner"))
    latest = entries[0]
    assert (latest.version, latest.author, latest.reason, latest.action) == (version, "ana", "say bye", "set")
    assert {"path": "defaultVariant", "before": "a", "after": "b"} in latest.diff
    assert entries[-1].action == "create"


def test_revert_undoes_the_last_change(store: TestDatabase) -> None:
    before = write(store.owner_url, get_flag("banner"))
    changed = {**before, "state": "DISABLED"}
    write(store.owner_url, put_flag("banner", changed, actor=Actor.platform("ana"), reason="kill"))
    write(store.owner_url, revert("banner", actor=Actor.platform("bo"), reason="false alarm"))
    assert write(store.owner_url, get_flag("banner")) == before
    latest = write(store.owner_url, history("banner"))[0]
    assert latest.action == "revert"
    assert "revert of change" in latest.reason


def test_revert_of_a_delete_restores_the_flag(store: TestDatabase) -> None:
    before = write(store.owner_url, get_flag("banner"))
    write(store.owner_url, delete_flag("banner", actor=Actor.platform("ana"), reason="cleanup"))
    assert "banner" not in write(store.owner_url, load_state()).flag_set.flags
    write(store.owner_url, revert("banner", actor=Actor.platform("ana"), reason="still used"))
    assert write(store.owner_url, get_flag("banner")) == before


def test_invalid_changes_are_refused_and_nothing_is_written(store: TestDatabase) -> None:
    version = write(store.owner_url, load_state()).version
    with pytest.raises(InvalidFlagSet):
        write(
            store.owner_url,
            put_flag("bad", {"state": "ENABLED", "variants": {}}, actor=Actor.platform("a"), reason="r"),
        )
    bad = {"state": "ENABLED", "variants": {"on": True}, "targeting": {"nope": []}}
    with pytest.raises(InvalidFlagSet):
        write(store.owner_url, put_flag("bad", bad, actor=Actor.platform("a"), reason="r"))
    with pytest.raises(InvalidFlagSet, match="author and a reason"):
        write(
            store.owner_url,
            put_flag("x", {"state": "ENABLED", "variants": {"on": True}}, actor=Actor.platform("a"), reason=""),
        )
    assert write(store.owner_url, load_state()).version == version


def test_tenant_kill_switch_and_override_are_audited_and_revertible(store: TestDatabase) -> None:
    write(
        store.owner_url,
        set_override("acme", "new-ui", variant=None, killed=True, actor=Actor.platform("ops"), reason="incident"),
    )
    write(
        store.owner_url,
        set_override("globex", "new-ui", variant="on", killed=False, actor=Actor.platform("pm"), reason="beta"),
    )
    state = write(store.app_url, load_state())
    assert state.overrides["new-ui"] == {"acme": KILL, "globex": "on"}
    client = FlagClient(FlagRuntime(state=state))
    assert client.enabled("new-ui", {"tenant": "acme"}, default=False) is False
    assert client.enabled("new-ui", {"tenant": "globex"}) is True
    write(store.owner_url, revert("new-ui", actor=Actor.platform("pm"), reason="beta over"))
    assert write(store.app_url, load_state()).overrides["new-ui"] == {"acme": KILL}
    with pytest.raises(InvalidFlagSet):
        write(
            store.owner_url,
            set_override("acme", "new-ui", variant="nope", killed=False, actor=Actor.platform("a"), reason="r"),
        )
