"""What a scheduling request says: sessions to place, people who may run them, when everyone is free.

Every model is frozen and validated on construction; ``parse_request`` is the one entry point for
untrusted input (HTTP, CLI, files): it turns any validation failure into ``SchedulingInputError`` (422)
naming the field and why, so no caller ever sees a raw pydantic error or a 500.
Times are timezone-aware; the solver works on 15-minute slots counted from ``horizon_start``.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pavedroad.errors import InvalidInput

__all__ = [
    "SLOT_MINUTES",
    "Busy",
    "Candidate",
    "Interval",
    "Interviewer",
    "Order",
    "Room",
    "SchedulingInputError",
    "SchedulingRequest",
    "Session",
    "Training",
    "TrainingPolicy",
    "WorkingHours",
    "parse_request",
]

SLOT_MINUTES = 15
MAX_INTERVIEWERS = 1000
MAX_CANDIDATES = 60
MAX_SESSIONS = 12
MAX_BUSY = 400
MAX_WINDOWS = 200
MAX_DAYS = 31

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@-]*$")]
Label = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]


class SchedulingInputError(InvalidInput):
    """A scheduling request that cannot be solved as written (a bad field, an unknown id, a cycle): 422."""

    status = 422
    default_code = "S422"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Interval(_Frozen):
    """``[start, end)``, both timezone-aware."""

    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Busy(Interval):
    """A time the person (or room) is taken; ``interview`` marks a booked interview, which counts towards
    the interviewer's daily and weekly load."""

    interview: bool = False


class WorkingHours(_Frozen):
    """Local working time: these weekdays (0 = Monday) from ``start`` to ``end`` in the person's zone."""

    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    start: time = time(9, 0)
    end: time = time(17, 0)

    @model_validator(mode="after")
    def _valid(self) -> WorkingHours:
        if not all(0 <= d <= 6 for d in self.weekdays):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        if self.end <= self.start:
            raise ValueError("working hours must end after they start")
        return self


class Training(_Frozen):
    """Progress of a trainee in one pool: sessions shadowed and reverse-shadowed so far."""

    pool: Id
    shadows_done: int = Field(default=0, ge=0, le=1000)
    reverse_shadows_done: int = Field(default=0, ge=0, le=1000)


class TrainingPolicy(_Frozen):
    """A trainee shadows ``shadows`` sessions, then leads ``reverse_shadows`` sessions watched by a
    qualified interviewer, then is qualified."""

    shadows: int = Field(default=2, ge=0, le=50)
    reverse_shadows: int = Field(default=2, ge=0, le=50)


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/Berlin)") from None
    return name


class Interviewer(_Frozen):
    """A person who interviews: qualified pools, training, calendar and load limits."""

    id: Id
    name: Label
    timezone: str = "UTC"
    working_hours: WorkingHours = WorkingHours()
    busy: tuple[Busy, ...] = Field(default=(), max_length=MAX_BUSY)
    pools: tuple[Id, ...] = Field(default=(), max_length=50)
    training: tuple[Training, ...] = Field(default=(), max_length=50)
    daily_limit: int | None = Field(default=None, ge=0, le=20)
    weekly_limit: int | None = Field(default=None, ge=0, le=100)

    _tz = field_validator("timezone")(_zone)


class Room(_Frozen):
    """A room (or a video bridge with limited capacity) and when it is taken."""

    id: Id
    name: Label
    busy: tuple[Busy, ...] = Field(default=(), max_length=MAX_BUSY)


class Session(_Frozen):
    """One interview: its length in 15-minute slots, the pool whose members may lead it, how many lead it,
    how many trainee seats it offers (filled by a trainee of the pool), and whether it needs a room."""

    id: Id
    title: Label
    pool: Id
    duration_slots: int = Field(ge=1, le=32)
    panel_size: int = Field(default=1, ge=1, le=4)
    trainee_seats: int = Field(default=0, ge=0, le=1)
    needs_room: bool = False


class Order(_Frozen):
    """Session ``before`` ends before session ``after`` starts."""

    before: Id
    after: Id


