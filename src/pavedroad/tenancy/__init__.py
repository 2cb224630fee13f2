"""Tenancy: the principal and the one transaction factory that scopes every query to a tenant."""

from pavedroad.tenancy.principal import Principal, Role
from pavedroad.tenancy.transaction import SET_CONTEXT_SQL, atransaction, context_params, transaction

__all__ = ["SET_CONTEXT_SQL", "Principal", "Role", "atransaction", "context_params", "transaction"]
