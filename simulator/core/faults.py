"""Fault rules: make a lab server misbehave on purpose, reproducibly (SPEC §4.4).

A rule matches on method, a regular expression searched in the request path and, when it has one, a
regular expression ``query`` searched in the query string as received, URL-decoded (``%XX`` decoded,
``+`` read as a space: ``filter=emails[type eq "work"].value eq "…"``; no ``query`` = any query string,
also none). It fires with a probability drawn from the lab's seeded source, or for the first N matches,
or both (``times`` bounds how often a probabilistic rule may fire). Actions:

* ``status``    - answer ``status`` (an error, 400 to 599: 429/500/503...) in the surface's error
                  envelope, with ``Retry-After`` when ``retryAfter`` is set;
* ``answer``    - answer ``status`` (200 to 599) with ``body`` (required: any JSON value, sent as JSON)
                  and the ``Content-Type`` ``contentType`` (default ``application/scim+json``), with
                  ``Retry-After`` when ``retryAfter`` is set; the application never sees the request, so
                  nothing is stored (a create answered 201 creates nothing). 204 and 304 carry no body:
                  for them ``body`` must be ``null``;
* ``reset``     - abort the TCP connection (RST) before any byte of the answer;
* ``stall``     - hold the request for ``stallSeconds`` (wall clock) and then close the connection
                  without answering, past any sane client timeout;
* ``malformed`` - answer 200 with a truncated JSON body of the right content type.

``delayMs`` adds a wall-clock delay before the action (or before the normal answer when ``action`` is
``delay``). ``body`` and ``contentType`` belong to ``answer`` (other actions refuse them unless null). A
rule that cannot be built raises
``FaultRuleError`` with a message that names the field (``POST /_admin/faults`` answers it as a 400).
"""
from __future__ import annotations

import json
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import unquote_plus

ACTIONS = ("status", "answer", "reset", "stall", "malformed", "delay")
#: The Content-Type of an ``answer`` without ``contentType``.
ANSWER_CONTENT_TYPE = "application/scim+json"
#: Statuses that carry no body (an ``answer`` with one of them needs ``"body": null``).
NO_BODY_STATUSES = (204, 304)
_MISSING = object()


class FaultRuleError(ValueError):
    """A fault rule that cannot be built; the message says which field is wrong."""


