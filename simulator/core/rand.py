"""The lab's one seeded random source.

Every id, token, GUID and probability draw comes from here. Each consumer asks for its own named
stream (``rand.stream("scim.ids")``) so that the values one part draws do not depend on how many values
another part drew before it: a lab started with the same seed produces the same ids whatever order
threads happen to run in, as long as each stream is used in a deterministic order.
"""
from __future__ import annotations

import base64
import hashlib
import random
import threading
import uuid


class RandomStream:
    def __init__(self, seed_material: str):
        self._seed_material = seed_material
        self._lock = threading.Lock()
        self._rng = random.Random(self._derive())

    def _derive(self) -> int:
        return int.from_bytes(hashlib.sha256(self._seed_material.encode()).digest()[:8], "big")

    def reset(self) -> None:
        with self._lock:
            self._rng.seed(self._derive())

    def bytes(self, n: int) -> bytes:
        with self._lock:
            return self._rng.getrandbits(8 * n).to_bytes(n, "big")

    def uuid(self) -> str:
        """A version-4 shaped GUID, lower case, as Entra and most SCIM servers print them."""
        return str(uuid.UUID(bytes=self.bytes(16), version=4))

    def hex(self, nbytes: int = 16) -> str:
        return self.bytes(nbytes).hex()

    def token(self, nbytes: int = 32) -> str:
        return base64.urlsafe_b64encode(self.bytes(nbytes)).rstrip(b"=").decode()

    def random(self) -> float:
        with self._lock:
            return self._rng.random()

    def randint(self, a: int, b: int) -> int:
        with self._lock:
            return self._rng.randint(a, b)

    def choice(self, seq):
        with self._lock:
            return self._rng.choice(seq)

    def python_random(self) -> random.Random:
        """A private ``random.Random`` seeded from this stream (for libraries such as Faker)."""
        return random.Random(int.from_bytes(self.bytes(8), "big"))


class SeededRandom:
    """Factory of named, independently seeded streams derived from one lab seed."""

    def __init__(self, seed: int | str = 0):
        self.seed = seed
        self._streams: dict[str, RandomStream] = {}
        self._lock = threading.Lock()

    def stream(self, name: str) -> RandomStream:
        with self._lock:
            found = self._streams.get(name)
            if found is None:
                found = self._streams[name] = RandomStream(f"{self.seed}:{name}")
            return found

    def reset(self, seed: int | str | None = None) -> None:
        with self._lock:
            if seed is not None and seed != self.seed:
                self.seed = seed
                self._streams.clear()
                return
            for s in self._streams.values():
                s.reset()
