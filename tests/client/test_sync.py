"""The synchronous facade (aiotune.Client) over a private event-loop thread."""

from __future__ import annotations

import sys
import threading

import httpx
import pytest

import aiotune

from . import fake_datasets
from .conftest import FAST_POLL, FAST_RETRY
from .fake import BASE, KEY, FakeAPI


def make(fake: FakeAPI, **kw: object) -> aiotune.Client:
    return aiotune.Client(
        KEY,
        base_url=BASE,
        transport=httpx.MockTransport(fake.handler),
        retry=FAST_RETRY,
        polling=FAST_POLL,
        **kw,
    )


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_sync_life_cycle(monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    monkeypatch.setitem(sys.modules, "aiotune.datasets", fake_datasets.module())
    fake = FakeAPI(steps=3)
    with make(fake, backend=backend) as client:
        op = client.create_tuned_model("models/m", [("a", "b")], display_name="sync job")
        assert op.name.startswith("tunedModels/sync-job-")
        steps = [p.completed_steps for p in op.watch()]
        assert steps[-1] == 3
        assert op.done()
        model = op.result(timeout=5)
        assert model.name == op.tuned_model
        assert client.get_tuned_model(model.name).name == model.name
        assert [m.name for m in client.list_tuned_models()] == [model.name]
        assert client.update_tuned_model(model.name, {"description": "d"}).description == "d"
        assert client.generate_text(model.name, "hi") == "HI"
        assert [m.name for m in client.list_models()] == ["models/a", "models/b"]

        fake.steps = 1000
        running = client.get_operation(fake.add_model("running"))
        assert running.done() is False
        assert running.cancel() is True
        assert running.cancelled()
        with pytest.raises(aiotune.OperationCancelledError):
            running.result()
        client.delete_tuned_model(model.name)
        assert "api_key='***'" in repr(client)
    with pytest.raises(RuntimeError, match="closed"):
        client.get_tuned_model("x")
    client.close()  # idempotent
    assert not any(t.name == "aiotune-sync-client" for t in threading.enumerate())


def test_sync_errors_and_early_break() -> None:
    fake = FakeAPI(steps=50)
    with make(fake) as client:
        with pytest.raises(aiotune.PermissionDeniedError):
            client.get_tuned_model("missing")
        op = client.get_operation(fake.add_model("long"))
        for p in op.watch():
            if p.completed_steps >= 2:
                break
        fake.steps = 10**9
        never = client.get_operation(fake.add_model("never"))
        with pytest.raises(aiotune.OperationTimeoutError):
            never.result(timeout=0.05)