def _json_copy(value: Any) -> Any:
    """A copy of ``body`` that is plain JSON (the rule must not share it with the caller)."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        raise FaultRuleError("body must be a JSON value") from None


@dataclass
class FaultRule:
    id: str
    method: str = "*"
    path: str = ".*"
    query: str | None = None
    probability: float = 1.0
    times: int | None = None
    action: str = "status"
    status: int = 503
    retryAfter: int | None = None
    delayMs: int = 0
    stallSeconds: float = 5.0
    body: Any = None
    contentType: str | None = None
    hits: int = 0
    matched: int = 0
    _regex: re.Pattern = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    _query_regex: re.Pattern | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_json(cls, rule_id: str, data: Any) -> "FaultRule":
        if not isinstance(data, dict):
            raise FaultRuleError("a fault rule is a JSON object")
        known = {"method", "path", "query", "probability", "times", "action", "status", "retryAfter", "delayMs",
                 "stallSeconds", "body", "contentType"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise FaultRuleError(f"unknown field(s): {', '.join(unknown)}")
        method = data.get("method", "*")
        if not isinstance(method, str) or not method:
            raise FaultRuleError("method must be an HTTP method or '*'")
        path = data.get("path", ".*")
        regex = _pattern("path", path, "a regular expression string")
        query = data.get("query")
        query_regex = None if query is None else _pattern("query", query, "a regular expression string or null")
        probability = data.get("probability", 1.0)
        if isinstance(probability, bool) or not isinstance(probability, (int, float)) or not 0 <= probability <= 1:
            raise FaultRuleError("probability must be a number from 0 to 1")
        times = data.get("times")
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
            raise FaultRuleError("times must be a positive integer or null")
        action = data.get("action", "status")
        if action not in ACTIONS:
            raise FaultRuleError(f"action must be one of {', '.join(ACTIONS)}")
        status = data.get("status", 503)
        if action == "answer":
            if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
                raise FaultRuleError("status of an answer must be an HTTP status from 200 to 599")
        elif isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise FaultRuleError("status must be an HTTP error status from 400 to 599 "
                                 "(the answer action also answers 200 to 399)")
        body = data.get("body", _MISSING)
        content_type = data.get("contentType")
        if action == "answer":
            if body is _MISSING:
                raise FaultRuleError("body is required for the answer action (any JSON value)")
            if status in NO_BODY_STATUSES and body is not None:
                raise FaultRuleError(f"an answer with status {status} has no body: body must be null")
            if content_type is None:
                content_type = ANSWER_CONTENT_TYPE
            elif (not isinstance(content_type, str) or not content_type.strip() or len(content_type) > 200
                  or any(ord(c) < 32 or ord(c) == 127 for c in content_type)):
                raise FaultRuleError("contentType must be a media type: a non-empty string of at most 200 "
                                     "characters without control characters")
        else:
            if body is not _MISSING and body is not None:
                raise FaultRuleError("body belongs to the answer action only")
            if content_type is not None:
                raise FaultRuleError("contentType belongs to the answer action only")
            body = None
        retry_after = data.get("retryAfter")
        if retry_after is not None and (isinstance(retry_after, bool) or not isinstance(retry_after, int)
                                        or retry_after < 0):
            raise FaultRuleError("retryAfter must be a non-negative integer (seconds) or null")
        delay = data.get("delayMs", 0)
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= 60_000:
            raise FaultRuleError("delayMs must be a number from 0 to 60000")
        stall = data.get("stallSeconds", 5.0)
        if isinstance(stall, bool) or not isinstance(stall, (int, float)) or not 0 < stall <= 120:
            raise FaultRuleError("stallSeconds must be a number from 0 to 120")
        rule = cls(id=rule_id, method=method.upper(), path=path, query=query, probability=float(probability),
                   times=times, action=action, status=status, retryAfter=retry_after, delayMs=int(delay),
                   stallSeconds=float(stall), body=_json_copy(body), contentType=content_type)
        rule._regex = regex
        rule._query_regex = query_regex
        return rule

    def applies_to(self, method: str, path: str, query: str) -> bool:
        """Whether the request is one this rule matches (before its ``times`` and probability)."""
        if self.method not in ("*", method.upper()) or not self._regex.search(path):
            return False
        return self._query_regex is None or bool(self._query_regex.search(unquote_plus(query)))

    def answer_body(self) -> bytes:
        """The bytes of an ``answer`` (none for 204 and 304)."""
        if self.status in NO_BODY_STATUSES:
            return b""
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("_regex", None)
        data.pop("_query_regex", None)
        return data


def _pattern(field: str, value: Any, what: str) -> re.Pattern:
    if not isinstance(value, str):
        raise FaultRuleError(f"{field} must be {what}")
    try:
        return re.compile(value)
    except re.error as exc:
        raise FaultRuleError(f"{field} is not a valid regular expression: {exc}") from None


class FaultSet:
    """The rules of one lab server. Thread-safe; probabilities draw from one seeded stream."""

    def __init__(self, stream):
        self._stream = stream
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._next = 0

    def add(self, data: Any) -> FaultRule:
        with self._lock:
            rule = FaultRule.from_json(f"fault-{self._next + 1}", data)
            self._next += 1
            self._rules.append(rule)
            return rule

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._next = 0

    def list(self) -> list[dict]:
        with self._lock:
            return [r.to_json() for r in self._rules]

    def match(self, method: str, path: str, query: str = "") -> FaultRule | None:
        """The first rule that fires for this request, its counters updated; None when none fires.
        ``query`` is the query string as received (still URL-encoded)."""
        if not self._rules:
            return None
        with self._lock:
            for rule in self._rules:
                if not rule.applies_to(method, path, query):
                    continue
                if rule.times is not None and rule.hits >= rule.times:
                    continue
                rule.matched += 1
                if rule.probability < 1.0 and self._stream.random() >= rule.probability:
                    continue
                rule.hits += 1
                return rule
        return None
