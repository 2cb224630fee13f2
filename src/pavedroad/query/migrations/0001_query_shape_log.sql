-- The query-shape log: one row per sampled query the service compiled and ran. Tenant data (a shape
-- names the tenant's custom fields), so it is scoped to the tenant like any other table. It never holds
-- a literal value: `shape` is the compiler's normalized cache-key text (literals lifted to ?s/?i/?f) and
-- `sql` the compiled template, whose every value is a placeholder.

CREATE TABLE query_shape_log (
    tenant_id   text        NOT NULL,
    id          bigint      GENERATED ALWAYS AS IDENTITY,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    shape_id    text        NOT NULL,  -- first 16 hex digits of sha256(shape)
    shape       text        NOT NULL,
    sql         text        NOT NULL,
    role        text        NOT NULL,
    cache_hit   boolean     NOT NULL,
    compile_us  integer     NOT NULL CHECK (compile_us >= 0),
    exec_us     integer     NOT NULL CHECK (exec_us >= 0),
    row_count   integer     NOT NULL CHECK (row_count >= 0),
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX query_shape_log_shape ON query_shape_log (tenant_id, shape_id, recorded_at);
CREATE INDEX query_shape_log_time ON query_shape_log (tenant_id, recorded_at);

SELECT pavedroad_meta.scope_to_tenant('query_shape_log');

-- The database's own per-statement view, joined by `pavedroad query top`. Creating it needs the owner;
-- a server that does not ship the extension simply goes without that column.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements') THEN
        CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
    END IF;
END
$$;
