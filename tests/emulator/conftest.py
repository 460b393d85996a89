from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from aiotune.emulator import Emulator, VirtualClock

BASE = "models/gemini-1.5-flash-001-tuning"


def create_body(n: int = 4, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "displayName": "number generator",
        "baseModel": BASE,
        "tuningTask": {
            "hyperparameters": {"epochCount": 2, "batchSize": 2},
            "trainingData": {
                "examples": {
                    "examples": [{"textInput": str(i), "output": str(i + 1)} for i in range(n)]
                }
            },
        },
    }
    body.update(overrides)
    return body


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def emu(clock: VirtualClock) -> Emulator:
    return Emulator(step_time=1.0, clock=clock)


@pytest.fixture
async def http(emu: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=emu.transport(), base_url="http://emu", headers={"x-goog-api-key": "key-a"}
    ) as client:
        yield client
