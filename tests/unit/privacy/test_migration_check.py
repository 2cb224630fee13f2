"""``guard migrations`` end to end (squawk included): the real migrations pass, unsafe ones fail."""

from __future__ import annotations

from pathlib import Path

from pavedroad.db import source_from_dir
from pavedroad.privacy import EXCLUDED_RULES, run_migration_check
from pavedroad.stack import all_migration_sources


def test_the_real_migrations_are_online_safe() -> None:
    assert [f.render() for f in run_migration_check(all_migration_sources())] == []


def test_unsafe_steps_in_a_later_migration_fail(tmp_path: Path) -> None:
    (tmp_path / "0002_change.sql").write_text(
        "CREATE INDEX jobs_title ON jobs (tenant_id, title);\n"
        "ALTER TABLE jobs ADD CONSTRAINT jobs_department_fk FOREIGN KEY (tenant_id, department_id)"
        " REFERENCES departments (tenant_id, id);\n"
        "ALTER TABLE jobs DROP COLUMN title;\n"
    )
    sources = [*all_migration_sources(), source_from_dir("later", tmp_path)]
    everything = run_migration_check(sources, model_columns={("jobs", "title")})
    findings = [f for f in everything if f.subject.startswith("later:0002_change.sql:")]
    codes = [f.code for f in findings]
    assert "M201" in codes  # our rule: non-concurrent index on an existing table
    assert "M204" in codes  # our rule: the model still uses jobs.title
    assert any("squawk" in f.message and "foreign" in f.message.lower() for f in findings)  # squawk's rule


def test_every_excluded_squawk_rule_has_a_reason() -> None:
    assert all(len(reason) > 20 for reason in EXCLUDED_RULES.values())
