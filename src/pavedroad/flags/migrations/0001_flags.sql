-- Feature flags: platform configuration, not tenant data, so the tables live in pavedroad_meta.
-- Every change bumps flag_state.version, writes one flag_audit row (diff, author, reason) and sends
-- NOTIFY pavedroad_flags with the new version, so running processes reload within a second.

CREATE TABLE pavedroad_meta.flag_state (
    id      integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    version bigint  NOT NULL DEFAULT 0
);
INSERT INTO pavedroad_meta.flag_state (id, version) VALUES (1, 0);

CREATE TABLE pavedroad_meta.flags (
    key        text        PRIMARY KEY CHECK (key <> ''),
    definition jsonb       NOT NULL,
    version    bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text        NOT NULL
);

CREATE TABLE pavedroad_meta.flag_evaluators (
    name       text        PRIMARY KEY CHECK (name <> ''),
    definition jsonb       NOT NULL,
    version    bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Per-tenant overrides and kill switches: a flag's answer for one tenant.
CREATE TABLE pavedroad_meta.flag_overrides (
    tenant_id  text        NOT NULL,
    flag_key   text        NOT NULL,
    variant    text,
    killed     boolean     NOT NULL DEFAULT false,
    version    bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text        NOT NULL,
    PRIMARY KEY (tenant_id, flag_key),
    CHECK (killed OR variant IS NOT NULL)
);
CREATE INDEX flag_overrides_flag ON pavedroad_meta.flag_overrides (flag_key);

CREATE TABLE pavedroad_meta.flag_audit (
    id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version   bigint      NOT NULL,
    at        timestamptz NOT NULL DEFAULT now(),
    flag_key  text        NOT NULL,
    tenant_id text,
    action    text        NOT NULL,
    author    text        NOT NULL CHECK (author <> ''),
    reason    text        NOT NULL CHECK (reason <> ''),
    before    jsonb,
    after     jsonb,
    diff      jsonb       NOT NULL
);
CREATE INDEX flag_audit_by_flag ON pavedroad_meta.flag_audit (flag_key, id DESC);

GRANT USAGE ON SCHEMA pavedroad_meta TO pavedroad_app;
GRANT SELECT, UPDATE ON pavedroad_meta.flag_state TO pavedroad_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON pavedroad_meta.flags, pavedroad_meta.flag_evaluators,
    pavedroad_meta.flag_overrides TO pavedroad_app;
GRANT SELECT, INSERT ON pavedroad_meta.flag_audit TO pavedroad_app;
GRANT USAGE ON SEQUENCE pavedroad_meta.flag_audit_id_seq TO pavedroad_app;
