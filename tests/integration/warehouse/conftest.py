from tests.integration.events.conftest import app_pool, events_config, world

__all__ = ["app_pool", "events_config", "world"]
