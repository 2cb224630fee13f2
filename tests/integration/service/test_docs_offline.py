"""`/docs` works without internet access: the page and everything it loads come from the service itself
(FastAPI's default pulls Swagger UI from a CDN, so the page was blank offline)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)
ASSET_URL = re.compile(r"""['"](/docs/assets/[^'"]+)['"]""")


def test_docs_page_references_no_other_host(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.text
    assert EXTERNAL.search(html) is None
    assert "https://" not in html
    assert "http://" not in html
    assert "validatorUrl" in html  # the validator badge, which calls validator.swagger.io, is off


def test_every_asset_the_docs_page_loads_is_served(client: TestClient) -> None:
    assets = ASSET_URL.findall(client.get("/docs").text)
    assert {a.rsplit("/", 1)[1] for a in assets} >= {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 500
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs/oauth2-redirect").status_code == 200


def test_redoc_is_not_served_from_a_cdn(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404
