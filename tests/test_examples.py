"""Every script in examples/ runs against the emulator (the FastAPI app through httpx's ASGI transport)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest

import aiotune
from aiotune.emulator import Emulator

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the examples serve the emulator with uvicorn


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)


pytestmark = pytest.mark.anyio


async def test_quickstart(capsys: pytest.CaptureFixture[str]) -> None:
    answer = await load("quickstart").main(step_time=0.005)
    assert answer == "billing"
    out = capsys.readouterr().out
    assert "is ACTIVE" in out and "step " in out


async def test_many_jobs() -> None:
    results = await load("many_jobs").main(jobs=30, step_time=0.002)
    assert len(results) == 30
    assert all(isinstance(r, aiotune.TunedModel) for r in results.values())
    assert len({r.name for r in results.values()}) == 30


async def test_watch_progress() -> None:
    model = await load("watch_progress").main(step_time=0.005)
    assert model.state is aiotune.TunedModelState.ACTIVE


async def test_reattach_from_another_client() -> None:
    reattach = load("reattach")
    emu = Emulator(step_time=0.005)
    async with emu.serve() as url:
        name = await reattach.start(url, "key-1")
        assert name.startswith("tunedModels/reattach-demo-")
        model = await reattach.wait(name, url, "key-1")
    assert model.state is aiotune.TunedModelState.ACTIVE


async def test_fastapi_app() -> None:
    fastapi_app = load("fastapi_app")
    emu = Emulator(step_time=0.005)
    app = fastapi_app.create_app(api_key="svc", base_url="http://emu", transport=emu.transport())
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as http,
    ):
        examples = [{"text_input": "card charged twice", "output": "billing"},
                    {"text_input": "app crashes", "output": "bug"}]  # fmt: skip
        r = await http.post("/jobs", json={"display_name": "api job", "examples": examples})
        assert r.status_code == 202, r.text
        name = r.json()["operation"]
        status = (await http.get(f"/jobs/{name}")).json()
        assert status["operation"] == name and status["totalSteps"] == 3
        op = await app.state.tuning.get_operation(name)
        await op.result(timeout=30)
        status = (await http.get(f"/jobs/{name}")).json()
        assert status["done"] is True and status["completedPercent"] == 100
        model_id = r.json()["tunedModel"].split("/")[1]
        r = await http.post(f"/models/{model_id}/generate", json={"prompt": "my app crashes"})
        assert r.json() == {"text": "bug"}
        r = await http.post("/jobs", json={"examples": [{"text_input": "a", "output": ""}]})
        assert r.status_code == 422 and "output is empty" in r.text
        for unknown in ("tunedModels/nope/operations/x", "not-an-operation"):
            assert (await http.get(f"/jobs/{unknown}")).status_code == 404
