"""create_tuned_model over httpx.MockTransport with a scripted dataset module."""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import orjson
import pytest

import aiotune

from . import fake_datasets
from .conftest import FAST_POLL, FAST_RETRY
from .fake import BASE, KEY, FakeAPI, status_response

pytestmark = pytest.mark.anyio

DATA = [("1", "2"), ("3", "4"), ("5", "6")]


@pytest.fixture(autouse=True)
def scripted_datasets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aiotune.datasets", fake_datasets.module())


def posts(fake: FakeAPI) -> list[httpx.Request]:
    return [r for r in fake.requests if r.method == "POST" and r.url.path == "/v1beta/tunedModels"]


async def test_create_happy_path(client: aiotune.AsyncClient, fake: FakeAPI) -> None:
    op = await client.create_tuned_model(
        "gemini-1.5-flash-001-tuning",
        DATA,
        display_name="Number Generator",
        epoch_count=2,
        learning_rate_multiplier=1.0,
    )
    (post,) = posts(fake)
    model_id = post.url.params["tunedModelId"]
    assert re.fullmatch(r"number-generator-[a-z0-9]{12}", model_id)
    assert op.tuned_model == f"tunedModels/{model_id}"
    body = fake.models[op.tuned_model]["body"]
    assert body["baseModel"] == "models/gemini-1.5-flash-001-tuning"
    assert body["tuningTask"]["hyperparameters"] == {"epochCount": 2, "learningRateMultiplier": 1.0}
    assert len(body["tuningTask"]["trainingData"]["examples"]["examples"]) == 3
    model = await op
    assert model.name == op.tuned_model


async def test_create_module_level_with_client_and_explicit_id(
    client: aiotune.AsyncClient, fake: FakeAPI
) -> None:
    op = await aiotune.create_tuned_model("models/m", DATA, id="my-id", client=client)
    assert op.tuned_model == "tunedModels/my-id"
    with pytest.raises(aiotune.ConflictError):  # first attempt: a real conflict
        await aiotune.create_tuned_model("models/m", DATA, id="my-id", client=client)


async def test_local_validation_sends_nothing(client: aiotune.AsyncClient, fake: FakeAPI) -> None:
    with pytest.raises(ValueError, match="invalid tuned model id"):
        await client.create_tuned_model("models/m", DATA, id="Bad_ID")
    with pytest.raises(ValueError, match="at most 40"):
        await client.create_tuned_model("models/m", DATA, display_name="d" * 41)
    with pytest.raises(aiotune.DatasetError):
        await client.create_tuned_model("models/m", [])
    assert fake.requests == []


def committed_then(fake: FakeAPI, failure: str):  # type: ignore[no-untyped-def]
    """A handler whose first create commits on the server but whose answer is lost."""
    state = {"first": True}

    def handler(request: httpx.Request) -> httpx.Response:
        response = fake.handler(request)
        if (
            request.method == "POST"
            and request.url.path == "/v1beta/tunedModels"
            and state["first"]
        ):
            state["first"] = False
            if failure == "drop":
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                )
            return httpx.Response(
                503, json={"error": {"code": 503, "status": "UNAVAILABLE", "message": "x"}}
            )
        return response

    return handler


@pytest.mark.parametrize("failure", ["drop", "503"])
async def test_retried_create_adopts_the_landed_job(fake: FakeAPI, failure: str) -> None:
    async with aiotune.AsyncClient(
        KEY,
        base_url=BASE,
        transport=httpx.MockTransport(committed_then(fake, failure)),
        retry=FAST_RETRY,
        polling=FAST_POLL,
    ) as c:
        op = await c.create_tuned_model("models/m", DATA, display_name="once")
        assert len(fake.models) == 1  # exactly one job
        assert op.name in fake.ops
        assert len(posts(fake)) == 2
        assert fake.hits[f"GET /v1beta/{op.tuned_model}/operations"] == 1
        assert (await op).name == op.tuned_model


async def test_one_shot_source_is_not_retried_after_streaming(fake: FakeAPI) -> None:
    src = fake_datasets.Source(list(DATA), replayable=False)
    async with aiotune.AsyncClient(
        KEY,
        base_url=BASE,
        transport=httpx.MockTransport(committed_then(fake, "503")),
        retry=FAST_RETRY,
    ) as c:
        with pytest.raises(aiotune.ServiceUnavailableError):
            await c.create_tuned_model("models/m", src)
    assert len(posts(fake)) == 1
    assert src.bodies == 1


