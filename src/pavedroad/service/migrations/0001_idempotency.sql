-- Idempotency keys for write routes: the first request with a key stores its response in the same
-- transaction as its write; a retry with the same key and body replays it; another body is a 409.
CREATE TABLE idempotency_keys (
    tenant_id     text NOT NULL,
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash  text NOT NULL,
    status_code   integer,
    response      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (tenant_id, created_at);
SELECT pavedroad_meta.scope_to_tenant('idempotency_keys');
