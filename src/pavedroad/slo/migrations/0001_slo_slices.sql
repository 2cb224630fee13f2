-- SLO slices: per-process recorder cells merged across worker processes by upsert.
-- Platform bookkeeping, not tenant data: it lives in pavedroad_meta and holds route templates and
-- counts only (tenant_id is a label for per-tenant SLOs, '' when the request had no principal).

CREATE TABLE pavedroad_meta.slo_slices (
    service       text             NOT NULL,
    kind          text             NOT NULL CHECK (kind IN ('http', 'dependency')),
    slice_start   timestamptz      NOT NULL,
    route         text             NOT NULL,  -- route template, or the dependency name
    method        text             NOT NULL,  -- HTTP method, '' for dependencies
    status_class  text             NOT NULL,  -- '2xx'..'5xx', or the dependency outcome
    version       text             NOT NULL,
    variant       text             NOT NULL,
    tenant_id     text             NOT NULL DEFAULT '',
    slice_seconds integer          NOT NULL CHECK (slice_seconds > 0),
    total         bigint           NOT NULL CHECK (total >= 0),
    bad           bigint           NOT NULL CHECK (bad >= 0 AND bad <= total),
    latency_sum   double precision NOT NULL,
    latency_min   double precision NOT NULL,
    latency_max   double precision NOT NULL,
    sketch        jsonb            NOT NULL,  -- {"<bin>": count, "z": zeros}; see pavedroad.slo.sketch
    updated_at    timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (service, kind, slice_start, route, method, status_class, version, variant, tenant_id)
);

CREATE INDEX slo_slices_time ON pavedroad_meta.slo_slices (slice_start);

-- Merge two sketches: bins add up (the sketch is exactly mergeable).
CREATE FUNCTION pavedroad_meta.slo_sketch_merge(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT coalesce(jsonb_object_agg(k, n), '{}'::jsonb)
    FROM (
        SELECT k, sum(v::bigint) AS n
        FROM (SELECT key, value FROM jsonb_each_text(coalesce(a, '{}'::jsonb))
              UNION ALL
              SELECT key, value FROM jsonb_each_text(coalesce(b, '{}'::jsonb))) AS bins(k, v)
        GROUP BY k
    ) AS merged
$fn$;

CREATE AGGREGATE pavedroad_meta.slo_sketch_sum(jsonb) (
    SFUNC = pavedroad_meta.slo_sketch_merge,
    STYPE = jsonb,
    INITCOND = '{}'
);

-- Samples in bins up to max_key (the zero bin included): "requests under a latency threshold".
CREATE FUNCTION pavedroad_meta.slo_sketch_count_le(sketch jsonb, max_key integer) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT coalesce(sum(value::bigint), 0)::bigint
    FROM jsonb_each_text(sketch)
    WHERE CASE WHEN key = 'z' THEN true ELSE key::integer <= max_key END
$fn$;

GRANT USAGE ON SCHEMA pavedroad_meta TO pavedroad_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON pavedroad_meta.slo_slices TO pavedroad_app;
GRANT EXECUTE ON FUNCTION pavedroad_meta.slo_sketch_merge(jsonb, jsonb) TO pavedroad_app;
GRANT EXECUTE ON FUNCTION pavedroad_meta.slo_sketch_sum(jsonb) TO pavedroad_app;
GRANT EXECUTE ON FUNCTION pavedroad_meta.slo_sketch_count_le(jsonb, integer) TO pavedroad_app;
