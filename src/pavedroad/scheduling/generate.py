"""Realistic generated requests, for the benchmark, the CLI's example and tests: reproducible per seed.

Two weeks from a Monday (ten business days), a five-session onsite (coding, system design, behavioural,
product sense, values: 60/60/45/45/30 minutes, 15-minute breaks, values last, one trainee seat),
interviewers spread over three European and one US time zone, each in one or two of the pools, about one
in six a trainee, with 2 to 5 meetings a business day, some booked interviews, and daily/weekly load limits.
Candidates are free on five or six of the ten days, whole or half days.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

__all__ = ["POOLS", "generate_request"]

POOLS = ("coding", "system-design", "behavioural", "product", "values")
_SESSIONS = (
    ("coding", "Coding", 4, 0),
    ("system-design", "System design", 4, 1),
    ("behavioural", "Behavioural", 3, 0),
    ("product", "Product sense", 3, 0),
    ("values", "Values", 2, 0),
)
_ZONES = ("Europe/Berlin", "Europe/Berlin", "Europe/London", "Europe/Paris", "America/New_York")
START = datetime(2027, 1, 4, tzinfo=UTC)  # a Monday


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _interviewer(rng: random.Random, k: int) -> dict[str, Any]:
    zone = rng.choice(_ZONES)
    pools = rng.sample(POOLS, rng.choice((1, 1, 2)))
    person: dict[str, Any] = {
        "id": f"i{k:04d}",
        "name": f"Interviewer {k}",
        "timezone": zone,
        "working_hours": {"start": "09:00", "end": "17:00"}
        if zone != "America/New_York"
        else {"start": "08:00", "end": "16:00"},
        "daily_limit": rng.choice((1, 2, 2, 3)),
        "weekly_limit": rng.choice((3, 4, 5, 6)),
        "pools": pools,
        "training": [],
    }
    if rng.random() < 0.17:
        trainee_pool = rng.choice([p for p in POOLS if p not in pools])
        person["training"] = [{"pool": trainee_pool, "shadows_done": rng.randint(0, 2), "reverse_shadows_done": 0}]
    busy: list[dict[str, Any]] = []
    utc_offset = {"Europe/London": 0, "America/New_York": -5}.get(zone, 1)
    for day in range(14):
        date = START + timedelta(days=day)
        if date.weekday() >= 5:
            continue
        for _ in range(rng.randint(2, 5)):
            hour = rng.randint(8, 16) - utc_offset
            start = date + timedelta(hours=hour, minutes=rng.choice((0, 15, 30, 45)))
            busy.append({"start": _iso(start), "end": _iso(start + timedelta(minutes=rng.choice((30, 45, 60, 90))))})
        if rng.random() < 0.3:
            start = date + timedelta(hours=rng.randint(9, 15) - utc_offset)
            busy.append({"start": _iso(start), "end": _iso(start + timedelta(hours=1)), "interview": True})
    person["busy"] = busy
    return person


def _candidate(rng: random.Random, k: int) -> dict[str, Any]:
    business = [d for d in range(14) if (START + timedelta(days=d)).weekday() < 5]
    days = sorted(rng.sample(business, rng.choice((5, 6))))
    windows = []
    for d in days:
        date = START + timedelta(days=d)
        begin, end = rng.choice(((time(8), time(16)), (time(8), time(16)), (time(12), time(16)), (time(7), time(15))))
        day = date.date()
        windows.append({"start": _iso(datetime.combine(day, begin, UTC)), "end": _iso(datetime.combine(day, end, UTC))})
    return {
        "id": f"c{k:03d}",
        "name": f"Candidate {k}",
        "timezone": "Europe/Berlin",
        "sessions": [
            {"id": pool, "title": title, "pool": pool, "duration_slots": slots, "trainee_seats": trainee}
            for pool, title, slots, trainee in _SESSIONS
        ],
        "order": [{"before": "coding", "after": "system-design"}, {"before": "behavioural", "after": "values"}],
        "availability": windows,
        "same_day": True,
        "break_slots": 1,
    }


def generate_request(interviewers: int, candidates: int = 1, seed: int = 0) -> dict[str, Any]:
    """A request as JSON-ready data (pass it to ``parse_request``)."""
    rng = random.Random(seed)
    return {
        "horizon_start": _iso(START),
        "horizon_days": 14,
        "candidates": [_candidate(rng, k) for k in range(candidates)],
        "interviewers": [_interviewer(rng, k) for k in range(interviewers)],
        "training": {"shadows": 2, "reverse_shadows": 2},
    }
