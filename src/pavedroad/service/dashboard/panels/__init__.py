"""Built-in panels; importing this package registers them (one module per block)."""

from pavedroad.service.dashboard.panels import overview

__all__ = ["overview"]
