"""Fault rules: make a lab server misbehave on purpose, reproducibly.

A rule matches on method and a regular expression searched in the request path; it fires with a
probability drawn from the lab's seeded source, or for the first N matches, or both (``times`` bounds
how often a probabilistic rule may fire). Actions:

* ``status``    - answer ``status`` (429/500/503...) in the surface's error envelope, with
                  ``Retry-After`` when ``retryAfter`` is set;
* ``reset``     - abort the TCP connection (RST) before any byte of the answer;
* ``stall``     - hold the request for ``stallSeconds`` (wall clock) and then close the connection
                  without answering, past any sane client timeout;
* ``malformed`` - answer 200 with a truncated JSON body of the right content type.

``delayMs`` adds a wall-clock delay before the action (or before the normal answer when ``action`` is
``delay``).
"""
from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

ACTIONS = ("status", "reset", "stall", "malformed", "delay")


class FaultRuleError(ValueError):
    """A fault rule that cannot be built; the message says which field is wrong."""


@dataclass
class FaultRule:
    id: str
    method: str = "*"
    path: str = ".*"
    probability: float = 1.0
    times: int | None = None
    action: str = "status"
    status: int = 503
    retryAfter: int | None = None
    delayMs: int = 0
    stallSeconds: float = 5.0
    hits: int = 0
    matched: int = 0
    _regex: re.Pattern = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    @classmethod
    def from_json(cls, rule_id: str, data: Any) -> "FaultRule":
        if not isinstance(data, dict):
            raise FaultRuleError("a fault rule is a JSON object")
        known = {"method", "path", "probability", "times", "action", "status", "retryAfter", "delayMs",
                 "stallSeconds"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise FaultRuleError(f"unknown field(s): {', '.join(unknown)}")
        method = data.get("method", "*")
        if not isinstance(method, str) or not method:
            raise FaultRuleError("method must be an HTTP method or '*'")
        path = data.get("path", ".*")
        if not isinstance(path, str):
            raise FaultRuleError("path must be a regular expression string")
        try:
            regex = re.compile(path)
        except re.error as exc:
            raise FaultRuleError(f"path is not a valid regular expression: {exc}") from None
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
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise FaultRuleError("status must be an HTTP error status from 400 to 599")
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
        rule = cls(id=rule_id, method=method.upper(), path=path, probability=float(probability), times=times,
                   action=action, status=status, retryAfter=retry_after, delayMs=int(delay),
                   stallSeconds=float(stall))
        rule._regex = regex
        return rule

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("_regex", None)
        return data


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

    def match(self, method: str, path: str) -> FaultRule | None:
        """The first rule that fires for this request, its counters updated; None when none fires."""
        if not self._rules:
            return None
        with self._lock:
            for rule in self._rules:
                if rule.method not in ("*", method.upper()):
                    continue
                if not rule._regex.search(path):
                    continue
                if rule.times is not None and rule.hits >= rule.times:
                    continue
                rule.matched += 1
                if rule.probability < 1.0 and self._stream.random() >= rule.probability:
                    continue
                rule.hits += 1
                return rule
        return None
