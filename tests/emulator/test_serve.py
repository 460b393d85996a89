"""The emulator on a real loopback socket: uvicorn, dropped connections, the command, and the
unmodified official client (google-generativeai 0.8.6, REST transport) as a contract test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import warnings

import anyio
import anyio.to_thread
import httpx
import pytest

from aiotune.emulator import Emulator

from .conftest import create_body


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # uvicorn serves on asyncio


pytestmark = pytest.mark.anyio


async def test_serve_and_drop_over_a_real_socket() -> None:
    emu = Emulator(step_time=0.01)
    async with emu.serve() as url, httpx.AsyncClient(base_url=url, params={"key": "k"}) as http:
        assert url.startswith("http://127.0.0.1:")
        emu.faults.script("POST", "/v1beta/tunedModels", ["drop"])
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post("/v1beta/tunedModels", json=create_body(), params={"tunedModelId": "x"})
        assert list(emu.store.jobs) == ["x"]
        r = await http.post("/v1beta/tunedModels", json=create_body(), params={"tunedModelId": "x"})
        assert r.status_code == 409
        assert r.json()["error"]["status"] == "ALREADY_EXISTS"


def _official_life_cycle(url: str) -> dict[str, object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import google.generativeai as genai

        genai.configure(
            api_key="contract-key", transport="rest", client_options={"api_endpoint": url}
        )
        op = genai.create_tuned_model(
            "models/gemini-1.5-flash-001-tuning",
            [
                ("I was charged twice", "billing"),
                ("the app crashes", "bug"),
                ("reset my password", "account"),
            ],
            id="contract-model",
            display_name="contract",
            epoch_count=2,
            batch_size=2,
        )
        seen: dict[str, object] = {"operation": op.name}
        model = op.result(timeout=60)
        seen["result"] = (model.name, model.state.name)
        seen["get"] = genai.get_tuned_model("tunedModels/contract-model").state.name
        seen["list"] = [m.name for m in genai.list_tuned_models()]
        seen["update"] = genai.update_tuned_model(
            "tunedModels/contract-model", {"description": "updated"}
        ).description
        seen["generate"] = (
            genai.GenerativeModel("tunedModels/contract-model").generate_content("it crashes").text
        )
        genai.delete_tuned_model("tunedModels/contract-model")
        seen["after_delete"] = [m.name for m in genai.list_tuned_models()]
        return seen


@pytest.mark.timeout(120)
async def test_the_official_client_works_unmodified() -> None:
    pytest.importorskip("google.generativeai")
    emu = Emulator(step_time=0.01)
    async with emu.serve() as url:
        seen = await anyio.to_thread.run_sync(_official_life_cycle, url)
    assert str(seen["operation"]).startswith("tunedModels/contract-model/operations/")
    assert seen["result"] == ("tunedModels/contract-model", "ACTIVE")
    assert seen["get"] == "ACTIVE"
    assert seen["list"] == ["tunedModels/contract-model"]
    assert seen["update"] == "updated"
    assert seen["generate"] == "bug"
    assert seen["after_delete"] == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_command_prints_url_and_shuts_down_cleanly(sig: signal.Signals) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiotune.emulator", "--port", "0", "--step-time", "0.01"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("aiotune emulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1].strip()
        r = httpx.get(f"{url}/v1beta/models", params={"key": "k"})
        assert r.status_code == 200
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
        proc.wait()
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()
