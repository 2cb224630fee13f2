"""The recruiting data generator: realistic, deterministic tenants and hiring pipelines, loaded with COPY.

``seed(owner_url, applications=…, tenants=…, seed=…)`` creates new tenants (``acme``, ``globex``,
``initech``, then seeded slugs) whose sizes spread like real customers, each with departments,
locations, sources, users of every role, jobs with interview plans and hiring teams, candidates,
applications walking the plan (per-stage conversion, log-normal time in stage), interviews,
scorecards, offers, EEOC answers and custom fields of every type. The same seed loads the same rows.
"""

from pavedroad.recruiting.generator.plan import REFERENCE, TenantPlan, plan_tenants, tenant_ids, tenant_sizes
from pavedroad.recruiting.generator.report import SeedReport
from pavedroad.recruiting.generator.seeder import seed

__all__ = ["REFERENCE", "SeedReport", "TenantPlan", "plan_tenants", "seed", "tenant_ids", "tenant_sizes"]
