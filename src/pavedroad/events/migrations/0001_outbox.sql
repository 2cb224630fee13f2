-- The transactional outbox, the consumer inbox and the relay's role.
--
-- event_outbox is tenant data (payloads name candidates), so it is scoped with row-level security like
-- every tenant table. The relay must read across tenants: it runs as the dedicated role
-- pavedroad_relay (NOLOGIN here; the relay process connects as the owner and SET ROLEs to it, or an
-- operator gives it LOGIN and a password). pavedroad_relay is not BYPASSRLS either: the restrictive
-- tenant policy admits it by name, and permissive policies scoped TO pavedroad_relay let it read,
-- mark delivered and prune. pavedroad_app may only append (INSERT) and read its own tenant's rows.

DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pavedroad_relay') THEN
        CREATE ROLE pavedroad_relay NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
    END IF;
    IF NOT pg_has_role(current_user, 'pavedroad_relay', 'MEMBER') THEN
        EXECUTE format('GRANT pavedroad_relay TO %I', current_user);
    END IF;
END
$roles$;

GRANT USAGE ON SCHEMA pavedroad_meta TO pavedroad_app, pavedroad_relay;
GRANT USAGE ON SCHEMA public TO pavedroad_relay;

CREATE SEQUENCE pavedroad_meta.event_outbox_seq AS bigint CACHE 1;
GRANT USAGE ON SEQUENCE pavedroad_meta.event_outbox_seq TO pavedroad_app;

-- The relay publishes in seq order per aggregate. Taking a per-aggregate transaction lock *before*
-- drawing the seq makes seq order equal commit order for any one aggregate: a second writer of the same
-- aggregate cannot draw its seq until the first commits or rolls back.
CREATE FUNCTION pavedroad_meta.outbox_next_seq(aggregate_key text) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
    PERFORM pg_advisory_xact_lock(3710, hashtext(aggregate_key));
    RETURN nextval('pavedroad_meta.event_outbox_seq');
END
$fn$;
GRANT EXECUTE ON FUNCTION pavedroad_meta.outbox_next_seq(text) TO pavedroad_app;

CREATE TABLE event_outbox (
    tenant_id       text NOT NULL,
    event_id        uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    seq             bigint NOT NULL,
    event_type      text NOT NULL,
    schema_version  integer NOT NULL,
    aggregate_type  text NOT NULL,
    aggregate_id    text NOT NULL,
    aggregate_hash  integer GENERATED ALWAYS AS (hashtext(tenant_id || '/' || aggregate_type || '/' || aggregate_id)) STORED,
    occurred_at     timestamptz NOT NULL,
    payload         jsonb NOT NULL,
    classification  jsonb NOT NULL DEFAULT '{}',
    delivered_at    timestamptz,
    PRIMARY KEY (tenant_id, event_id, created_at)
) PARTITION BY RANGE (created_at);

-- Rows land here only when no daily partition covers their day yet; the relay creates partitions ahead.
CREATE TABLE event_outbox_default PARTITION OF event_outbox DEFAULT;
-- Partitions are tenant data too: scoped like any tenant table in case someone reads one directly.
SELECT pavedroad_meta.scope_to_tenant('event_outbox_default');

-- What the relay scans: undelivered rows in seq order. Small, because delivered rows leave it.
CREATE INDEX event_outbox_pending ON event_outbox (seq) WHERE delivered_at IS NULL;
CREATE INDEX event_outbox_tenant_created ON event_outbox (tenant_id, created_at);

SELECT pavedroad_meta.scope_to_tenant('event_outbox');
DROP POLICY tenant_isolation ON event_outbox;
CREATE POLICY tenant_isolation ON event_outbox AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = current_setting('app.tenant_id', true) OR current_user = 'pavedroad_relay')
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true) OR current_user = 'pavedroad_relay');
CREATE POLICY relay_read ON event_outbox AS PERMISSIVE FOR SELECT TO pavedroad_relay USING (true);
CREATE POLICY relay_mark ON event_outbox AS PERMISSIVE FOR UPDATE TO pavedroad_relay USING (true) WITH CHECK (true);
CREATE POLICY relay_prune ON event_outbox AS PERMISSIVE FOR DELETE TO pavedroad_relay USING (true);
REVOKE UPDATE, DELETE ON event_outbox FROM pavedroad_app;
GRANT SELECT, DELETE ON event_outbox TO pavedroad_relay;
GRANT UPDATE (delivered_at) ON event_outbox TO pavedroad_relay;

-- A wake-up hint for the relay, once per inserting statement (NOTIFY folds duplicates per transaction).
-- Only a hint: the relay also polls, so a lost notification delays delivery, never loses it.
CREATE FUNCTION pavedroad_meta.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_notify('pavedroad_outbox', '');
    RETURN NULL;
END
$fn$;
CREATE TRIGGER event_outbox_notify AFTER INSERT ON event_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION pavedroad_meta.outbox_notify();

-- Idempotent consumers: one row per (consumer, event) handled, written in the handler's transaction.
CREATE TABLE pavedroad_meta.event_inbox (
    consumer      text NOT NULL,
    event_id      uuid NOT NULL,
    tenant_id     text NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX event_inbox_processed ON pavedroad_meta.event_inbox (processed_at);
GRANT SELECT, INSERT, DELETE ON pavedroad_meta.event_inbox TO pavedroad_app;

-- Heartbeats of the running relay, sinks and consumers: what `GET /v1/events/status` reads without a
-- NATS connection. Figures only (counts and lags), no tenant data.
CREATE TABLE pavedroad_meta.event_components (
    component    text PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('relay', 'consumer', 'sink')),
    backlog      bigint NOT NULL DEFAULT 0,
    lag_seconds  double precision NOT NULL DEFAULT 0,
    dead_letters bigint NOT NULL DEFAULT 0,
    details      jsonb NOT NULL DEFAULT '{}',
    updated_at   timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE ON pavedroad_meta.event_components TO pavedroad_app;
GRANT SELECT, INSERT, UPDATE ON pavedroad_meta.event_components TO pavedroad_relay;
