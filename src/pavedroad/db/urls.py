"""Small, pure helpers for Postgres URLs."""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

from pavedroad.db.migrate import APP_ROLE

__all__ = ["app_url_from_owner", "with_database"]


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def app_url_from_owner(owner_url: str, password: str | None = None) -> str:
    """The owner URL with the user switched to ``pavedroad_app`` (and its password, if any)."""
    parts = urlsplit(owner_url)
    host = parts.hostname or "127.0.0.1"
    netloc = APP_ROLE + (f":{quote(password, safe='')}" if password else "") + "@" + host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
