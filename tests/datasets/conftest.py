from __future__ import annotations

from collections.abc import Iterator

import pytest
from blockbuster import blockbuster_ctx


@pytest.fixture
def no_blocking(anyio_backend: str) -> Iterator[None]:
    """Fail any blocking call (file reads, sleeps, sockets) made by aiotune on the event loop."""
    if anyio_backend != "asyncio":  # blockbuster watches asyncio's loop
        yield
        return
    with blockbuster_ctx(["aiotune"]):
        yield
