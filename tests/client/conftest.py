from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from blockbuster import blockbuster_ctx

import aiotune

from .fake import BASE, KEY, FakeAPI

FAST_RETRY = aiotune.RetryPolicy(max_retries=2, initial=0.001, maximum=0.005)
FAST_POLL = aiotune.PollingPolicy(initial=0.001, maximum=0.005)


@pytest.fixture(autouse=True)
def no_blocking_calls_in_aiotune() -> Iterator[None]:
    """Fail on any blocking call (file, socket, sleep...) made by aiotune code on a loop (the
    emulator, a test server here, is not scanned)."""
    with blockbuster_ctx(scanned_modules=["aiotune"], excluded_modules=["aiotune.emulator"]):
        yield


@pytest.fixture
def fake() -> FakeAPI:
    return FakeAPI()


@pytest.fixture
async def client(fake: FakeAPI) -> AsyncIterator[aiotune.AsyncClient]:
    async with aiotune.AsyncClient(
        KEY,
        base_url=BASE,
        transport=httpx.MockTransport(fake.handler),
        retry=FAST_RETRY,
        polling=FAST_POLL,
    ) as c:
        yield c
