"""Prometheus plumbing shared by every block: one injectable registry per app, and the exposition.

Per-app collectors (the SLO recorder's histograms) go on a registry made with ``new_registry`` and
kept on the app, so two apps (or two tests) in one process never collide; process-wide metrics may use
``prometheus_client``'s global ``REGISTRY``. ``render`` concatenates several registries into one
exposition (family names must not repeat across them).

    registry = new_registry()
    body, content_type = render(registry, REGISTRY)
"""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE", "GLOBAL_REGISTRY", "new_registry", "render"]

GLOBAL_REGISTRY = REGISTRY

CONTENT_TYPE = CONTENT_TYPE_LATEST


def new_registry() -> CollectorRegistry:
    """A fresh registry (no default process/platform collectors; add them if you want them)."""
    return CollectorRegistry(auto_describe=True)


def render(*registries: CollectorRegistry) -> tuple[bytes, str]:
    """The text exposition of ``registries`` (in order, concatenated) and its content type."""
    return b"".join(generate_latest(r) for r in registries), CONTENT_TYPE
