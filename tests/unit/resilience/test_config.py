"""Configuration is validated data: typos and bad ranges fail at start with the key and the fix."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pavedroad import resilience
from pavedroad.errors import ConfigurationError
from pavedroad.resilience import ResilienceConfig, build_pipeline, load_config
from pavedroad.testing import FakeClock, ScriptedTransport

YAML = """
defaults:
  deadline_s: 20
  retry: {max_attempts: 4}
dependencies:
  calendar:
    bulkhead: {max_concurrent: 8, max_queue: 16}
    retry: {base_delay_s: 0.5}
    rate_limit: {per_second: 20, burst: 40}
  email:
    breaker: null
egress_allow: [db.internal, 10.20.0.0/16]
"""


def test_yaml_file_with_defaults_merged_underneath(tmp_path: Path) -> None:
    path = tmp_path / "resilience.yaml"
    path.write_text(YAML)
    config = load_config(path)
    calendar = config.for_dependency("calendar")
    assert (calendar.deadline_s, calendar.retry.max_attempts, calendar.retry.base_delay_s) == (20, 4, 0.5)
    assert calendar.bulkhead is not None
    assert calendar.bulkhead.max_concurrent == 8
    assert config.for_dependency("email").breaker is None
    assert config.for_dependency("unlisted").retry.max_attempts == 4
    assert config.egress_allow == ("db.internal", "10.20.0.0/16")


def test_file_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("dependencies: {hris: {deadline_s: 5, attempt_timeout_s: 2}}")
    monkeypatch.setenv("PAVEDROAD_RESILIENCE_FILE", str(path))
    assert load_config().for_dependency("hris").deadline_s == 5


def test_no_file_means_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAVEDROAD_RESILIENCE_FILE", raising=False)
    config = load_config()
    assert config.for_dependency("anything") == config.defaults


def test_a_typo_names_the_key_and_suggests_the_fix() -> None:
    with pytest.raises(ConfigurationError) as error:
        ResilienceConfig.parse({"dependencies": {"calendar": {"breaker": {"failure_rat": 0.3}}}})
    assert "dependencies.calendar.breaker.failure_rat" in error.value.message
    assert "did you mean 'failure_rate'" in (error.value.hint or "")


@pytest.mark.parametrize(
    "dependency",
    [
        {"breaker": {"failure_rate": 1.5}},
        {"retry": {"max_attempts": 0}},
        {"bulkhead": {"max_concurrent": 0}},
        {"budget": {"ratio": -0.1}},
        {"deadline_s": 1, "attempt_timeout_s": 5},
        {"rate_limit": {"burst": 2}},
    ],
)
def test_out_of_range_values_are_refused(dependency: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        ResilienceConfig.parse({"dependencies": {"x": dependency}})


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("dependencies: [unclosed")
    with pytest.raises(ConfigurationError, match="not valid YAML"):
        load_config(bad)


def test_settings_become_policies() -> None:
    config = ResilienceConfig.parse(
        {"dependencies": {"calendar": {"breaker": {"window": "time", "size": 30}, "rate_limit": {"per_second": 5}}}}
    )
    built = build_pipeline("calendar", config.for_dependency("calendar"), clock=FakeClock())
    assert built.breaker is not None
    assert (built.breaker.window, built.breaker.size) == ("time", 30)
    assert built.rate_limit is not None
    assert built.rate_limit.per_second == 5


def test_configure_then_transport_shares_one_pipeline_per_dependency() -> None:
    resilience.configure({"dependencies": {"calendar": {"retry": {"max_attempts": 2}}}})
    try:
        first = resilience.transport("calendar", inner=ScriptedTransport.always(503))
        second = resilience.transport("calendar", inner=ScriptedTransport.always(200))
        assert first.pipeline is second.pipeline is resilience.pipeline("calendar")
        assert first.pipeline.retry.max_attempts == 2
        with httpx.Client(transport=first) as client:
            assert client.get("http://calendar.test/").status_code == 503
        assert "calendar" in resilience.pipelines()
    finally:
        resilience.configure(ResilienceConfig())


def test_client_factories_are_the_paved_road() -> None:
    resilience.configure({})
    try:
        sync = resilience.client("hris", inner=ScriptedTransport.always(200), base_url="http://hris.test")
        with sync:
            assert sync.get("/people").status_code == 200
        assert resilience.pipeline("hris").stats.calls["success"] == 1
        with pytest.raises(TypeError, match="bypass the pipeline"):
            resilience.client("hris", transport=httpx.MockTransport(lambda r: httpx.Response(200)))
        with pytest.raises(TypeError, match="bypass the pipeline"):
            resilience.async_client("hris", proxy="http://proxy.test:3128")
    finally:
        resilience.configure(ResilienceConfig())


async def test_async_client_factory() -> None:
    resilience.configure({"dependencies": {"webhooks": {"hedging": {"delay_s": 0.2}}}})
    try:
        assert resilience.pipeline("webhooks").hedging is not None
        async with resilience.async_client("webhooks", inner=ScriptedTransport.always(204)) as client:
            assert (await client.post("http://hooks.test/x", content=b"{}")).status_code == 204
    finally:
        resilience.configure(ResilienceConfig())
