"""Tiny scheduling requests for property tests: small enough to enumerate every schedule by hand."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from pavedroad.scheduling import SchedulingRequest, parse_request

from .checker import SLOT, Place, Seat, objectives, person_free, role_of, violations

H0 = datetime(2027, 1, 4, tzinfo=UTC)  # a Monday


def _at(day: int, slot: int) -> str:
    return (H0 + timedelta(days=day) + SLOT * slot).isoformat()


@st.composite
def tiny_requests(draw: st.DrawFn, *, candidates: int = 1, booked: bool = True, rooms: bool = True) -> dict[str, Any]:
    """1-2 days, 2-4 interviewers in pools a/b (some trainees in a), 1-2 short sessions per candidate,
    short availability windows around 09:00 UTC, a few busy times, optional limits, order, breaks, room."""
    days = draw(st.integers(1, 2))
    people = []
    for k in range(draw(st.integers(2, 4))):
        pools = sorted(draw(st.sets(st.sampled_from(["a", "b"]), max_size=2)))
        training = []
        if "a" not in pools and draw(st.booleans()):
            training = [
                {"pool": "a", "shadows_done": draw(st.integers(0, 2)), "reverse_shadows_done": draw(st.integers(0, 2))}
            ]
        busy = []
        for _ in range(draw(st.integers(0, 2))):
            day, slot, length = draw(st.integers(0, days - 1)), draw(st.integers(34, 42)), draw(st.integers(1, 3))
            busy.append(
                {"start": _at(day, slot), "end": _at(day, slot + length), "interview": booked and draw(st.booleans())}
            )
        people.append(
            {
                "id": f"p{k}",
                "name": f"Person {k}",
                "timezone": draw(st.sampled_from(["UTC", "Europe/London", "Europe/Berlin"])),
                "working_hours": {
                    "start": draw(st.sampled_from(["08:00", "09:00"])),
                    "end": draw(st.sampled_from(["11:00", "17:00"])),
                },
                "pools": pools,
                "training": training,
                "busy": busy,
                "daily_limit": draw(st.sampled_from([None, 0, 1, 2])),
                "weekly_limit": draw(st.sampled_from([None, 1, 2, 3])),
            }
        )
    room_list = []
    if rooms and draw(st.booleans()):
        slot = draw(st.integers(34, 42))
        room_list = [{"id": "r1", "name": "Room 1", "busy": [{"start": _at(0, slot), "end": _at(0, slot + 2)}]}]
    cands = []
    for c in range(candidates):
        sessions = []
        for i in range(draw(st.integers(1, 2))):
            pool = draw(st.sampled_from(["a", "b"]))
            sessions.append(
                {
                    "id": f"s{i}",
                    "title": f"Session {i}",
                    "pool": pool,
                    "duration_slots": draw(st.integers(1, 3)),
                    "panel_size": draw(st.integers(1, 2)),
                    "trainee_seats": draw(st.integers(0, 1)) if pool == "a" else 0,
                    "needs_room": bool(room_list) and draw(st.booleans()),
                }
            )
        windows = []
        for day in range(days):
            if draw(st.booleans()) or day == 0:
                first = draw(st.integers(34, 38))
                windows.append({"start": _at(day, first), "end": _at(day, first + draw(st.integers(2, 6)))})
        order = [{"before": "s0", "after": "s1"}] if len(sessions) == 2 and draw(st.booleans()) else []
        cands.append(
            {
                "id": f"c{c}",
                "name": f"Candidate {c}",
                "sessions": sessions,
                "order": order,
                "availability": windows,
                "same_day": draw(st.booleans()),
                "break_slots": draw(st.integers(0, 1)),
            }
        )
    return {
        "horizon_start": H0.isoformat(),
        "horizon_days": days,
        "candidates": cands,
        "interviewers": people,
        "rooms": room_list,
        "training": {"shadows": 1, "reverse_shadows": 1},
    }


def _options(request: SchedulingRequest, cand_index: int, session_index: int) -> list[Place]:
    """Every way to place one session that passes the per-session checks (times in its availability)."""
    cand = request.candidates[cand_index]
    s = cand.sessions[session_index]
    out = []
    for w in cand.availability:
        t = w.start
        while t + SLOT * s.duration_slots <= w.end:
            end = t + SLOT * s.duration_slots
            free = [p for p in request.interviewers if person_free(p, t, end)]
            leads = [p.id for p in free if role_of(request, p, s.pool) == "lead"]
            trainees = [
                (p.id, role_of(request, p, s.pool))
                for p in free
                if role_of(request, p, s.pool) in ("shadow", "reverse_shadow")
            ]
            rooms: list[str | None] = [r.id for r in request.rooms] if s.needs_room else [None]
            for panel in itertools.combinations(leads, s.panel_size):
                for extra in itertools.combinations(trainees, s.trainee_seats):
                    seats = tuple(Seat(p, "lead") for p in panel) + tuple(Seat(p, str(role)) for p, role in extra)
                    for room in rooms:
                        out.append(Place(cand.id, s.id, t, end, seats, room))
            t += SLOT
    return out


def brute_force(request: SchedulingRequest) -> tuple[int, int, int, int] | None:
    """The lexicographically smallest objectives over every valid schedule of a single candidate, or None."""
    per_session = [_options(request, 0, i) for i in range(len(request.candidates[0].sessions))]
    best = None
    for combo in itertools.product(*per_session):
        if violations(request, combo):
            continue
        value = objectives(request, combo)
        if best is None or value < best:
            best = value
    return best


def request_of(data: dict[str, Any]) -> SchedulingRequest:
    return parse_request(data)
