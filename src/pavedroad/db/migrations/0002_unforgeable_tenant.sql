-- The tenant of a transaction cannot be forged by the application role.
--
-- Before this file the tenant policy compared tenant_id with the setting app.tenant_id, which any role
-- may set with set_config(); isolation rested on the compiler never emitting a function call. Now the
-- policy compares tenant_id with pavedroad_meta.current_tenant(), which returns app.tenant_id only when
-- app.tenant_sig carries an HMAC of (tenant, backend pid, transaction start) under a key the application
-- role cannot read. Only pavedroad_meta.enter_tenant() (SECURITY DEFINER) signs, and only for a caller
-- that presents its connection's session key: the first call on a backend registers the key's hash in a
-- table the application role cannot read or write, and every later call must present the same key. A
-- statement injected into a tenant transaction knows neither the signing key nor the session key, so a
-- forged set_config() yields NULL (zero rows), and calling enter_tenant() for another tenant is refused.

GRANT USAGE ON SCHEMA pavedroad_meta TO pavedroad_app;

-- The signing key, padded for HMAC-SHA256 (key XOR ipad, key XOR opad), drawn from the server's strong
-- random source. One row; nobody but the owner may read it.
CREATE TABLE pavedroad_meta.tenant_signing_key (
    one   boolean PRIMARY KEY DEFAULT true CHECK (one),
    ikey  bytea NOT NULL,
    okey  bytea NOT NULL
);
REVOKE ALL ON pavedroad_meta.tenant_signing_key FROM PUBLIC;

INSERT INTO pavedroad_meta.tenant_signing_key (ikey, okey)
SELECT ik, ok FROM (
    SELECT string_agg(set_byte('\x00'::bytea, 0, get_byte(key, i) # 54), ''::bytea ORDER BY i) AS ik,
           string_agg(set_byte('\x00'::bytea, 0, get_byte(key, i) # 92), ''::bytea ORDER BY i) AS ok
    FROM (
        SELECT sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text,
                                 'UTF8')) || decode(repeat('00', 32), 'hex')
               AS key
    ) k, generate_series(0, 63) AS i
) pads;

-- Which session key each backend registered (its hash), keyed by pid and the backend's start time so a
-- reused pid never inherits an earlier backend's key. Unlogged: it describes live backends only.
CREATE UNLOGGED TABLE pavedroad_meta.tenant_sessions (
    pid            integer PRIMARY KEY,
    backend_start  timestamptz NOT NULL,
    key_hash       bytea NOT NULL
);
REVOKE ALL ON pavedroad_meta.tenant_sessions FROM PUBLIC;

-- HMAC-SHA256 of (tenant, pid, transaction start) under the signing key (current_tenant() computes the
-- same inline). Owner only: a role that could call it could sign any tenant.
CREATE FUNCTION pavedroad_meta.tenant_signature(tenant text) RETURNS text
LANGUAGE sql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT encode(sha256(k.okey || sha256(k.ikey || convert_to(
               tenant || '/' || pg_backend_pid() || '/'
               || (extract(epoch FROM transaction_timestamp()) * 1000000)::bigint, 'UTF8'))), 'hex')
    FROM pavedroad_meta.tenant_signing_key k
$fn$;
REVOKE ALL ON FUNCTION pavedroad_meta.tenant_signature(text) FROM PUBLIC;

-- The tenant of the current transaction, or NULL when none was entered (or the setting was forged).
-- STABLE, so the policies call it once per statement through an InitPlan and stay index conditions.
-- PL/pgSQL (its plan cached per session) costs half what a SQL function does here: a few microseconds.
CREATE FUNCTION pavedroad_meta.current_tenant() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    tenant  text := nullif(current_setting('app.tenant_id', true), '');
    k       record;
BEGIN
    SELECT ikey, okey INTO k FROM pavedroad_meta.tenant_signing_key;
    IF current_setting('app.tenant_sig', true) = encode(sha256(k.okey || sha256(k.ikey || convert_to(
           tenant || '/' || pg_backend_pid() || '/'
           || (extract(epoch FROM transaction_timestamp()) * 1000000)::bigint, 'UTF8'))), 'hex') THEN
        RETURN tenant;
    END IF;
    RETURN NULL;
END
$fn$;

-- The one way to set a transaction's tenant (tenancy.transaction calls it first in every transaction).
-- session_key: a secret the connection's client chose; the first call on a backend registers it, every
-- later call must present it. Sets app.tenant_id, app.user_id, app.role and the signature, all local to
-- the transaction.
CREATE FUNCTION pavedroad_meta.enter_tenant(session_key text, tenant text, user_id text, role text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    started  timestamptz := (SELECT a.backend_start FROM pg_stat_get_activity(pg_backend_pid()) a);
    given    bytea := sha256(convert_to(session_key, 'UTF8'));
    known    pavedroad_meta.tenant_sessions%ROWTYPE;
BEGIN
    IF started IS NULL THEN
        RAISE EXCEPTION 'the migration owner cannot see backend start times'
            USING HINT = 'run migrations as a superuser or a role granted pg_read_all_stats';
    END IF;
    IF tenant IS NULL OR tenant = '' OR length(session_key) < 32 THEN
        RAISE EXCEPTION 'a tenant and a session key of at least 32 characters are required'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO known FROM pavedroad_meta.tenant_sessions s WHERE s.pid = pg_backend_pid();
    IF NOT FOUND THEN
        INSERT INTO pavedroad_meta.tenant_sessions (pid, backend_start, key_hash)
        VALUES (pg_backend_pid(), started, given);
    ELSIF known.backend_start IS DISTINCT FROM started THEN
        UPDATE pavedroad_meta.tenant_sessions
        SET backend_start = started, key_hash = given WHERE pid = pg_backend_pid();
    ELSIF known.key_hash <> given THEN
        RAISE EXCEPTION 'this connection''s session key does not match; the tenant was not changed'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM set_config('app.tenant_id', tenant, true),
            set_config('app.user_id', coalesce(user_id, ''), true),
            set_config('app.role', coalesce(role, ''), true),
            set_config('app.tenant_sig', pavedroad_meta.tenant_signature(tenant), true);
END
$fn$;

-- scope_to_tenant(table) now writes the unforgeable policy.
CREATE OR REPLACE FUNCTION pavedroad_meta.scope_to_tenant(target regclass) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', target);
    EXECUTE format('DROP POLICY IF EXISTS tenant_access ON %s', target);
    EXECUTE format(
        'CREATE POLICY tenant_isolation ON %s AS RESTRICTIVE FOR ALL TO PUBLIC '
        'USING (tenant_id = (SELECT pavedroad_meta.current_tenant())) '
        'WITH CHECK (tenant_id = (SELECT pavedroad_meta.current_tenant()))', target);
    EXECUTE format(
        'CREATE POLICY tenant_access ON %s AS PERMISSIVE FOR ALL TO PUBLIC '
        'USING (tenant_id = (SELECT pavedroad_meta.current_tenant())) '
        'WITH CHECK (tenant_id = (SELECT pavedroad_meta.current_tenant()))', target);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO pavedroad_app', target);
END
$fn$;

-- Tables scoped before this file (a database migrated earlier) get the new policies too.
SELECT pavedroad_meta.scope_to_tenant(p.polrelid::regclass)
FROM pg_policy p
WHERE p.polname = 'tenant_access';
