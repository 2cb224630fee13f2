-- Durable workflows: runs, their checkpointed steps and the signals they await. Tenant data (inputs and
-- step outputs may name candidates), so every table is scoped with row-level security.
--
-- Workers claim runs across tenants as the role pavedroad_workflows (NOLOGIN; a worker connects as the
-- owner and SET ROLEs to it, like the outbox relay). It is not BYPASSRLS: the restrictive tenant policy
-- admits it by name, and its permissive policies let it read runs and write only the lease columns.
-- Everything else (checkpoints, status, events) happens in the run's tenant transaction as pavedroad_app.

DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pavedroad_workflows') THEN
        CREATE ROLE pavedroad_workflows NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
    END IF;
    IF NOT pg_has_role(current_user, 'pavedroad_workflows', 'MEMBER') THEN
        EXECUTE format('GRANT pavedroad_workflows TO %I', current_user);
    END IF;
END
$roles$;

GRANT USAGE ON SCHEMA pavedroad_meta TO pavedroad_workflows;
GRANT USAGE ON SCHEMA public TO pavedroad_workflows;

CREATE TABLE workflow_runs (
    tenant_id         text NOT NULL,
    workflow_id       text NOT NULL CHECK (workflow_id <> ''),
    name              text NOT NULL,
    version           integer NOT NULL,
    queue             text NOT NULL,
    status            text NOT NULL CHECK (status IN
                          ('queued', 'running', 'sleeping', 'waiting', 'succeeded', 'failed', 'cancelled')),
    input             jsonb NOT NULL,
    output            jsonb,
    error             text,
    ready_at          timestamptz,
    lease_owner       text,
    lease_expires_at  timestamptz,
    attempts          integer NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, workflow_id)
);
-- What a claim scans: runs that are due and not leased, per queue.
CREATE INDEX workflow_runs_due ON workflow_runs (queue, ready_at)
    WHERE status IN ('queued', 'running', 'sleeping', 'waiting');
-- Not on updated_at or the lease: a checkpoint's lease renewal stays a HOT update.
CREATE INDEX workflow_runs_tenant_status ON workflow_runs (tenant_id, status);

CREATE TABLE workflow_steps (
    tenant_id     text NOT NULL,
    workflow_id   text NOT NULL,
    step_index    integer NOT NULL,
    name          text NOT NULL,
    output        jsonb,
    completed_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, workflow_id, step_index),
    FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflow_runs (tenant_id, workflow_id) ON DELETE CASCADE
);

CREATE TABLE workflow_signals (
    tenant_id    text NOT NULL,
    workflow_id  text NOT NULL,
    name         text NOT NULL,
    payload      jsonb NOT NULL,
    sent_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, workflow_id, name),
    FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflow_runs (tenant_id, workflow_id) ON DELETE CASCADE
);

SELECT pavedroad_meta.scope_to_tenant('workflow_runs');
SELECT pavedroad_meta.scope_to_tenant('workflow_steps');
SELECT pavedroad_meta.scope_to_tenant('workflow_signals');

DROP POLICY tenant_isolation ON workflow_runs;
CREATE POLICY tenant_isolation ON workflow_runs AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT pavedroad_meta.current_tenant()) OR current_user = 'pavedroad_workflows')
    WITH CHECK (tenant_id = (SELECT pavedroad_meta.current_tenant()) OR current_user = 'pavedroad_workflows');
CREATE POLICY workers_read ON workflow_runs AS PERMISSIVE FOR SELECT TO pavedroad_workflows USING (true);
CREATE POLICY workers_lease ON workflow_runs AS PERMISSIVE FOR UPDATE TO pavedroad_workflows
    USING (true) WITH CHECK (true);
GRANT SELECT (tenant_id, workflow_id, name, version, queue, status, ready_at, lease_owner, lease_expires_at)
    ON workflow_runs TO pavedroad_workflows;
GRANT UPDATE (lease_owner, lease_expires_at) ON workflow_runs TO pavedroad_workflows;
