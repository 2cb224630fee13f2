-- Who acted, as well as on what: actor_tenant is the tenant of the author (a tenant admin changing its
-- own override), NULL for a platform operator (the CLI, the canary controller, an operator key). A
-- tenant's view of a flag's history shows its own entries in full and platform entries without the
-- operator's name or free-text reason; other tenants' entries not at all.
ALTER TABLE pavedroad_meta.flag_audit ADD COLUMN actor_tenant text;
UPDATE pavedroad_meta.flag_audit SET actor_tenant = tenant_id
 WHERE tenant_id IS NOT NULL AND starts_with(author, tenant_id || ':');
