"""Privacy guardrails: the classification registry, catalog and migration checks, field access,
disclosure control, log redaction, audit and data subject requests — all driven by one declaration."""

from pavedroad.privacy.access import DEFAULT_MATRIX, AccessMatrix, FieldAccessPolicy, RoleGrant
from pavedroad.privacy.audit import AuditEvent, RowHidden, arecord, arecord_denial, record, record_statements
from pavedroad.privacy.audit import search_statements as audit_search_statements
from pavedroad.privacy.catalog_snapshot import Catalog, read_catalog
from pavedroad.privacy.classification import Classification, join
from pavedroad.privacy.disclosure import Cell, plan_suppression, suppress_rows
from pavedroad.privacy.dsr import ErasureReport, erase_subject, export_subject, to_json
from pavedroad.privacy.findings import Finding
from pavedroad.privacy.holds import place_hold, release_holds
from pavedroad.privacy.isolation_check import check_tenant_setting_sources, run_catalog_check, scratch_database
from pavedroad.privacy.isolation_rules import DEFAULT_DEFINER_ALLOW_LIST, check_catalog
from pavedroad.privacy.migration_lint import run_migration_check
from pavedroad.privacy.migration_safety import MigrationFile, check_migration, check_migrations
from pavedroad.privacy.queries import Guardrails, ProtectedResult, aexplain_protected, arun_protected
from pavedroad.privacy.redaction import Redactor, install_redaction, redact_text
from pavedroad.privacy.registry import Registry, load_registry
from pavedroad.privacy.rows import RowRule, restrict
from pavedroad.privacy.shape import check_shape, sensitive_fields
from pavedroad.privacy.squawk import EXCLUDED_RULES, run_squawk
from pavedroad.privacy.warehouse_erase import erase_in_warehouse, reapply_erasures

__all__ = [
    "DEFAULT_DEFINER_ALLOW_LIST",
    "DEFAULT_MATRIX",
    "EXCLUDED_RULES",
    "AccessMatrix",
    "AuditEvent",
    "Catalog",
    "Cell",
    "Classification",
    "ErasureReport",
    "FieldAccessPolicy",
    "Finding",
    "Guardrails",
    "MigrationFile",
    "ProtectedResult",
    "Redactor",
    "Registry",
    "RoleGrant",
    "RowHidden",
    "RowRule",
    "aexplain_protected",
    "arecord",
    "arecord_denial",
    "arun_protected",
    "audit_search_statements",
    "check_catalog",
    "check_migration",
    "check_migrations",
    "check_shape",
    "check_tenant_setting_sources",
    "erase_in_warehouse",
    "erase_subject",
    "export_subject",
    "install_redaction",
    "join",
    "load_registry",
    "place_hold",
    "plan_suppression",
    "read_catalog",
    "reapply_erasures",
    "record",
    "record_statements",
    "redact_text",
    "release_holds",
    "restrict",
    "run_catalog_check",
    "run_migration_check",
    "run_squawk",
    "scratch_database",
    "sensitive_fields",
    "suppress_rows",
    "to_json",
]
