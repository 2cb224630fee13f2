-- Platform operators and immediate revocation.
--
-- An operator key ('prop_<secret>') is a credential of its own: it names no tenant, is issued only by
-- `pavedroad operator issue` with the owner database URL, and is stored as a SHA-256 hash here, in
-- pavedroad_meta. The application role cannot write the table, and row-level security shows it a row
-- only when it already holds that row's hash (set in pavedroad.operator_key_hash for the lookup's
-- transaction): it can check a key it was sent, never list or learn operators.

CREATE TABLE pavedroad_meta.operator_keys (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL CHECK (name ~ '^[a-z][a-z0-9_.-]{0,62}$'),
    key_hash    text        NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text        NOT NULL CHECK (created_by <> ''),
    revoked_at  timestamptz,
    revoked_by  text
);
CREATE UNIQUE INDEX operator_keys_one_live_per_name ON pavedroad_meta.operator_keys (name) WHERE revoked_at IS NULL;
-- ENABLE without FORCE: the owner (who issues and revokes) sees every row; the application role, only one.
ALTER TABLE pavedroad_meta.operator_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_the_presented_key ON pavedroad_meta.operator_keys FOR SELECT TO pavedroad_app
    USING (key_hash = current_setting('pavedroad.operator_key_hash', true));
GRANT SELECT (id, name, key_hash, revoked_at) ON pavedroad_meta.operator_keys TO pavedroad_app;

-- Every change that can take a credential away (revoked or deleted key, deactivated user, changed role)
-- tells every service process to drop its authentication cache: NOTIFY is delivered on commit.
CREATE FUNCTION pavedroad_meta.notify_auth_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_notify('pavedroad_auth', TG_TABLE_NAME);
    RETURN NULL;
END
$fn$;
CREATE TRIGGER api_keys_auth_change AFTER UPDATE OR DELETE OR TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION pavedroad_meta.notify_auth_change();
CREATE TRIGGER users_auth_change AFTER UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION pavedroad_meta.notify_auth_change();
CREATE TRIGGER operator_keys_auth_change AFTER UPDATE OR DELETE OR TRUNCATE ON pavedroad_meta.operator_keys
    FOR EACH STATEMENT EXECUTE FUNCTION pavedroad_meta.notify_auth_change();

-- Platform actions that are not flag changes (flag changes have their own trail, flag_audit), e.g. an
-- operator pausing a guarded rollout, and every refused attempt at a platform action (outcome 'denied',
-- e.g. a tenant admin trying a global kill). Append-only for the application role (INSERT only).
CREATE TABLE pavedroad_meta.platform_audit (
    id      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text        NOT NULL CHECK (actor <> ''),
    action  text        NOT NULL CHECK (action <> ''),
    target  text        NOT NULL DEFAULT '',
    outcome text        NOT NULL DEFAULT 'ok' CHECK (outcome IN ('ok', 'denied'))
);
GRANT INSERT ON pavedroad_meta.platform_audit TO pavedroad_app;
