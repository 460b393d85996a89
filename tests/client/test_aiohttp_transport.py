"""The optional aiohttp-backed httpx transport (``aiotune[aiohttp]``) runs a whole job."""

from __future__ import annotations

import pytest
from httpx_aiohttp import AiohttpTransport

import aiotune
from aiotune.emulator import Emulator

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # aiohttp is asyncio-only
async def test_a_job_over_the_aiohttp_transport() -> None:
    emu = Emulator(step_time=0.01)
    fast = aiotune.PollingPolicy(initial=0.01, maximum=0.05)
    async with (
        emu.serve() as url,
        aiotune.AsyncClient(
            "k", base_url=url, transport=AiohttpTransport(), polling=fast
        ) as client,
    ):
        op = await client.create_tuned_model(
            "models/gemini-1.5-flash-001-tuning", [("2+2", "4"), ("3+3", "6")] * 4
        )
        model = await op.result(timeout=30)
        assert model.state is aiotune.TunedModelState.ACTIVE
        assert await client.generate_text(model.name, "3+3") == "6"
        with pytest.raises(aiotune.PermissionDeniedError):
            await client.get_tuned_model("tunedModels/nope")
