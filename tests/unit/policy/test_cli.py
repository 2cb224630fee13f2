"""``pavedroad policy who-can | diff | test``: answers from the same engine the guard uses."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pavedroad.cli.main import app
from pavedroad.recruiting.policies import recruiting_policies

TENANT = """@id("acme.confidential-jobs")
forbid (principal, action == Action::"read", resource is jobs)
when { resource.confidential } unless { principal in Role::"admin" };
"""


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_who_can_see_salaries() -> None:
    out = CliRunner().invoke(app, ["policy", "who-can", "read", "offers.salary", "--json"])
    assert out.exit_code == 0, out.output
    allowed = {r["role"]: (r["allowed"], r["policy_ids"]) for r in _lines(out.output)}
    assert allowed == {
        "admin": (True, ["fields.admin"]), "recruiter": (True, ["fields.staff"]),
        "hiring_manager": (False, ["fields.compensation"]), "interviewer": (False, ["fields.compensation"]),
        "compliance": (False, ["fields.compensation"]),
    }  # fmt: skip


def test_who_can_shows_a_tenants_row_condition(tmp_path: Path) -> None:
    (tmp_path / "t.cedar").write_text(TENANT)
    out = CliRunner().invoke(app, ["policy", "who-can", "read", "jobs.title", "--tenant-policies",
                                   str(tmp_path / "t.cedar"), "--json"])  # fmt: skip
    rows = {r["role"]: r["rows"] for r in _lines(out.output)}
    assert rows["admin"] is True
    assert rows["recruiter"] == {"op": "not", "args": [{"field": "confidential"}]}


def test_diff_names_what_a_role_loses(tmp_path: Path) -> None:
    before = tmp_path / "before.cedar"
    before.write_text(recruiting_policies().platform.text)
    after = tmp_path / "after.cedar"
    after.write_text(
        recruiting_policies().platform.text.replace(
            'principal in Role::"compliance",\n', 'principal in Role::"admin",\n'
        )
    )
    out = CliRunner().invoke(app, ["policy", "diff", str(before), str(after), "--json"])
    assert out.exit_code == 1
    assert {(c["change"], c["role"], c["action"]) for c in _lines(out.output)} == {
        ("lost", "compliance", "audit.read"), ("lost", "compliance", "privacy.export"),
        ("lost", "compliance", "privacy.erase"),
    }  # fmt: skip
    same = CliRunner().invoke(app, ["policy", "diff", str(before), str(before)])
    assert same.exit_code == 0
    assert "no change in access" in same.output


def test_policy_tests_pass_and_fail(tmp_path: Path) -> None:
    (tmp_path / "t.cedar").write_text(TENANT)
    case = "  - {name: %s, principal: {role: recruiter, user_id: 3}, action: read, expect: %s,\n" \
           "     resource: {type: jobs, id: '5', attrs: {confidential: true}}}\n"  # fmt: skip
    (tmp_path / "ok.yaml").write_text("policies: t.cedar\ncases:\n" + case % ("hidden", "deny"))
    (tmp_path / "bad.yaml").write_text("policies: t.cedar\ncases:\n" + case % ("shown", "allow"))
    ok = CliRunner().invoke(app, ["policy", "test", str(tmp_path / "ok.yaml")])
    assert ok.exit_code == 0, ok.output
    assert "1 passed, 0 failed" in ok.output
    bad = CliRunner().invoke(app, ["policy", "test", str(tmp_path / "bad.yaml"), "--json"])
    assert bad.exit_code == 1
    assert _lines(bad.output)[0]["policy_ids"] == ["acme.confidential-jobs"]


def test_a_bad_field_is_a_clear_error() -> None:
    out = CliRunner().invoke(app, ["policy", "who-can", "read", "offers.nope"])
    assert out.exit_code == 2
    assert "unknown field 'offers.nope'" in out.output
