"""A small structural JSON diff for the audit log: which paths changed, from what, to what."""

from __future__ import annotations

from typing import Any

__all__ = ["json_diff"]


def json_diff(before: Any, after: Any, path: str = "") -> list[dict[str, Any]]:
    """Changed leaves as ``{"path", "before", "after"}``; objects are walked key by key.

    >>> json_diff({"state": "ENABLED", "a": 1}, {"state": "DISABLED", "a": 1})
    [{'path': 'state', 'before': 'ENABLED', 'after': 'DISABLED'}]
    """
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[dict[str, Any]] = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in before:
                out.append({"path": sub, "before": None, "after": after[key]})
            elif key not in after:
                out.append({"path": sub, "before": before[key], "after": None})
            else:
                out.extend(json_diff(before[key], after[key], sub))
        return out
    if before == after and type(before) is type(after):
        return []
    return [{"path": path or "$", "before": before, "after": after}]
