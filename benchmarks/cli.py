"""CLI start-up: wall time of ``pavedroad --help``, ``pavedroad query run`` (5 rows) and ``import pavedroad``.

* **pavedroad** — each command run as a fresh subprocess, as a user types it: ``pavedroad --help``;
  ``pavedroad query run '<query>' --tenant <t>`` against a running embedded Postgres (started once here,
  migrated and seeded with a small tenant; the command finds it through the data directory, as it finds
  the server of a running ``pavedroad demo``); ``python -c 'import pavedroad'``.
* **baseline** — ``python -c pass`` in the same rounds: the interpreter's own start, which no change to
  pavedroad can remove.

Every command runs once before the timed rounds (writing Python's bytecode caches, as any first run
does, and the user's grammar cache). Rounds are interleaved (one of each command per round); medians
are reported with the CPU time the commands used (less sensitive to a busy machine than wall time).
``query_run_no_parser_cache_s`` runs the same query with an empty user cache directory: what a first
run pays to build the grammar's tables.
Targets: help ≤ 0.5 s, query run ≤ 1.0 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pavedroad.db import EmbeddedPostgres, migrate
from pavedroad.recruiting.generator import seed
from pavedroad.recruiting.tenants import list_tenants
from pavedroad.stack import DATABASE_NAME, all_migration_sources, create_database

console = Console(stderr=True)
PAVEDROAD = str(Path(sys.executable).parent / "pavedroad")
QUERY = "applications | sort -id | select id, stage.name | take 5"
HELP_TARGET_S = 0.5
QUERY_RUN_TARGET_S = 1.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, stdout) of one run; a failing command stops the benchmark."""
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])}… exited {done.returncode}:\n{done.stderr[-2000:]}")
    return wall, _children_cpu() - cpu, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, under a minute")
    args = parser.parse_args()
    rounds = 4 if args.quick else 15
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="pavedroad-bench-cli-") as tmp:
        data_dir = Path(tmp) / "data"
        server = EmbeddedPostgres(data_dir)
        try:
            console.log("starting Postgres, migrating, seeding 2 tenants (2,000 applications)…")
            owner_url = create_database(server.start(), DATABASE_NAME)
            migrate(owner_url, all_migration_sources())
            seed(owner_url, applications=2_000, tenants=2, seed=1, progress=False)
            tenant = list_tenants(owner_url)[0]
            # Python's default set-up: bytecode caches written on first import (the warm-up run) and read
            # after. With PYTHONDONTWRITEBYTECODE set, as in some sandboxes, every start compiles every
            # module from source (~1 s more CPU for `query run`), which measures the sandbox, not the CLI.
            env = {k: v for k, v in os.environ.items() if not k.startswith("PAVEDROAD_")}
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env |= {"PAVEDROAD_DATA_DIR": str(data_dir), "COLUMNS": "120"}
            no_cache_env = env | {"XDG_CACHE_HOME": str(Path(tmp) / "empty-cache")}
            commands: dict[str, tuple[list[str], dict[str, str]]] = {
                "python_start": ([sys.executable, "-c", "pass"], env),
                "import": ([sys.executable, "-c", "import pavedroad"], env),
                "help": ([PAVEDROAD, "--help"], env),
                "query_run": ([PAVEDROAD, "query", "run", QUERY, "--tenant", tenant, "--json"], env),
                "query_run_no_parser_cache": ([PAVEDROAD, "query", "run", QUERY, "--tenant", tenant], no_cache_env),
            }
            _, _, out = timed(*commands["query_run"])  # warm-up: the user's parser cache, the OS's file cache
            rows = json.loads(out)["rows"]
            if len(rows) != 5:
                raise SystemExit(f"the benchmark query returned {len(rows)} rows, not 5")
            timed(*commands["help"])
            timed(*commands["import"])
            walls: dict[str, list[float]] = {k: [] for k in commands}
            cpus: dict[str, list[float]] = {k: [] for k in commands}
            console.log(f"{rounds} rounds of {len(commands)} commands (interleaved), load average {load:.1f}")
            for _ in range(rounds):
                for name, (argv, run_env) in commands.items():
                    if name == "query_run_no_parser_cache":
                        for cached in (Path(tmp) / "empty-cache").glob("pavedroad/*"):
                            cached.unlink()
                    wall, cpu, _ = timed(argv, run_env)
                    walls[name].append(wall)
                    cpus[name].append(cpu)
        finally:
            server.stop()

    wall_med = {k: statistics.median(v) for k, v in walls.items()}
    cpu_med = {k: statistics.median(v) for k, v in cpus.items()}
    table = Table(title=f"CLI start-up, median of {rounds} runs (load average {load:.1f} at start)")
    table.add_column("command")
    table.add_column("wall, s", justify="right")
    table.add_column("CPU, s", justify="right")
    table.add_column("target", justify="right")
    labels = {
        "python_start": "python -c pass (baseline)",
        "import": "python -c 'import pavedroad'",
        "help": "pavedroad --help",
        "query_run": "pavedroad query run (5 rows)",
        "query_run_no_parser_cache": "… with an empty user cache",
    }
    targets = {"help": f"≤ {HELP_TARGET_S}", "query_run": f"≤ {QUERY_RUN_TARGET_S}"}
    for name, label in labels.items():
        table.add_row(label, f"{wall_med[name]:.3f}", f"{cpu_med[name]:.3f}", targets.get(name, ""))
    console.print(table)
    results: dict[str, float | int | bool] = {
        **{f"{k}_s": round(v, 3) for k, v in wall_med.items()},
        **{f"{k}_cpu_s": round(v, 3) for k, v in cpu_med.items()},
        "help_target_met": wall_med["help"] <= HELP_TARGET_S,
        "query_run_target_met": wall_med["query_run"] <= QUERY_RUN_TARGET_S,
        "rounds": rounds,
        "load_average": round(load, 2),
    }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
