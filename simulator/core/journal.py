"""The request journal: every request a lab server saw (or the engine sent), secrets redacted.

Entries are appended to a bounded deque (oldest dropped first) and carry a sequence number, the virtual
time, the request and the response. Durations are measured on the virtual clock, so a lab run twice
with the same seed writes byte-identical journals.
"""
from __future__ import annotations

import json
import threading
from collections import deque
from typing import Any, Iterable

from .redact import redact_data, redact_form, redact_headers, redact_query

DEFAULT_RETENTION = 20_000
_BODY_LIMIT = 64 * 1024


def decode_body(raw: bytes | str | None, content_type: str | None) -> Any:
    """Best-effort readable form of a body for the journal: JSON parsed, forms and text redacted."""
    if raw is None or raw == b"" or raw == "":
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if len(text) > _BODY_LIMIT:
        return {"truncated": True, "length": len(text), "head": redact_form(text[:200])}
    ctype = (content_type or "").lower()
    if "json" in ctype or text[:1] in "{[":
        try:
            return redact_data(json.loads(text))
        except ValueError:
            pass
    if "x-www-form-urlencoded" in ctype:
        return redact_form(text)
    return redact_data(text)


class Journal:
    def __init__(self, clock, retention: int = DEFAULT_RETENTION):
        self.clock = clock
        self._entries: deque[dict] = deque(maxlen=retention)
        self._seq = 0
        self._lock = threading.Lock()

    def record(
        self,
        *,
        method: str,
        path: str,
        query: str = "",
        headers: dict | None = None,
        body: Any = None,
        status: int | None = None,
        response_headers: dict | None = None,
        response_body: Any = None,
        duration_ms: float = 0.0,
        direction: str = "inbound",
        url: str | None = None,
        error: str | None = None,
        extra: dict | None = None,
    ) -> dict:
        entry = {
            "time": self.clock.isoformat(),
            "direction": direction,
            "method": method,
            "path": path,
            "query": redact_query(query),
            "headers": redact_headers(headers or {}),
            "body": body,
            "status": status,
            "responseHeaders": redact_headers(response_headers or {}),
            "responseBody": response_body,
            "durationMs": round(duration_ms, 3),
        }
        if url is not None:
            entry["url"] = url
        if error is not None:
            entry["error"] = error
        if extra:
            entry.update(extra)
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._entries.append(entry)
        return entry

    def entries(
        self,
        *,
        method: str | None = None,
        path_contains: str | None = None,
        status: int | None = None,
        direction: str | None = None,
        since: int | None = None,
        limit: int | None = None,
    ) -> list[dict]:
        with self._lock:
            items: Iterable[dict] = list(self._entries)
        out = []
        for e in items:
            if method and e["method"].upper() != method.upper():
                continue
            if path_contains and path_contains not in e["path"]:
                continue
            if status is not None and e["status"] != status:
                continue
            if direction and e["direction"] != direction:
                continue
            if since is not None and e["seq"] <= since:
                continue
            out.append(e)
        if limit is not None:
            out = out[-limit:]
        return out

    def last_seq(self) -> int:
        with self._lock:
            return self._seq

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._seq = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
