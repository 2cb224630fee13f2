"""The privacy leak check for the whole session: collected with this directory, its hooks capture every
log line of every test (service runs included) and compare them, at the end, with the personal values
harvested from every test database. (Add ``pytest_plugins = ["pavedroad.privacy.leakcheck"]`` to the
root conftest to have it even when this directory is not collected.)"""

from pavedroad.privacy.leakcheck import pytest_configure, pytest_sessionfinish

__all__ = ["pytest_configure", "pytest_sessionfinish"]
