"""The request journal: every request a lab server saw (or the engine sent), secrets redacted.

Entries are appended to a bounded deque (oldest dropped first) and carry a sequence number, the virtual
time, the request and the response. Durations are measured on the virtual clock, so a lab run twice
with the same seed writes byte-identical journals.

Recording is cheap, because every request pays for it: an entry keeps what it was given (bodies as
:class:`RawBody`, the bytes that went over the wire) and is parsed and redacted only when it is read
(``entries``). Whatever leaves the journal is redacted; bodies larger than 64 KiB are cut down to a
redacted head as they are recorded, so a full journal stays small.
"""
from __future__ import annotations

import json
import re
import threading
from collections import deque
from typing import Any, Iterable

from .clock import iso
from .redact import REDACTED, is_secret_key, redact_data, redact_form, redact_headers, redact_query

DEFAULT_RETENTION = 20_000
_BODY_LIMIT = 64 * 1024


def decode_body(raw: bytes | str | None, content_type: str | None) -> Any:
    """Best-effort readable form of a body for the journal: JSON parsed, forms and text redacted."""
    if raw is None or raw == b"" or raw == "":
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if len(text) > _BODY_LIMIT:
        return {"truncated": True, "length": len(text), "head": _redact_head(text[:200])}
    ctype = (content_type or "").lower()
    if "json" in ctype or text[:1] in "{[":
        try:
            return redact_data(json.loads(text))
        except ValueError:
            pass
    if "x-www-form-urlencoded" in ctype:
        return redact_form(text)
    return redact_data(text)


#: A JSON member whose value is a string, possibly cut off by the end of a head.
_JSON_MEMBER = re.compile(r'"([^"\\]*)"(\s*:\s*)"(?:[^"\\]|\\.)*("|$)')


def _redact_head(head: str) -> str:
    """The first characters of an oversized body, readable but with no secret left: secret JSON
    members and form fields masked, bearer and basic credentials removed."""
    if head[:1] in "{[":
        masked = _JSON_MEMBER.sub(
            lambda m: f'"{m.group(1)}"{m.group(2)}"{REDACTED}{m.group(3)}' if is_secret_key(m.group(1))
            else m.group(0), head)
        return redact_data(masked)
    return redact_form(head)


class RawBody:
    """A body as it went over the wire; the journal decodes it (``decode_body``) when it is read."""

    __slots__ = ("raw", "content_type")

    def __init__(self, raw: bytes | str | None, content_type: str | None):
        self.raw = raw
        self.content_type = content_type

    @classmethod
    def of(cls, raw: bytes | str | None, content_type: str | None) -> Any:
        """A ``RawBody``, or the decoded value at once for an empty or an oversized body."""
        if not raw:
            return None
        if len(raw) > _BODY_LIMIT:
            return decode_body(raw, content_type)
        return cls(raw, content_type)

    def decode(self) -> Any:
        return decode_body(self.raw, self.content_type)


class _Packed:
    """A body given already decoded (a dict or a list), kept as compact JSON text: a tenth of the
    memory of the objects, read back when the journal is read."""

    __slots__ = ("text",)

    def __init__(self, value: Any):
        self.text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)

    def decode(self) -> Any:
        return json.loads(self.text)


def _kept(body: Any) -> Any:
    return _Packed(body) if isinstance(body, (dict, list)) else body


def _decoded(body: Any) -> Any:
    return body.decode() if isinstance(body, (RawBody, _Packed)) else body


class _Entry:
    """One exchange as recorded; ``to_json`` is the redacted dict the journal hands out."""

    __slots__ = ("seq", "time", "direction", "method", "path", "query", "headers", "body", "status",
                 "response_headers", "response_body", "duration_ms", "url", "error", "extra")

    def to_json(self) -> dict:
        entry = {
            "time": iso(self.time),
            "direction": self.direction,
            "method": self.method,
            "path": self.path,
            "query": redact_query(self.query),
            "headers": redact_headers(self.headers or {}),
            "body": _decoded(self.body),
            "status": self.status,
            "responseHeaders": redact_headers(self.response_headers or {}),
            "responseBody": _decoded(self.response_body),
            "durationMs": round(self.duration_ms, 3),
        }
        if self.url is not None:
            entry["url"] = self.url
        if self.error is not None:
            entry["error"] = self.error
        if self.extra:
            entry.update(self.extra)
        entry["seq"] = self.seq
        return entry


class Journal:
    def __init__(self, clock, retention: int = DEFAULT_RETENTION):
        self.clock = clock
        self._entries: deque[_Entry] = deque(maxlen=retention)
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
    ) -> int:
        """Append one exchange; its sequence number. ``body``/``response_body`` are decoded values or
        :class:`RawBody`; secrets in them, in ``headers`` and in ``query`` are redacted when read."""
        entry = _Entry()
        entry.time = self.clock.now()
        entry.direction, entry.method, entry.path, entry.query = direction, method, path, query
        entry.headers, entry.body, entry.status = headers, _kept(body), status
        entry.response_headers, entry.response_body = response_headers, _kept(response_body)
        entry.duration_ms, entry.url, entry.error, entry.extra = duration_ms, url, error, extra
        with self._lock:
            self._seq += 1
            entry.seq = self._seq
            self._entries.append(entry)
        return entry.seq

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
            items: Iterable[_Entry] = list(self._entries)
        found = []
        for e in items:
            if method and e.method.upper() != method.upper():
                continue
            if path_contains and path_contains not in e.path:
                continue
            if status is not None and e.status != status:
                continue
            if direction and e.direction != direction:
                continue
            if since is not None and e.seq <= since:
                continue
            found.append(e)
        if limit is not None:
            found = found[-limit:]
        return [e.to_json() for e in found]

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
