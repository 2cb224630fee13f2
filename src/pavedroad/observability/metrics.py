"""Prometheus plumbing shared by every block: one injectable registry per app, and the exposition.

Blocks register collectors (``prometheus_client`` metrics or custom ``Collector`` objects) on the
registry they are given; nothing registers on the global default registry, so two apps (or two tests)
in one process never collide.

    registry = new_registry()
    body, content_type = render(registry)
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE", "new_registry", "render"]

CONTENT_TYPE = CONTENT_TYPE_LATEST


def new_registry() -> CollectorRegistry:
    """A fresh registry (no default process/platform collectors; add them if you want them)."""
    return CollectorRegistry(auto_describe=True)


def render(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The text exposition of ``registry`` and its content type."""
    return generate_latest(registry), CONTENT_TYPE
