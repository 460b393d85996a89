"""A bad row found after the upload started aborts it: the real emulator creates nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import aiotune
from aiotune.emulator import Emulator

pytestmark = pytest.mark.anyio

BASE = "models/gemini-1.5-flash-001-tuning"
FAST = aiotune.RetryPolicy(max_retries=3, initial=0.0, jitter=0.0)


def rows_then_bad(good: int) -> Iterator[dict[str, Any]]:
    for i in range(good):
        yield {"text_input": f"question {i}", "output": f"answer {i}"}
    yield {"text_input": "no answer", "output": None}


def bad_csv(tmp_path: Path, good: int) -> Path:
    path = tmp_path / "late-bad.csv"
    lines = ["text_input,output", *(f"q{i},a{i}" for i in range(good)), "ragged"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def _assert_aborted(client: aiotune.AsyncClient, emu: Emulator, data: Any) -> None:
    with pytest.raises(aiotune.DatasetError) as info:
        await client.create_tuned_model(BASE, data, id="never-created")
    assert info.value.row == 12_001
    assert emu.store.jobs == {}
    with pytest.raises(aiotune.PermissionDeniedError):  # the real service's answer for "none"
        await client.get_tuned_model("tunedModels/never-created")


@pytest.mark.parametrize("shape", ["generator", "csv"])
async def test_in_process(tmp_path: Path, shape: str) -> None:
    emu = Emulator(step_time=0)
    data = rows_then_bad(12_000) if shape == "generator" else bad_csv(tmp_path, 12_000)
    async with aiotune.AsyncClient("k", transport=emu.transport(), retry=FAST) as client:
        await _assert_aborted(client, emu, data)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # uvicorn serves on asyncio
@pytest.mark.parametrize("shape", ["generator", "csv"])
async def test_over_a_real_socket(tmp_path: Path, shape: str) -> None:
    emu = Emulator(step_time=0)
    data = rows_then_bad(12_000) if shape == "generator" else bad_csv(tmp_path, 12_000)
    async with emu.serve() as url, aiotune.AsyncClient("k", base_url=url, retry=FAST) as client:
        await _assert_aborted(client, emu, data)
        # the emulator is still healthy afterwards
        op = await client.create_tuned_model(BASE, [("a", "b")], id="after-abort")
        assert (await op).name == "tunedModels/after-abort"
