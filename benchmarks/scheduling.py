"""Interview scheduling: CP-SAT against a recruiter's first-fit, on generated realistic requests.

Requests come from ``pavedroad.scheduling.generate_request``: two weeks from a Monday (ten business
days, 15-minute slots), a five-session onsite (60/60/45/45/30 min, 15-minute breaks, order constraints,
one trainee seat), interviewers in five pools over four time zones with 2-5 meetings a day, booked
interviews, daily and weekly load caps, one in six a trainee; candidates free on five or six days.

* **solve**: ``solve()`` per request (single-threaded CP-SAT, seed 0), p50/p95 wall time for 20, 100 and
  400 interviewers, with how many were proven optimal (infeasible requests, whose time includes the
  explanation, are counted apart).
* **batch**: 50 candidates over 100 interviewers solved jointly (time limit 60 s) vs the greedy one by one:
  sessions placed, mean days from the horizon start to the onsite, load balance (max interviews per
  interviewer, and the load-cost objective).
* **explain**: a request made infeasible on purpose (every qualified system-design interviewer has used
  their weekly limit in the only week the candidate is free): time to a minimal explanation.

``--quick`` uses fewer requests and a batch of 20 candidates. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import datetime, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table

from pavedroad.scheduling import Schedule, SchedulingRequest, SolveOptions, generate_request, greedy, parse_request
from pavedroad.scheduling import explain as explain_request
from pavedroad.scheduling import solve as solve_request

console = Console()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def bench_solve(sizes: tuple[int, ...], runs: int) -> dict[int, dict[str, Any]]:
    solve_request(parse_request(generate_request(10, 1, 0)))  # load ortools once, outside the timings
    out: dict[int, dict[str, Any]] = {}
    for n in sizes:
        times: list[float] = []
        optimal = infeasible = 0
        for seed in range(runs * 3):
            if len(times) >= runs:
                break
            request = parse_request(generate_request(n, 1, seed))
            started = time.perf_counter()
            schedule = solve_request(request)
            elapsed = (time.perf_counter() - started) * 1000
            if schedule.status == "infeasible":
                infeasible += 1
                continue
            times.append(elapsed)
            optimal += schedule.status == "optimal"
        out[n] = {
            "p50_ms": round(_pct(times, 0.5), 1),
            "p95_ms": round(_pct(times, 0.95), 1),
            "solved": len(times),
            "optimal": optimal,
            "infeasible_skipped": infeasible,
        }
    return out


def _days_to_onsite(request: SchedulingRequest, schedule: Schedule) -> float:
    first: dict[str, datetime] = {}
    for p in schedule.placements:
        first[p.candidate] = min(first.get(p.candidate, p.start), p.start)
    days = [(start - request.horizon_start) / timedelta(days=1) for start in first.values()]
    return statistics.mean(days) if days else float("nan")


def _max_load(schedule: Schedule) -> int:
    per: dict[str, int] = {}
    for p in schedule.placements:
        for seat in p.seats:
            per[seat.interviewer] = per.get(seat.interviewer, 0) + 1
    return max(per.values(), default=0)


def bench_batch(candidates: int, interviewers: int, limit_s: float) -> dict[str, Any]:
    request = parse_request(generate_request(interviewers, candidates, seed=11))
    started = time.perf_counter()
    joint = solve_request(request, SolveOptions(time_limit_s=limit_s))
    joint_s = time.perf_counter() - started
    started = time.perf_counter()
    first_fit = greedy(request)
    greedy_s = time.perf_counter() - started
    rows = {}
    for name, s in (("joint", joint), ("greedy", first_fit)):
        assert s.objectives is not None
        rows[name] = {
            "sessions_placed": len(s.placements),
            "candidates_unscheduled": len(s.unscheduled),
            "days_to_onsite": round(_days_to_onsite(request, s), 3),
            "max_interviews_per_person": _max_load(s),
            "load_cost": s.objectives.load_cost,
            "new_interview_days": s.objectives.new_interview_days,
        }
    return {
        "candidates": candidates,
        "joint_s": round(joint_s, 2),
        "greedy_s": round(greedy_s, 3),
        "status": joint.status,
        "gap": joint.gap,
        **{f"{who}_{k}": v for who, row in rows.items() for k, v in row.items()},
    }


def infeasible_request(interviewers: int, seed: int = 5) -> SchedulingRequest:
    """Every system-design lead has booked their weekly limit in week one, the only week the candidate is free."""
    data = generate_request(interviewers, 1, seed)
    start = datetime.fromisoformat(data["horizon_start"])
    for person in data["interviewers"]:
        if "system-design" in person["pools"]:
            person["weekly_limit"] = person["weekly_limit"] or 2
            person["busy"] = [b for b in person["busy"] if not b.get("interview")]
            for k in range(person["weekly_limit"]):
                booked = start + timedelta(days=k % 5, hours=6)  # before working hours: only the load counts
                end = booked + timedelta(minutes=30)
                person["busy"].append({"start": booked.isoformat(), "end": end.isoformat(), "interview": True})
    week_one = start + timedelta(days=5)
    data["candidates"][0]["availability"] = [
        w for w in data["candidates"][0]["availability"] if datetime.fromisoformat(w["start"]) < week_one
    ]
    return parse_request(data)


def bench_explain(interviewers: int, runs: int) -> dict[str, Any]:
    request = infeasible_request(interviewers)
    times = []
    explanation = None
    for _ in range(runs):
        started = time.perf_counter()
        explanation = explain_request(request)
        times.append((time.perf_counter() - started) * 1000)
    assert explanation is not None
    return {
        "p50_ms": round(_pct(times, 0.5), 1),
        "max_ms": round(max(times), 1),
        "conflict_size": len(explanation.conflict),
        "minimal": explanation.minimal,
        "headline": explanation.headline,
        "relaxations": [r.text for r in explanation.relaxations][:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, a batch of 20 candidates")
    args = parser.parse_args()
    runs = 5 if args.quick else 20
    batch = 20 if args.quick else 50
    solve = bench_solve((20, 100, 400), runs)
    table = Table(title=f"solve() per request ({runs} feasible requests per size)")
    for col in ("interviewers", "p50 ms", "p95 ms", "proven optimal", "infeasible skipped"):
        table.add_column(col, justify="right")
    for n, row in solve.items():
        proven = f"{row['optimal']}/{row['solved']}"
        table.add_row(str(n), f"{row['p50_ms']}", f"{row['p95_ms']}", proven, str(row["infeasible_skipped"]))
    console.print(table)
    batched = bench_batch(batch, 100, 60.0)
    console.print(batched)
    explained = bench_explain(100, 3 if args.quick else 5)
    console.print(explained)
    greedy_days = batched["greedy_days_to_onsite"]
    summary = {
        "solve_p50_ms_20": solve[20]["p50_ms"],
        "solve_p95_ms_20": solve[20]["p95_ms"],
        "solve_p50_ms_100": solve[100]["p50_ms"],
        "solve_p95_ms_100": solve[100]["p95_ms"],
        "solve_p50_ms_400": solve[400]["p50_ms"],
        "solve_p95_ms_400": solve[400]["p95_ms"],
        "optimal_share_100": solve[100]["optimal"] / max(1, solve[100]["solved"]),
        "optimal_share_400": solve[400]["optimal"] / max(1, solve[400]["solved"]),
        f"batch{batch}_s": batched["joint_s"],
        "batch50_s": batched["joint_s"] if batch == 50 else None,
        "batch_candidates": batch,
        "batch_sessions_placed": batched["joint_sessions_placed"],
        "batch_sessions_placed_greedy": batched["greedy_sessions_placed"],
        "batch50_days_to_onsite_vs_greedy": round(batched["joint_days_to_onsite"] / greedy_days, 3)
        if greedy_days
        else None,
        "batch_max_load": batched["joint_max_interviews_per_person"],
        "batch_max_load_greedy": batched["greedy_max_interviews_per_person"],
        "explain_ms": explained["p50_ms"],
        "explain_max_ms": explained["max_ms"],
        "explain_conflict_size": explained["conflict_size"],
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