class RefuseFirstConnect(httpx.AsyncBaseTransport):
    """Fails the first request like a refused connect: before reading any of its body."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls == 1:
            raise httpx.ConnectError("refused", request=request)
        return await self.inner.handle_async_request(request)


async def test_one_shot_source_is_retried_if_nothing_was_sent(fake: FakeAPI) -> None:
    src = fake_datasets.Source(list(DATA), replayable=False)
    transport = RefuseFirstConnect(httpx.MockTransport(fake.handler))
    async with aiotune.AsyncClient(KEY, base_url=BASE, transport=transport, retry=FAST_RETRY) as c:
        op = await c.create_tuned_model("models/m", src)
    assert op.tuned_model in fake.models
    assert src.bodies == 1
    assert transport.calls == 2


async def test_dataset_error_mid_upload_is_surfaced_unchanged(
    client: aiotune.AsyncClient, fake: FakeAPI
) -> None:
    src = fake_datasets.Source(list(DATA), fail_at=32)
    with pytest.raises(aiotune.DatasetError) as info:
        await client.create_tuned_model("models/m", src)
    assert info.value.row == 7
    assert src.bodies == 1
    assert fake.models == {}


async def test_create_retries_429_and_5xx(client: aiotune.AsyncClient, fake: FakeAPI) -> None:
    fake.fault(
        lambda r: r.method == "POST",
        status_response(429, "RESOURCE_EXHAUSTED", headers={"retry-after-ms": "1"}),
    )
    fake.fault(lambda r: r.method == "POST", status_response(500, "INTERNAL"))
    op = await client.create_tuned_model("models/m", DATA)
    assert len(posts(fake)) == 3
    ids = {r.url.params["tunedModelId"] for r in posts(fake)}
    assert ids == {op.tuned_model.split("/")[1]}  # the same id on every attempt
    body = orjson.loads(posts(fake)[-1].content)
    assert body["tuningTask"]["trainingData"]["examples"]["examples"][0] == {
        "textInput": "1",
        "output": "2",
    }


async def test_create_many_returns_one_result_per_item(
    client: aiotune.AsyncClient, fake: FakeAPI
) -> None:
    jobs = [
        {"source_model": "models/m", "training_data": DATA, "id": f"job-{i}"} for i in range(20)
    ]
    jobs.append({"source_model": "models/m", "training_data": DATA, "id": "BAD ID"})
    results = await client.create_many(jobs)
    assert [r.tuned_model for r in results[:20]] == [f"tunedModels/job-{i}" for i in range(20)]  # type: ignore[union-attr]
    assert isinstance(results[20], ValueError)
    assert len(fake.models) == 20


async def test_fan_out_holds_at_most_max_in_flight_datasets_open(
    fake: FakeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each create opens its dataset (a file, a download) before it uploads: thousands of
    concurrent creates must not open all of them at once (EMFILE with hundreds of file jobs),
    whether they come through create_many or the user's own task group."""
    live = peak = 0

    class Body:
        def __init__(self, raw: bytes) -> None:
            nonlocal live, peak
            self.raw, self.closed = raw, False
            live += 1
            peak = max(peak, live)

        async def aclose(self) -> None:
            nonlocal live
            if not self.closed:
                self.closed = True
                live -= 1

        async def __aiter__(self) -> AsyncIterator[bytes]:
            try:
                yield self.raw
            finally:
                await self.aclose()

    async def counted_body(body: dict[str, Any], src: Any) -> Body:
        return Body(orjson.dumps(body))

    monkeypatch.setattr(fake_datasets, "stream_create_body", counted_body)
    monkeypatch.setitem(sys.modules, "aiotune.datasets", fake_datasets.module())
    async with aiotune.AsyncClient(
        KEY,
        base_url=BASE,
        transport=httpx.MockTransport(fake.handler),
        retry=FAST_RETRY,
        max_in_flight=3,
    ) as c:
        jobs = [{"source_model": "models/m", "training_data": DATA} for _ in range(30)]
        results = await c.create_many(jobs)
        assert all(isinstance(r, aiotune.TuningOperation) for r in results)
        assert (live, peak) == (0, 3)
        peak = 0
        async with anyio.create_task_group() as tg:
            for _ in range(30):
                tg.start_soon(c.create_tuned_model, "models/m", DATA)
    assert (live, peak) == (0, 3)
