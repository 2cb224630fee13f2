-- Tenants' automation rules: every saved version kept (rules are versioned and audited; the newest
-- version of each rule is the live one). Tenant data: a condition may name values.
CREATE TABLE automation_rules (
    tenant_id   text NOT NULL,
    rule_id     text NOT NULL,
    version     integer NOT NULL CHECK (version >= 1),
    definition  jsonb NOT NULL,
    enabled     boolean NOT NULL DEFAULT true,
    saved_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, rule_id, version)
);

SELECT pavedroad_meta.scope_to_tenant('automation_rules');
