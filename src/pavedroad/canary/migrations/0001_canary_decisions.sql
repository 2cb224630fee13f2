-- Canary decisions: every promote / hold / pause / rollback with the numbers behind it.
-- Platform bookkeeping about rollouts (not tenant data), so it lives in pavedroad_meta.

CREATE TABLE pavedroad_meta.canary_decisions (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rollout        text        NOT NULL CHECK (rollout <> ''),
    decided_at     timestamptz NOT NULL,
    action         text        NOT NULL CHECK (action IN ('promote', 'hold', 'pause', 'rollback')),
    step_from      integer     NOT NULL,
    step_to        integer     NOT NULL,
    checks_at_step integer     NOT NULL DEFAULT 0,
    dry_run        boolean     NOT NULL DEFAULT false,
    reason         text        NOT NULL,
    results        jsonb       NOT NULL,  -- per test: sample sizes, estimates, interval, e-value, threshold
    recorded_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX canary_decisions_by_rollout ON pavedroad_meta.canary_decisions (rollout, id DESC);

GRANT USAGE ON SCHEMA pavedroad_meta TO pavedroad_app;
GRANT SELECT, INSERT ON pavedroad_meta.canary_decisions TO pavedroad_app;
