"""An example integration client, written the way the paved road asks: the transport is the pipeline."""

from __future__ import annotations

from typing import Any

import httpx


class JobBoardClient:
    """Publishes and lists jobs on an external job board."""

    def __init__(self, base_url: str, transport: httpx.BaseTransport) -> None:
        self._client = httpx.Client(base_url=base_url, transport=transport, timeout=5.0)

    def list_jobs(self) -> Any:
        response = self._client.get("/v1/jobs")
        response.raise_for_status()
        return response.json()

    def publish(self, job: dict[str, Any], *, idempotency_key: str | None = None) -> Any:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        response = self._client.post("/v1/jobs", json=job, headers=headers)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        self._client.close()


class AsyncJobBoardClient:
    def __init__(self, base_url: str, transport: httpx.AsyncBaseTransport) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=5.0)

    async def list_jobs(self) -> Any:
        response = await self._client.get("/v1/jobs")
        response.raise_for_status()
        return response.json()

    async def aclose(self) -> None:
        await self._client.aclose()
