"""Integration: the client against the shipped emulator, in-process (ASGI transport) and on a
loopback port (uvicorn), with the real dataset readers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

import aiotune

pytest.importorskip("aiotune.emulator")
pytest.importorskip("aiotune.datasets")

from aiotune.emulator import Emulator

pytestmark = pytest.mark.anyio

KEY = "emu-key-SECRET-42"
BASE_MODEL = "models/gemini-1.5-flash-001-tuning"
DATA = [(f"{i}", f"{i + 1}") for i in range(12)]
FAST_POLL = aiotune.PollingPolicy(initial=0.005, maximum=0.02)
FAST_RETRY = aiotune.RetryPolicy(initial=0.001, maximum=0.01)


@pytest.fixture
async def emu_client() -> AsyncIterator[tuple[Any, aiotune.AsyncClient]]:
    emu = Emulator(step_time=0.002)
    async with aiotune.AsyncClient(
        KEY,
        base_url="http://emulator",
        transport=emu.transport(),
        polling=FAST_POLL,
        retry=FAST_RETRY,
    ) as client:
        yield emu, client


async def test_whole_life_cycle_in_process(emu_client: tuple[Any, aiotune.AsyncClient]) -> None:
    _, client = emu_client
    bases = [m.name async for m in client.list_models()]
    assert BASE_MODEL in bases
    assert "createTunedModel" in (await client.get_model(BASE_MODEL)).supported_generation_methods

    op = await client.create_tuned_model(
        BASE_MODEL, DATA, display_name="Number generator", epoch_count=2, batch_size=4
    )
    assert op.name.startswith("tunedModels/number-generator-")
    events = [p async for p in op.watch()]
    assert events[-1].done
    assert events[-1].completed_steps == events[-1].total_steps == 6  # ceil(12 * 2 / 4)
    model = await op
    assert model.state is aiotune.TunedModelState.ACTIVE

    again = await client.get_operation(op.name)  # reattach
    assert again.done()
    assert (await again).name == model.name
    assert [o.name async for o in client.list_operations(model.name)] == [op.name]

    assert (await client.get_tuned_model(model.name)).display_name == "Number generator"
    assert model.name in [m.name async for m in client.list_tuned_models(page_size=1)]
    updated = await client.update_tuned_model(model.name, {"description": "counts"})
    assert updated.description == "counts"
    text = await client.generate_text(model.name, "3")
    assert isinstance(text, str)
    assert text

    await client.delete_tuned_model(model.name)
    with pytest.raises((aiotune.NotFoundError, aiotune.PermissionDeniedError)):
        await client.get_tuned_model(model.name)


async def test_cancel_and_conflict_and_bad_requests(
    emu_client: tuple[Any, aiotune.AsyncClient],
) -> None:
    _emu, client = emu_client
    op = await client.create_tuned_model(BASE_MODEL, DATA * 50, id="long-job", epoch_count=50)
    assert await op.cancel() is True
    with pytest.raises(aiotune.OperationCancelledError):
        await op.result(timeout=5)
    assert op.cancelled()
    with pytest.raises(aiotune.ConflictError):
        await client.create_tuned_model(BASE_MODEL, DATA, id="long-job")
    with pytest.raises((aiotune.BadRequestError, aiotune.NotFoundError)):
        await client.create_tuned_model("models/no-such-model", DATA)
    with pytest.raises(aiotune.DatasetError):
        await client.create_tuned_model(BASE_MODEL, [])


async def test_awaiting_task_cancelled_job_goes_on(
    emu_client: tuple[Any, aiotune.AsyncClient],
) -> None:
    _, client = emu_client
    op = await client.create_tuned_model(BASE_MODEL, DATA, epoch_count=3)
    with anyio.move_on_after(0.001):
        await op
    model = await (await client.get_operation(op.name)).result(timeout=10)
    assert model.state is aiotune.TunedModelState.ACTIVE


async def test_scripted_429_and_503_are_retried_with_the_servers_delay() -> None:
    emu = Emulator(step_time=0.002)
    emu.faults.retry_after = 3
    emu.faults.script("POST", "/v1beta/tunedModels", [429, 503, 503])
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    retry = aiotune.RetryPolicy(max_retries=3, initial=0.001, maximum=0.01, sleep=sleep)
    async with aiotune.AsyncClient(
        KEY, base_url="http://emulator", transport=emu.transport(), retry=retry, polling=FAST_POLL
    ) as client:
        op = await client.create_tuned_model(BASE_MODEL, DATA, display_name="retried")
        assert len(waits) == 3
        assert 3.0 <= waits[0] <= 3.0 * 1.05  # Retry-After / RetryInfo of the 429
        assert all(w < 0.02 for w in waits[1:])  # backoff for the 503s
        assert (await op).state is aiotune.TunedModelState.ACTIVE
        assert len([m async for m in client.list_tuned_models()]) == 1


async def test_dropped_connection_after_commit_creates_exactly_one_job() -> None:
    emu = Emulator(step_time=0.002)
    emu.faults.script("POST", "/v1beta/tunedModels", ["drop"])
    async with aiotune.AsyncClient(
        KEY,
        base_url="http://emulator",
        transport=emu.transport(),
        retry=FAST_RETRY,
        polling=FAST_POLL,
    ) as client:
        op = await client.create_tuned_model(BASE_MODEL, DATA, display_name="exactly once")
        models = [m async for m in client.list_tuned_models()]
        assert [m.name for m in models] == [op.tuned_model]
        assert (await op).name == op.tuned_model


async def test_failed_job_raises_with_the_server_status(
    emu_client: tuple[Any, aiotune.AsyncClient],
) -> None:
    _, client = emu_client
    op = await client.create_tuned_model(BASE_MODEL, DATA, display_name="doomed [fail@2]")
    with pytest.raises(aiotune.TuningFailedError) as info:
        await op
    assert not isinstance(info.value, aiotune.OperationCancelledError)
    assert info.value.code != 0
    assert (await client.get_tuned_model(op.tuned_model)).state is aiotune.TunedModelState.FAILED


async def test_real_dataset_shapes_and_validation(
    emu_client: tuple[Any, aiotune.AsyncClient], tmp_path: Any
) -> None:
    _, client = emu_client
    path = tmp_path / "train.jsonl"
    path.write_text("".join(f'{{"text_input": "{i}", "output": "{i + 1}"}}\n' for i in range(10)))
    op = await client.create_tuned_model(BASE_MODEL, str(path))
    assert (await op).state is aiotune.TunedModelState.ACTIVE
    summary = await aiotune.validate_training_data(str(path))
    assert summary is not None
    with pytest.raises(aiotune.DatasetError):
        await client.create_tuned_model(BASE_MODEL, [{"text_input": "a", "output": None}])
