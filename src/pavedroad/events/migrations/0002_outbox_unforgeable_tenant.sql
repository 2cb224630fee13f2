-- The outbox's restrictive tenant policy checks the unforgeable tenant (platform 0002) like every tenant
-- table, still admitting the relay by name.
DROP POLICY IF EXISTS tenant_isolation ON event_outbox;
CREATE POLICY tenant_isolation ON event_outbox AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT pavedroad_meta.current_tenant()) OR current_user = 'pavedroad_relay')
    WITH CHECK (tenant_id = (SELECT pavedroad_meta.current_tenant()) OR current_user = 'pavedroad_relay');
