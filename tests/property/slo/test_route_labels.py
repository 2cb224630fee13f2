"""Whatever paths clients send, the recorder's route labels stay the app's templates (bounded cardinality)."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import httpx
from fastapi import FastAPI
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pavedroad.slo import Recorder, SLOMiddleware

TEMPLATES = {"/v1/jobs", "/v1/jobs/{job_id}", "/v1/files/{name}", "<unmatched>"}


def _app(recorder: Recorder) -> FastAPI:
    app = FastAPI()

    @app.get("/v1/jobs")
    async def jobs() -> list[int]:
        return []

    @app.get("/v1/jobs/{job_id}")
    async def job(job_id: int) -> dict[str, int]:
        return {"id": job_id}

    @app.get("/v1/files/{name:path}")
    async def file(name: str) -> dict[str, str]:
        return {"name": name}

    app.add_middleware(SLOMiddleware, recorder=recorder)
    return app


segment = st.text(alphabet=st.characters(min_codepoint=48, max_codepoint=122), min_size=0, max_size=12)
paths = st.lists(st.one_of(st.sampled_from(["v1", "jobs", "files"]), segment), min_size=0, max_size=5).map(
    lambda parts: "/" + "/".join(parts)
)


RECORDER = Recorder("svc", "v1")
APP = _app(RECORDER)


@settings(max_examples=40, deadline=None)
@given(st.lists(paths, min_size=1, max_size=8))
@example(["//A:A", "/v1/jobs//files", "/"])  # once drawn at random: an empty first segment
def test_labels_are_templates_whatever_the_path(sent: list[str]) -> None:
    recorder, app = RECORDER, APP
    recorder.drain()

    async def go() -> None:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport) as client:  # absolute URLs: no base to merge
            for path in sent:
                # On the wire a path is percent-encoded ("?" or "[" cannot appear raw), and set as the path
                # itself: a string like "//a:b" would otherwise be read as a host and port.
                await client.get(httpx.URL("http://t").copy_with(path=quote(path, safe="/:@")))

    asyncio.run(go())
    rows = recorder.drain()
    assert {r.route for r in rows} <= TEMPLATES
    assert sum(r.total for r in rows) == len(sent)
