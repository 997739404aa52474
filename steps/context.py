"""The per-scenario context the step libraries share (responses, tokens, remembered values)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
import requests


@dataclass
class ScenarioContext:
    response: requests.Response | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def remember(self, **values: Any) -> None:
        self.values.update(values)

    def __getitem__(self, key: str) -> Any:
        assert key in self.values, f"an earlier step should have set {key!r}; known: {sorted(self.values)}"
        return self.values[key]


@pytest.fixture
def ctx() -> ScenarioContext:
    return ScenarioContext()
