"""``pavedroad guard egress``: every outbound call site, and whether it rides a pipeline."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from pavedroad.cli.guard import app
from pavedroad.resilience import scan_egress
from pavedroad.resilience.egress import scan_source

SOURCE = """
import httpx
import httpx as hx
import requests
import socket
from urllib.request import urlopen
from http.client import HTTPSConnection
from pavedroad import resilience
from pavedroad.resilience import transport

paved = httpx.AsyncClient(transport=resilience.transport("calendar"))
also_paved = hx.Client(transport=transport("email"), timeout=5)
raw = httpx.Client()
one_shot = hx.post("https://hooks.example/x")
legacy = requests.Session()
urlopen("https://example.com")
HTTPSConnection("example.com")
socket.create_connection(("127.0.0.1", 4222))
socket.create_connection(("smtp.example", 25))
factory = resilience.async_client("hris", base_url="https://hris.example")
"""


def test_scan_classifies_every_site() -> None:
    sites = scan_source(SOURCE, "app.py")
    found = [(s.line, s.target, s.status, s.dependency) for s in sites]
    assert found == [
        (11, "httpx.AsyncClient", "paved", "calendar"),
        (11, "pavedroad.resilience.transport", "paved", "calendar"),
        (12, "httpx.Client", "paved", "email"),
        (12, "pavedroad.resilience.transport", "paved", "email"),
        (13, "httpx.Client", "bypass", None),
        (14, "httpx.post", "bypass", None),
        (15, "requests.Session", "bypass", None),
        (16, "urllib.request.urlopen", "bypass", None),
        (17, "http.client.HTTPSConnection", "bypass", None),
        (18, "socket.create_connection", "loopback", None),
        (19, "socket.create_connection", "bypass", None),
        (20, "pavedroad.resilience.async_client", "paved", "hris"),
    ]


def test_the_paved_road_itself_is_internal() -> None:
    sites = scan_egress([Path(__file__).resolve().parents[3] / "src" / "pavedroad" / "resilience"])
    assert sites
    assert {s.status for s in sites} == {"internal"}


def test_cli_lists_and_fails_strictly(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SOURCE)
    (tmp_path / "broken.py").write_text("def (:\n")  # unparsable files are skipped, not fatal
    runner = CliRunner()
    listed = runner.invoke(app, ["egress", "--json", str(tmp_path)])
    assert listed.exit_code == 0
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sum(row["status"] == "bypass" for row in rows) == 6
    strict = runner.invoke(app, ["egress", "--strict", str(tmp_path)])
    assert strict.exit_code == 1
    assert "bypassing a pipeline" in strict.stdout


def test_cli_passes_on_a_clean_tree(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text(
        'import httpx\nfrom pavedroad import resilience\nc = httpx.Client(transport=resilience.transport("x"))\n'
    )
    assert CliRunner().invoke(app, ["egress", "--strict", str(tmp_path)]).exit_code == 0
