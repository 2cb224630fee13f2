"""A tiny, exact recruiting world for the privacy tests: two tenants, known people, known values.

Every personal value is unique and recorded in ``PERSONAL_VALUES`` so tests can prove it never reaches
a log line, an export of another tenant, or a row after erasure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

PERSONAL_VALUES: set[str] = set()


@dataclass
class World:
    tenant: str
    users: dict[str, int] = field(default_factory=dict)  # role -> user id
    jobs: dict[str, int] = field(default_factory=dict)  # "open" / "secret" -> job id
    candidates: list[int] = field(default_factory=list)
    applications: list[int] = field(default_factory=list)
    interviews: list[int] = field(default_factory=list)


def _one(conn: psycopg.Connection, query: str, params: tuple[object, ...]) -> int:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return int(row[0])


def seed_tenant(owner_url: str, tenant: str, *, candidates: int = 6) -> World:
    """Users of every role, an open and a confidential job, candidates with applications, interviews,
    scorecards, offers and EEOC answers. Ids are identities, so they never collide across tenants."""
    world = World(tenant)
    with psycopg.connect(owner_url) as conn:
        conn.execute("insert into tenants (tenant_id, name) values (%s, %s) on conflict do nothing", (tenant, tenant))
        for role in ("admin", "recruiter", "hiring_manager", "interviewer", "compliance"):
            email = f"{role}.{tenant}@staff.example"
            world.users[role] = _one(
                conn,
                "insert into users (tenant_id, email, name, role) values (%s, %s, %s, %s) returning id",
                (tenant, email, f"Staff {role} {tenant}", role),
            )
        world.users["other_interviewer"] = _one(
            conn,
            "insert into users (tenant_id, email, name, role) values (%s, %s, %s, 'interviewer') returning id",
            (tenant, f"other.{tenant}@staff.example", f"Other interviewer {tenant}"),
        )
        dept = _one(
            conn, "insert into departments (tenant_id, name) values (%s, 'Engineering') returning id", (tenant,)
        )
        loc = _one(
            conn, "insert into locations (tenant_id, name, country) values (%s, 'Berlin', 'DE') returning id", (tenant,)
        )
        src = _one(
            conn,
            "insert into sources (tenant_id, name, kind) values (%s, 'Referral', 'referral') returning id",
            (tenant,),
        )
        for key, confidential in (("open", False), ("secret", True)):
            job = _one(
                conn,
                "insert into jobs (tenant_id, title, department_id, location_id, confidential)"
                " values (%s, %s, %s, %s, %s) returning id",
                (tenant, f"{tenant} {key} engineer", dept, loc, confidential),
            )
            world.jobs[key] = job
            conn.execute(
                "insert into job_hiring_team (tenant_id, job_id, user_id, team_role)"
                " values (%s, %s, %s, 'hiring_manager')",
                (tenant, job, world.users["hiring_manager"]),
            )
        stages = {}
        for key, job in world.jobs.items():
            stages[key] = _one(
                conn,
                "insert into job_stages (tenant_id, job_id, position, name, stage_type)"
                " values (%s, %s, 1, 'Onsite', 'onsite') returning id",
                (tenant, job),
            )
        for n in range(candidates):
            first, last = f"Ada{tenant.title()}{n}x", f"Lovelace{tenant.title()}{n}y"
            email = f"ada.{tenant}.{n}@candidate.example"
            phone = f"+1 415 555 {1000 + n + (100 if tenant != 'alpha' else 0):04d}"
            PERSONAL_VALUES.update({first, last, email, phone})
            cid = _one(
                conn,
                "insert into candidates (tenant_id, first_name, last_name, email, phone, city, custom)"
                " values (%s, %s, %s, %s, %s, 'Springfield', '{\"nickname\": \"secret nick\"}') returning id",
                (tenant, first, last, email, phone),
            )
            world.candidates.append(cid)
            key = "secret" if n % 3 == 2 else "open"
            app = _one(
                conn,
                "insert into applications (tenant_id, candidate_id, job_id, source_id, current_stage_id)"
                " values (%s, %s, %s, %s, %s) returning id",
                (tenant, cid, world.jobs[key], src, stages[key]),
            )
            world.applications.append(app)
            conn.execute(
                "insert into stage_transitions (tenant_id, application_id, to_stage_id, moved_at, moved_by)"
                " values (%s, %s, %s, now(), %s)",
                (tenant, app, stages[key], world.users["recruiter"]),
            )
            interview = _one(
                conn,
                "insert into interviews (tenant_id, application_id, stage_id, scheduled_at, status)"
                " values (%s, %s, %s, now(), 'completed') returning id",
                (tenant, app, stages[key]),
            )
            world.interviews.append(interview)
            for who in ("interviewer", "other_interviewer"):
                conn.execute(
                    "insert into interview_participants (tenant_id, interview_id, user_id) values (%s, %s, %s)",
                    (tenant, interview, world.users[who]),
                )
            notes = f"Strong systems thinking, said {first} {n}"
            conn.execute(
                "insert into scorecards (tenant_id, interview_id, application_id, interviewer_id, recommendation,"
                " overall_rating, notes, submitted_at) values (%s, %s, %s, %s, 'yes', 4, %s, now())",
                (tenant, interview, app, world.users["other_interviewer"], notes),
            )
            conn.execute(
                "insert into offers (tenant_id, application_id, status, salary) values (%s, %s, 'extended', %s)",
                (tenant, app, 100_000 + n),
            )
            conn.execute(
                "insert into eeoc_responses (tenant_id, candidate_id, gender, race_ethnicity, submitted_at)"
                " values (%s, %s, %s, 'decline', now())",
                (tenant, cid, ("female", "male", "non_binary")[n % 3]),
            )
    return world
