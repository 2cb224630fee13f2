-- pavedroad platform meta schema: the paved-road helpers every block's migrations call.
-- Tenant data lives in schema public; platform bookkeeping lives in pavedroad_meta.

CREATE SCHEMA IF NOT EXISTS pavedroad_meta;

-- scope_to_tenant(table): the one way a migration makes a table tenant data. It turns on row-level
-- security (ENABLE + FORCE, so even the owner is filtered), adds the RESTRICTIVE tenant policy on the
-- per-transaction setting app.tenant_id (unset => zero rows), and grants DML to the application role.
CREATE OR REPLACE FUNCTION pavedroad_meta.scope_to_tenant(target regclass) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', target);
    EXECUTE format('DROP POLICY IF EXISTS tenant_access ON %s', target);
    EXECUTE format(
        'CREATE POLICY tenant_isolation ON %s AS RESTRICTIVE FOR ALL TO PUBLIC '
        'USING (tenant_id = current_setting(''app.tenant_id'', true)) '
        'WITH CHECK (tenant_id = current_setting(''app.tenant_id'', true))', target);
    EXECUTE format(
        'CREATE POLICY tenant_access ON %s AS PERMISSIVE FOR ALL TO PUBLIC '
        'USING (tenant_id = current_setting(''app.tenant_id'', true)) '
        'WITH CHECK (tenant_id = current_setting(''app.tenant_id'', true))', target);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO pavedroad_app', target);
END
$fn$;