class Candidate(_Frozen):
    """A candidate's onsite: sessions, order between them, a break after each, whether they all fall on
    one day (in the candidate's zone), and when the candidate is free."""

    id: Id
    name: Label
    timezone: str = "UTC"
    sessions: tuple[Session, ...] = Field(min_length=1, max_length=MAX_SESSIONS)
    order: tuple[Order, ...] = Field(default=(), max_length=66)
    availability: tuple[Interval, ...] = Field(min_length=1, max_length=MAX_WINDOWS)
    same_day: bool = True
    break_slots: int = Field(default=0, ge=0, le=8)

    _tz = field_validator("timezone")(_zone)

    @model_validator(mode="after")
    def _consistent(self) -> Candidate:
        ids = [s.id for s in self.sessions]
        if len(set(ids)) != len(ids):
            raise ValueError(f"candidate {self.id}: session ids repeat")
        for o in self.order:
            for ref in (o.before, o.after):
                if ref not in ids:
                    raise ValueError(f"candidate {self.id}: order names unknown session {ref!r}")
        _acyclic(self.id, ids, self.order)
        return self


def _acyclic(owner: str, ids: list[str], order: tuple[Order, ...]) -> None:
    after: dict[str, list[str]] = {i: [] for i in ids}
    for o in order:
        after[o.before].append(o.after)
    state: dict[str, int] = {}

    def visit(node: str) -> None:
        state[node] = 1
        for nxt in after[node]:
            if state.get(nxt) == 1:
                raise ValueError(f"candidate {owner}: the order constraints form a cycle through {nxt!r}")
            if nxt not in state:
                visit(nxt)
        state[node] = 2

    for i in ids:
        if i not in state:
            visit(i)


class SchedulingRequest(_Frozen):
    """Everything the solver needs: a horizon of whole days from an aligned start, the candidates to
    schedule (jointly: they share interviewers and rooms), the interviewers, rooms and training policy."""

    horizon_start: AwareDatetime
    horizon_days: int = Field(ge=1, le=MAX_DAYS)
    candidates: tuple[Candidate, ...] = Field(min_length=1, max_length=MAX_CANDIDATES)
    interviewers: tuple[Interviewer, ...] = Field(min_length=1, max_length=MAX_INTERVIEWERS)
    rooms: tuple[Room, ...] = Field(default=(), max_length=200)
    training: TrainingPolicy = TrainingPolicy()

    @field_validator("horizon_start")
    @classmethod
    def _aligned(cls, value: datetime) -> datetime:
        value = value.astimezone(UTC)
        if value.second or value.microsecond or value.minute % SLOT_MINUTES:
            raise ValueError(f"horizon_start must fall on a {SLOT_MINUTES}-minute boundary")
        return value

    @model_validator(mode="after")
    def _references(self) -> SchedulingRequest:
        for what, ids in (
            ("candidate", [c.id for c in self.candidates]),
            ("interviewer", [p.id for p in self.interviewers]),
            ("room", [r.id for r in self.rooms]),
        ):
            seen: set[str] = set()
            for i in ids:
                if i in seen:
                    raise ValueError(f"{what} id {i!r} appears twice")
                seen.add(i)
        if any(s.needs_room for c in self.candidates for s in c.sessions) and not self.rooms:
            raise ValueError("a session needs a room but the request lists no rooms")
        return self

    @property
    def horizon_end(self) -> datetime:
        return self.horizon_start + timedelta(days=self.horizon_days)

    @property
    def slots(self) -> int:
        return self.horizon_days * 24 * 60 // SLOT_MINUTES

    def stage(self, interviewer: Interviewer, pool: str) -> Literal["lead", "shadow", "reverse_shadow"] | None:
        """The seat ``interviewer`` may take in a session of ``pool``: lead (qualified), a trainee's seat
        (shadow, then reverse shadow), or none."""
        if pool in interviewer.pools:
            return "lead"
        for t in interviewer.training:
            if t.pool == pool:
                if t.shadows_done < self.training.shadows:
                    return "shadow"
                if t.reverse_shadows_done < self.training.reverse_shadows:
                    return "reverse_shadow"
                return "lead"
        return None


def parse_request(data: Any) -> SchedulingRequest:
    """``data`` (parsed JSON) as a request, or ``SchedulingInputError`` naming the first bad field and why."""
    if isinstance(data, SchedulingRequest):
        return data
    try:
        return SchedulingRequest.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        first = errors[0]
        path = ".".join(str(p) for p in first.get("loc", ())) or "(request)"
        raise SchedulingInputError(
            f"invalid scheduling request: {path}: {first.get('msg', 'invalid')}",
            hint="fix the field and retry; docs/scheduling.md describes the request",
            errors=[
                {"path": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")} for e in errors[:20]
            ],
        ) from None
