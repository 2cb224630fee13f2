"""Tenancy: the principal, the one transaction factory that scopes every query to a tenant, the drivers that
run a path's statements in it (one colour per path), and API keys."""

from pavedroad.tenancy.drive import Execute, SqlSteps, adrive, drive, sync_facade
from pavedroad.tenancy.keys import (
    AUTH_CHANNEL,
    AuthCache,
    authenticate,
    authenticate_caller,
    cache_for,
    follow_revocations,
    hash_key,
    issue_key,
    issue_operator_key,
    parse_key,
)
from pavedroad.tenancy.operators import arecord_platform_action, issue_operator, list_operators, revoke_operator
from pavedroad.tenancy.principal import Caller, Operator, Principal, Role, audit_name
from pavedroad.tenancy.transaction import ENTER_TENANT_SQL, aset_tenant, atransaction, set_tenant, transaction

__all__ = [
    "AUTH_CHANNEL",
    "ENTER_TENANT_SQL",
    "AuthCache",
    "Caller",
    "Execute",
    "Operator",
    "Principal",
    "Role",
    "SqlSteps",
    "adrive",
    "arecord_platform_action",
    "aset_tenant",
    "atransaction",
    "audit_name",
    "authenticate",
    "authenticate_caller",
    "cache_for",
    "drive",
    "follow_revocations",
    "hash_key",
    "issue_key",
    "issue_operator",
    "issue_operator_key",
    "list_operators",
    "parse_key",
    "revoke_operator",
    "set_tenant",
    "sync_facade",
    "transaction",
]
