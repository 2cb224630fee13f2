"""Tenancy: the principal and the one transaction factory that scopes every query to a tenant."""

from pavedroad.tenancy.principal import Principal, Role
from pavedroad.tenancy.transaction import ENTER_TENANT_SQL, aset_tenant, atransaction, set_tenant, transaction

__all__ = ["ENTER_TENANT_SQL", "Principal", "Role", "aset_tenant", "atransaction", "set_tenant", "transaction"]
