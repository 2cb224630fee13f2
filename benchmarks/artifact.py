"""The offline artifact: build time and size, byte-for-byte reproducibility, offline install, demo.

Builds the artifact of HEAD twice into separate directories (the first build fills the wheel cache if
it is empty, so it may include downloads; the second is the steady-state build, offline) and compares
every output byte for byte. Then unpacks it into an empty directory and, inside a new network namespace
(``unshare -n``: loopback only), runs ``install.sh``, ``pavedroad version`` (its commit must be HEAD's)
and ``pavedroad demo --help``; without ``--quick`` it also runs ``pavedroad demo --no-traffic`` in the
namespace until ``/readyz`` answers 200 (Postgres, NATS and migrations from the installed wheels), then
stops it with SIGINT. There is no baseline: the figure of merit is ``artifact_reproducible``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
from pathlib import Path

from rich.console import Console

from pavedroad.release import build, checkout_root

console = Console(stderr=True)
ROOT = checkout_root(Path(__file__).resolve().parent)
DEMO_PORT = 18765


def _offline(argv: list[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in a fresh network namespace with only loopback (brought up)."""
    script = 'ip link set lo up && exec "$@"'
    return subprocess.run(
        ["unshare", "-n", "sh", "-c", script, "sh", *argv],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


DEMO_SCRIPT = textwrap.dedent(
    """
    set -u
    "$1/bin/pavedroad" demo --no-traffic --port {port} > "$2/demo.log" 2>&1 &
    pid=$!
    status=fail
    probe="import urllib.request as u; u.urlopen('http://127.0.0.1:{port}/readyz', timeout=2)"
    for i in $(seq 1 600); do
        if "$1/venv/bin/python" -c "$probe" 2>/dev/null; then status=ready; break; fi
        kill -0 $pid 2>/dev/null || break
        sleep 0.5
    done
    echo "$status after ${{i}} polls"
    kill -INT $pid; wait $pid; echo "demo exit $?"
    """
).format(port=DEMO_PORT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="skip the demo run (install and --help only)")
    args = parser.parse_args()
    if ROOT is None:
        raise SystemExit("run from a git checkout of pavedroad")
    results: dict[str, float | int | bool | str] = {}
    with tempfile.TemporaryDirectory(prefix="pavedroad-bench-artifact-") as tmp:
        work = Path(tmp)
        first = build(ROOT, work / "one", log=console.log)
        second = build(ROOT, work / "two", log=console.log)
        outputs = sorted(p.name for p in (work / "one").iterdir())
        identical = outputs == sorted(p.name for p in (work / "two").iterdir()) and all(
            (work / "one" / n).read_bytes() == (work / "two" / n).read_bytes() for n in outputs
        )
        size = second.tarball.stat().st_size
        with tarfile.open(second.tarball) as tar:
            wheels = sum(1 for m in tar.getmembers() if m.name.endswith(".whl"))
            tar.extractall(work / "unpacked", filter="data")
        console.log(f"built twice: {first.seconds:.1f}s, {second.seconds:.1f}s; identical={identical}")
        results |= {
            "artifact_reproducible": identical,
            "artifact_build_s": round(second.seconds, 1),
            "artifact_first_build_s": round(first.seconds, 1),
            "artifact_size_mb": round(size / 1e6, 1),
            "artifact_wheels": wheels,
            "artifact_version": second.version,
        }
        offline = shutil.which("unshare") is not None and _offline(["true"], timeout=30).returncode == 0
        results["install_network_disabled"] = offline
        if not offline:
            console.log("no network namespace here (unshare -n refused): install not measured")
        else:
            prefix = work / "opt"
            installer = next((work / "unpacked").glob("pavedroad-*/install.sh"))
            started = time.monotonic()
            done = _offline([str(installer), str(prefix)], timeout=900)
            results["install_s"] = round(time.monotonic() - started, 1)
            results["install_ok"] = done.returncode == 0
            if done.returncode != 0:
                console.log(done.stdout + done.stderr)
            else:
                shown = _offline([str(prefix / "bin" / "pavedroad"), "version", "--json"], timeout=60)
                results["version_shows_commit"] = json.loads(shown.stdout)["commit"] == second.commit
                demo_help = _offline([str(prefix / "bin" / "pavedroad"), "demo", "--help"], timeout=60)
                results["demo_help_ok"] = demo_help.returncode == 0 and "Usage" in demo_help.stdout
                if not args.quick:
                    (work / "demo.sh").write_text(DEMO_SCRIPT)
                    env_dir = work / "demo"
                    env_dir.mkdir()
                    os.environ["PAVEDROAD_DATA_DIR"] = str(env_dir / "data")
                    started = time.monotonic()
                    demo = _offline(["sh", str(work / "demo.sh"), str(prefix), str(env_dir)], timeout=900)
                    results["demo_ready_offline"] = demo.stdout.startswith("ready") and "demo exit 0" in demo.stdout
                    results["demo_run_s"] = round(time.monotonic() - started, 1)
                    console.log(demo.stdout.strip())
    console.print_json(json.dumps(results))
    print(json.dumps(results))
    sys.exit(0 if results["artifact_reproducible"] else 1)


if __name__ == "__main__":
    main()
