"""Flag evaluation: pavedroad's compiled direct path and OpenFeature provider vs flagd, Unleash, GrowthBook.

One flag, expressed natively for each engine: a 50% rollout (bucketed on the targeting key) behind two
constraints (tenant in a list of 20, plan == "pro"). Every engine runs in this process, offline:

* **pavedroad direct** — ``FlagClient.enabled(key, ctx)`` over the compiled snapshot;
* **pavedroad OpenFeature** — ``openfeature`` client → ``PavedroadProvider``;
* **flagd in-process** — ``openfeature`` client → ``FlagdProvider`` in file mode on a flag file (the same
  flagd JSON pavedroad loads; no flagd server);
* **Unleash** — ``UnleashClient`` bootstrapped from a features dict, ``initialize_client(fetch_toggles=False)``;
* **GrowthBook** — ``GrowthBook`` with a local features dict (``set_attributes`` + ``is_on``).

Each round evaluates the same 2,000 contexts once per engine, engines interleaved; a figure is the median
over rounds of the mean time per evaluation (``*_p50_us``). The last line also carries the conformance
pass counts (flagd-testbed evaluator suite, Unleash client specification), read from ../shared
(0/0 with a note when absent).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from pavedroad.flags import FlagClient, FlagRuntime, PavedroadProvider, StoreState, parse_flag_set

CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "conformance"
KEY = "checkout-v2"
TENANTS = [f"tenant-{i:02d}" for i in range(20)]

FLAGD_DOC: dict[str, Any] = {
    "flags": {
        KEY: {
            "state": "ENABLED",
            "variants": {"on": True, "off": False},
            "defaultVariant": "off",
            "targeting": {
                "if": [
                    {"and": [{"in": [{"var": "tenant"}, TENANTS]}, {"==": [{"var": "plan"}, "pro"]}]},
                    {"fractional": [{"var": "targetingKey"}, ["on", 50], ["off", 50]]},
                    "off",
                ]
            },
        }
    }
}

UNLEASH_DOC: dict[str, Any] = {
    "version": 1,
    "features": [
        {
            "name": KEY,
            "enabled": True,
            "strategies": [
                {
                    "name": "flexibleRollout",
                    "parameters": {"rollout": "50", "stickiness": "userId", "groupId": KEY},
                    "constraints": [
                        {"contextName": "tenant", "operator": "IN", "values": TENANTS},
                        {"contextName": "plan", "operator": "IN", "values": ["pro"]},
                    ],
                }
            ],
        }
    ],
}

GROWTHBOOK_FEATURES: dict[str, Any] = {
    KEY: {
        "defaultValue": False,
        "rules": [
            {
                "condition": {"tenant": {"$in": TENANTS}, "plan": "pro"},
                "force": True,
                "coverage": 0.5,
                "hashAttribute": "id",
            }
        ],
    }
}


def contexts(n: int) -> list[dict[str, Any]]:
    """Subjects spread over matching and non-matching tenants and plans."""
    out = []
    for i in range(n):
        tenant = TENANTS[i % 20] if i % 4 else f"other-{i % 7}"
        out.append({"tenant": tenant, "plan": "pro" if i % 3 else "free", "targetingKey": f"{tenant}:user-{i}"})
    return out


def build(tmp: Path) -> dict[str, Callable[[dict[str, Any]], bool]]:
    """One evaluation function per engine, each taking the same context dict."""
    from openfeature import api
    from openfeature.contrib.provider.flagd import FlagdProvider
    from openfeature.contrib.provider.flagd.config import ResolverType
    from openfeature.evaluation_context import EvaluationContext

    direct = FlagClient(FlagRuntime(state=StoreState(1, parse_flag_set(FLAGD_DOC))))
    api.set_provider(PavedroadProvider(direct), domain="pavedroad")
    of_client = api.get_client("pavedroad")

    flag_file = tmp / "flags.json"
    flag_file.write_text(json.dumps(FLAGD_DOC))
    api.set_provider(
        FlagdProvider(resolver_type=ResolverType.FILE, offline_flag_source_path=str(flag_file)), domain="flagd"
    )
    flagd_client = api.get_client("flagd")

    from UnleashClient import UnleashClient
    from UnleashClient.cache import FileCache

    cache = FileCache("pavedroad-bench", directory=str(tmp / "unleash"))
    cache.bootstrap_from_dict(UNLEASH_DOC)
    unleash = UnleashClient(
        url="http://127.0.0.1:9",
        app_name="pavedroad-bench",
        disable_metrics=True,
        disable_registration=True,
        cache=cache,
    )
    unleash.initialize_client(fetch_toggles=False)

    from growthbook import GrowthBook

    gb = GrowthBook(features=GROWTHBOOK_FEATURES)

    def of_eval(ctx: dict[str, Any]) -> bool:
        ec = EvaluationContext(ctx["targetingKey"], {"tenant": ctx["tenant"], "plan": ctx["plan"]})
        return of_client.get_boolean_value(KEY, False, ec)

    def flagd_eval(ctx: dict[str, Any]) -> bool:
        ec = EvaluationContext(ctx["targetingKey"], {"tenant": ctx["tenant"], "plan": ctx["plan"]})
        return flagd_client.get_boolean_value(KEY, False, ec)

    def unleash_eval(ctx: dict[str, Any]) -> bool:
        uctx = {"userId": ctx["targetingKey"], "properties": {"tenant": ctx["tenant"], "plan": ctx["plan"]}}
        return bool(unleash.is_enabled(KEY, uctx))

    def gb_eval(ctx: dict[str, Any]) -> bool:
        gb.set_attributes({"id": ctx["targetingKey"], "tenant": ctx["tenant"], "plan": ctx["plan"]})
        return gb.is_on(KEY)

    engines: dict[str, Callable[[dict[str, Any]], bool]] = {
        "direct": lambda ctx: direct.enabled(KEY, ctx),
        "openfeature": of_eval,
        "flagd_inprocess": flagd_eval,
        "unleash": unleash_eval,
        "growthbook": gb_eval,
    }
    engines["_unleash_client"] = unleash  # type: ignore[assignment]
    return engines


def measure(fn: Callable[[dict[str, Any]], bool], ctxs: list[dict[str, Any]]) -> float:
    """Mean microseconds per evaluation over ``ctxs``."""
    start = time.perf_counter()
    for ctx in ctxs:
        fn(ctx)
    return (time.perf_counter() - start) / len(ctxs) * 1e6


def conformance() -> dict[str, Any]:
    """Pass counts of the flagd-testbed evaluator suite and the Unleash client specification."""
    out: dict[str, Any] = {"flagd_testbed_passed": 0, "flagd_testbed_total": 0}
    out |= {"unleash_spec_passed": 0, "unleash_spec_total": 0}
    if not CONFORMANCE.is_dir():
        out["conformance_note"] = f"{CONFORMANCE} not found; counts are 0/0"
        return out
    from pavedroad.flags.conformance import run_flagd_evaluator

    flagd = run_flagd_evaluator(CONFORMANCE / "flagd-testbed")
    out |= {"flagd_testbed_passed": flagd.passed, "flagd_testbed_total": flagd.total}
    try:
        from pavedroad.flags.unleash import run_unleash_spec
    except ImportError:
        out["conformance_note"] = "Unleash importer not available"
        return out
    spec = run_unleash_spec(CONFORMANCE / "unleash-client-specification")
    out |= {"unleash_spec_passed": spec.passed, "unleash_spec_total": spec.total}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (under a minute)")
    args = parser.parse_args()
    rounds = 7 if args.quick else 25
    console = Console(stderr=True)
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    ctxs = contexts(2000)
    with tempfile.TemporaryDirectory(prefix="pavedroad-flags-bench-") as tmp:
        engines = build(Path(tmp))
        unleash_client = engines.pop("_unleash_client")
        answers = {name: [fn(c) for c in ctxs] for name, fn in engines.items()}  # warm-up and agreement
        samples: dict[str, list[float]] = {name: [] for name in engines}
        for _ in range(rounds):
            for name, fn in engines.items():
                samples[name].append(measure(fn, ctxs))
        unleash_client.destroy()  # type: ignore[attr-defined]
        from openfeature import api

        api.shutdown()  # stop flagd's file watcher before its directory goes away
        time.sleep(1.0)  # the watcher re-reads once more after its poll interval (0.5 s) before it notices
    p50 = {name: statistics.median(s) for name, s in samples.items()}
    on_share = {name: sum(a) / len(a) for name, a in answers.items()}
    table = Table(title=f"flag evaluation, {len(ctxs)} contexts x {rounds} rounds (median of round means)")
    for col in ("engine", "µs / eval", "evals / s", "x direct", "share on"):
        table.add_column(col, justify="right" if col != "engine" else "left")
    for name, value in p50.items():
        table.add_row(
            name, f"{value:.3f}", f"{1e6 / value:,.0f}", f"{value / p50['direct']:.1f}", f"{on_share[name]:.3f}"
        )
    console.print(table)
    result: dict[str, Any] = {
        "eval_direct_p50_us": round(p50["direct"], 4),
        "eval_openfeature_p50_us": round(p50["openfeature"], 4),
        "flagd_inprocess_p50_us": round(p50["flagd_inprocess"], 4),
        "unleash_p50_us": round(p50["unleash"], 4),
        "growthbook_p50_us": round(p50["growthbook"], 4),
        "speedup_vs_flagd": round(p50["flagd_inprocess"] / p50["direct"], 1),
        "speedup_vs_unleash": round(p50["unleash"] / p50["direct"], 1),
        "speedup_vs_growthbook": round(p50["growthbook"] / p50["direct"], 1),
        "openfeature_speedup_vs_flagd": round(p50["flagd_inprocess"] / p50["openfeature"], 1),
        "direct_evals_per_s": round(1e6 / p50["direct"]),
        "agreement_with_flagd_pct": round(
            100 * sum(a == b for a, b in zip(answers["direct"], answers["flagd_inprocess"], strict=True)) / len(ctxs), 1
        ),
        "rounds": rounds,
    }
    result |= conformance()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
