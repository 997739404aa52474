"""The directory's change feed: a monotonically increasing sequence of writes.

Every write to the directory appends one :class:`Change`; readers keep the last sequence number they saw
(a watermark) and ask for what came after it. The feed is an append-only list indexed by sequence number,
so ``changes_since(seq)`` costs the number of changes returned, never the size of the tenant.

Simulator choice: the feed keeps the most recent ``retention`` changes (default one million). A watermark
older than the oldest retained change cannot be served any more; ``changes_since`` then raises
:class:`WatermarkExpired`, the in-process analogue of Graph delta's "sync state not found": the reader
must start over with a full read, exactly as Graph asks a delta client to re-synchronise.
"""
from __future__ import annotations

import threading
from typing import NamedTuple

DEFAULT_RETENTION = 1_000_000


class Change(NamedTuple):
    seq: int
    object_type: str  # "user" | "group" | any type another part of the tenant records
    object_id: str
    kind: str  # created, updated, softDeleted, restored, purged, memberAdded, memberRemoved, ...
    #: For memberAdded / memberRemoved: the member's id.
    member_id: str | None = None


class WatermarkExpired(Exception):
    """The watermark is older than the oldest change the feed still holds; read everything again."""

    def __init__(self, seq: int, oldest: int):
        super().__init__(f"changes after {seq} are no longer retained (oldest retained: {oldest})")
        self.seq = seq
        self.oldest = oldest


class ChangeFeed:
    def __init__(self, retention: int = DEFAULT_RETENTION):
        if retention < 1:
            raise ValueError("retention must be positive")
        self.retention = retention
        self._lock = threading.Lock()
        self._changes: list[Change] = []
        self._first_seq = 1  # seq of self._changes[0]
        self._seq = 0

    def append(self, object_type: str, object_id: str, kind: str, member_id: str | None = None) -> Change:
        with self._lock:
            self._seq += 1
            change = Change(self._seq, object_type, object_id, kind, member_id)
            self._changes.append(change)
            # Trim in batches so that appending stays amortised O(1).
            excess = len(self._changes) - self.retention
            if excess > 0 and excess >= max(1, self.retention // 4):
                del self._changes[:excess]
                self._first_seq += excess
            return change

    def current_seq(self) -> int:
        with self._lock:
            return self._seq

    def oldest_available(self) -> int:
        """The smallest watermark ``changes_since`` still serves."""
        with self._lock:
            return self._first_seq - 1

    def changes_since(self, seq: int, until: int | None = None) -> list[Change]:
        """Changes with ``seq < change.seq <= until`` (``until`` defaults to the newest)."""
        with self._lock:
            if seq < self._first_seq - 1:
                raise WatermarkExpired(seq, self._first_seq - 1)
            start = max(seq + 1 - self._first_seq, 0)
            stop = len(self._changes) if until is None else max(until + 1 - self._first_seq, start)
            return self._changes[start:stop]

    def clear(self) -> None:
        with self._lock:
            self._changes.clear()
            self._first_seq = 1
            self._seq = 0
