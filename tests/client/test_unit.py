"""Unit tests over httpx.MockTransport: every call, errors, retries, operations."""

from __future__ import annotations

import logging
import pickle

import anyio
import httpx
import pytest

import aiotune
from aiotune._create import build_tuned_model, generate_tuned_model_id, resolve_source_model
from aiotune._retry import parse_retry_after

from .conftest import FAST_POLL, FAST_RETRY
from .fake import BASE, KEY, FakeAPI, status_response

pytestmark = pytest.mark.anyio


# -- CRUD ---------------------------------------------------------------------------------------
async def test_get_list_update_delete(client: aiotune.AsyncClient, fake: FakeAPI) -> None:
    for i in range(25):
        fake.add_model(f"m{i:02d}", done=True)
    model = await client.get_tuned_model("m03")
    assert model.name == "tunedModels/m03"
    assert model.state is aiotune.TunedModelState.ACTIVE
    names = [m.name async for m in client.list_tuned_models(page_size=10)]
    assert len(names) == 25
    assert fake.hits["GET /v1beta/tunedModels"] == 3  # lazy pages

    updated = await client.update_tuned_model(
        "tunedModels/m03",
        {"description": "new", "tuning_task": {"hyperparameters": {"batch_size": 8}}},
    )
    assert updated.description == "new"
    patch = fake.requests[-1]
    assert patch.method == "PATCH"
    assert patch.url.params["updateMask"] == "description,tuningTask.hyperparameters.batchSize"
    await client.update_tuned_model(
        "m03", {"tuning_task.hyperparameters.epoch_count": 2, "topP": 0.5}
    )
    assert (
        fake.requests[-1].url.params["updateMask"] == "tuningTask.hyperparameters.epochCount,topP"
    )

    await client.delete_tuned_model("tunedModels/m03")
    with pytest.raises(aiotune.PermissionDeniedError) as info:
        await client.get_tuned_model("m03")
    assert info.value.status_code == 403
    assert info.value.status == "PERMISSION_DENIED"
    assert "GET /v1beta/tunedModels/m03" in str(info.value)


async def test_models_and_generate(client: aiotune.AsyncClient, fake: FakeAPI) -> None:
    assert (await client.get_model("base-001")).name == "models/base-001"
    assert [m.name async for m in client.list_models()] == ["models/a", "models/b"]
    fake.add_model("gem", done=True, base="models/gemini-1.5-flash-001-tuning")
    fake.add_model("palm", done=True, base="models/text-bison-001")
    assert await client.generate_text("tunedModels/gem", "hello") == "HELLO"
    assert await client.generate_text("tunedModels/gem", "again") == "AGAIN"
    assert fake.hits["GET /v1beta/tunedModels/gem"] == 1  # base looked up once
    assert await client.generate_text("tunedModels/palm", "abc") == "cba"
    response = await client.generate_content("tunedModels/gem", "x")
    assert response.text == "X"


async def test_generate_text_base_lookup_honours_request_options(
    client: aiotune.AsyncClient, fake: FakeAPI
) -> None:
    fake.add_model("gem", done=True, base="models/gemini-1.5-flash-001-tuning")
    fake.fault(
        lambda r: r.method == "GET" and r.url.path.endswith("/gem"),
        status_response(503, "UNAVAILABLE"),
    )
    with pytest.raises(aiotune.ServiceUnavailableError):  # retry=0 applies to the lookup too
        await client.generate_text("tunedModels/gem", "hi", request_options={"retry": 0})
    assert fake.hits["GET /v1beta/tunedModels/gem"] == 1


async def test_module_level_mirror_uses_client(client: aiotune.AsyncClient, fake: FakeAPI) -> None:
    fake.add_model("mm", done=True)
    model = await aiotune.get_tuned_model("mm", client=client)
    assert model.name == "tunedModels/mm"
    assert [m.name async for m in aiotune.list_tuned_models(client=client)] == ["tunedModels/mm"]


async def test_default_client_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)
    monkeypatch.setenv("AIOTUNE_BASE_URL", "http://env.test/v1beta/")
    client = aiotune.get_default_client()
    try:
        assert client.base_url == "http://env.test"
        assert client._transport._api_key == KEY
        assert aiotune.get_default_client() is client
    finally:
        await aiotune.aclose_default_client()


# -- errors -------------------------------------------------------------------------------------
async def test_error_mapping_and_details(client: aiotune.AsyncClient, fake: FakeAPI) -> None:
    details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "X"}]
    fake.fault(
        lambda r: True,
        lambda: httpx.Response(
            400,
            json={
                "error": {
                    "code": 400,
                    "message": "bad",
                    "status": "INVALID_ARGUMENT",
                    "details": details,
                }
            },
            headers={"x-request-id": "rid-1"},
        ),
    )
    with pytest.raises(aiotune.BadRequestError) as info:
        await client.get_tuned_model("x")
    err = info.value
    assert (err.status_code, err.status, err.details, err.request_id) == (
        400,
        "INVALID_ARGUMENT",
        details,
        "rid-1",
    )
    assert err.method == "GET"
    assert err.path == "/v1beta/tunedModels/x"
    fake.fault(lambda r: True, lambda: httpx.Response(502, text="<html>gateway</html>"))
    fake.fault(lambda r: True, lambda: httpx.Response(502, text="<html>gateway</html>"))
    fake.fault(lambda r: True, lambda: httpx.Response(502, text="<html>gateway</html>"))
    with pytest.raises(aiotune.InternalServerError, match="gateway"):
        await client.get_tuned_model("x")


async def test_connection_errors_are_mapped_and_retried() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ConnectError("refused", request=request)
        if calls == 2:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(200, json={"name": "tunedModels/a"})

    async with aiotune.AsyncClient(
        KEY, base_url=BASE, transport=httpx.MockTransport(handler), retry=FAST_RETRY
    ) as c:
        assert (await c.get_tuned_model("a")).name == "tunedModels/a"
    assert calls == 3

    async with aiotune.AsyncClient(
        KEY, base_url=BASE, transport=httpx.MockTransport(handler), retry=FAST_RETRY, max_retries=0
    ) as c:
        calls = 1
        with pytest.raises(aiotune.APITimeoutError):
            await c.get_tuned_model("a")


def test_every_error_pickles() -> None:
    errors: list[Exception] = [
        cls(
            "m",
            status_code=code,
            status="S",
            details=[{"a": 1}],
            method="GET",
            path="/p",
            request_id="r",
            retry_after=3.0,
        )
        for code, cls in [
            (400, aiotune.BadRequestError),
            (401, aiotune.AuthenticationError),
            (403, aiotune.PermissionDeniedError),
            (404, aiotune.NotFoundError),
            (409, aiotune.ConflictError),
            (429, aiotune.RateLimitError),
            (500, aiotune.InternalServerError),
            (503, aiotune.ServiceUnavailableError),
            (418, aiotune.APIStatusError),
        ]
    ]
    errors += [
        aiotune.APIConnectionError("c", method="GET", path="/p"),
        aiotune.APITimeoutError("t", method="GET", path="/p"),
        aiotune.APIError("e"),
        aiotune.AiotuneError("x"),
        aiotune.DatasetError("bad", source="f.csv", row=3, column="output"),
        aiotune.TuningFailedError("failed", operation="tunedModels/a/operations/b", code=13),
        aiotune.OperationCancelledError(
            "cancelled", operation="tunedModels/a/operations/b", code=1
        ),
        aiotune.OperationTimeoutError("late", operation="tunedModels/a/operations/b", timeout=1.0),
    ]
    for err in errors:
        copy = pickle.loads(pickle.dumps(err))
        assert type(copy) is type(err)
        assert str(copy) == str(err)
        assert copy.__dict__ == err.__dict__


# -- retries ------------------------------------------------------------------------------------
def test_parse_retry_after() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    date = parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert date == 0.0  # in the past
    retry_info = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "53s"}]
    assert parse_retry_after({}, retry_info) == 53.0
    assert (
        parse_retry_after(
            {}, [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.25s"}]
        )
        == 0.25
    )
    assert parse_retry_after({}) is None


def test_malformed_retry_hints_are_ignored() -> None:
    retry_info = "type.googleapis.com/google.rpc.RetryInfo"
    for headers in ({"retry-after": "nan"}, {"retry-after": "inf"}, {"retry-after-ms": "nan"}):
        assert parse_retry_after(headers) is None, headers
    assert parse_retry_after({"retry-after-ms": "inf", "retry-after": "2"}) == 2.0
    bad = [{"@type": retry_info, "retryDelay": {"seconds": "soon"}}]
    assert parse_retry_after({}, bad) is None
    assert parse_retry_after({}, [{"@type": retry_info, "retryDelay": {"seconds": "7"}}]) == 7.0


async def test_malformed_retry_info_still_maps_to_the_status_error(fake: FakeAPI) -> None:
    details = [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": {"seconds": None}}
    ]
    fake.fault(lambda r: True, status_response(429, "RESOURCE_EXHAUSTED", details=details))
    async with aiotune.AsyncClient(
        KEY, base_url=BASE, transport=httpx.MockTransport(fake.handler), max_retries=0
    ) as c:
        with pytest.raises(aiotune.RateLimitError) as info:
            await c.get_tuned_model("a")
    assert info.value.retry_after is None


async def test_retry_after_wait_is_honoured(
    fake: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    policy = aiotune.RetryPolicy(max_retries=3, initial=0.001, sleep=sleep)
    fake.add_model("a", done=True)
    fake.fault(
        lambda r: True, status_response(429, "RESOURCE_EXHAUSTED", headers={"retry-after": "3"})
    )
    retry_info = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "53s"}]
    fake.fault(lambda r: True, status_response(429, "RESOURCE_EXHAUSTED", details=retry_info))
    fake.fault(lambda r: True, status_response(503, "UNAVAILABLE"))
    caplog.set_level(logging.INFO, logger="aiotune")
    async with aiotune.AsyncClient(
        KEY, base_url=BASE, transport=httpx.MockTransport(fake.handler), retry=policy
    ) as c:
        assert (await c.get_tuned_model("a")).name == "tunedModels/a"
    assert 3.0 <= waits[0] <= 3.0 * 1.05
    assert 53.0 <= waits[1] <= 53.0 * 1.05
    assert waits[2] < 0.01
    assert sum("retrying GET /v1beta/tunedModels/a" in r.getMessage() for r in caplog.records) == 3


async def test_retry_after_above_cap_fails_fast(fake: FakeAPI) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    policy = aiotune.RetryPolicy(max_retries=3, max_retry_after=10, sleep=sleep)
    fake.fault(
        lambda r: True, status_response(429, "RESOURCE_EXHAUSTED", headers={"retry-after": "120"})
    )
    async with aiotune.AsyncClient(
        KEY, base_url=BASE, transport=httpx.MockTransport(fake.handler), retry=policy
    ) as c:
        with pytest.raises(aiotune.RateLimitError) as info:
            await c.get_tuned_model("a")
    assert info.value.retry_after == 120.0
    assert waits == []


async def test_non_retryable_statuses_are_not_retried(
    client: aiotune.AsyncClient, fake: FakeAPI
) -> None:
    fake.fault(lambda r: True, status_response(400, "INVALID_ARGUMENT"))
    with pytest.raises(aiotune.BadRequestError):
        await client.get_tuned_model("a")
    assert fake.hits["GET /v1beta/tunedModels/a"] == 1


async def test_503_burst_then_success_and_per_call_retry_override(
    client: aiotune.AsyncClient, fake: FakeAPI
) -> None:
    fake.add_model("a", done=True)
    for _ in range(2):
        fake.fault(lambda r: True, status_response(503, "UNAVAILABLE"))
    assert (await client.get_tuned_model("a")).name == "tunedModels/a"
    assert fake.hits["GET /v1beta/tunedModels/a"] == 3
    fake.fault(lambda r: True, status_response(503, "UNAVAILABLE"))
    with pytest.raises(aiotune.ServiceUnavailableError):
        await client.get_tuned_model("a", request_options={"retry": None})
    with pytest.raises(TypeError, match="unknown request_options"):
        await client.get_tuned_model("a", request_options={"timeot": 1})  # type: ignore[typeddict-unknown-key]


async def test_200_concurrent_failing_calls_have_their_own_attempt_counts(fake: FakeAPI) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        fake.hits[request.url.path] += 1
        return httpx.Response(
            503, json={"error": {"code": 503, "status": "UNAVAILABLE", "message": "x"}}
        )

    policy = aiotune.RetryPolicy(max_retries=3, initial=0.0005, maximum=0.002)
    results: dict[int, BaseException] = {}
    async with aiotune.AsyncClient(
        KEY, base_url=BASE, transport=httpx.MockTransport(handler), retry=policy, max_in_flight=20
    ) as c:

        async def one(i: int) -> None:
            try:
                await c.get_tuned_model(f"m{i}")
            except aiotune.ServiceUnavailableError as exc:
                results[i] = exc

        async with anyio.create_task_group() as tg:
            for i in range(200):
                tg.start_soon(one, i)
    assert len(results) == 200
    assert all(fake.hits[f"/v1beta/tunedModels/m{i}"] == 4 for i in range(200))


async def test_fail_after_cuts_through_a_retry_sleep(fake: FakeAPI) -> None:
    fake.fault(
        lambda r: True, status_response(429, "RESOURCE_EXHAUSTED", headers={"retry-after": "30"})
    )
    async with aiotune.AsyncClient(
        KEY, base_url=BASE, transport=httpx.MockTransport(fake.handler)
    ) as c:
        start = anyio.current_time()
        with pytest.raises(TimeoutError):
            with anyio.fail_after(0.1):
                await c.get_tuned_model("a")
        assert anyio.current_time() - start < 1.0
    assert fake.hits["GET /v1beta/tunedModels/a"] == 1


# -- validation ---------------------------------------------------------------------------------
def test_generated_ids_are_valid() -> None:
    import re

    pattern = re.compile(aiotune._constants.TUNED_MODEL_ID_PATTERN)
    for name in [
        None,
        "",
        "Sentence Translator",
        "123 numbers!!",
        "Ünïcødé name",
        "x" * 40,
        "---",
        "a b c d e f g h i j k l m",
    ]:
        ident = generate_tuned_model_id(name)
        assert pattern.match(ident), (name, ident)
        assert len(ident) <= 40
    assert generate_tuned_model_id("Sentence Translator").startswith("sentence-translator-")
    assert generate_tuned_model_id("x") != generate_tuned_model_id("x")


def test_id_with_a_trailing_newline_is_rejected_locally() -> None:
    from aiotune._create import validate_tuned_model_id

    assert validate_tuned_model_id("my-model-1") == "my-model-1"
    for bad in ["abc\n", "my-model\n", "a\n"]:
        with pytest.raises(ValueError, match="invalid tuned model id"):
            validate_tuned_model_id(bad)


def test_source_model_and_local_validation() -> None:
    assert resolve_source_model("gemini-1.5-flash-001-tuning") == {
        "baseModel": "models/gemini-1.5-flash-001-tuning"
    }
    assert resolve_source_model("tunedModels/t") == {
        "tunedModelSource": {"tunedModel": "tunedModels/t"}
    }
    assert resolve_source_model(aiotune.Model(name="models/m")) == {"baseModel": "models/m"}
    with pytest.raises(ValueError, match="start with 'models/'"):
        resolve_source_model("foo/bar")
    with pytest.raises(TypeError):
        resolve_source_model(3)
    with pytest.raises(ValueError, match="at most 40"):
        build_tuned_model("m", display_name="x" * 41)
    with pytest.raises(ValueError, match="not both"):
        build_tuned_model("m", learning_rate=0.1, learning_rate_multiplier=1.0)
    with pytest.raises(ValueError, match="epoch_count must be > 0"):
        build_tuned_model("m", epoch_count=0)
    with pytest.raises(TypeError, match="batch_size must be an int"):
        build_tuned_model("m", batch_size=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="top_p must be within"):
        build_tuned_model("m", top_p=1.5)
    body = build_tuned_model(
        "m", display_name="n", epoch_count=2, learning_rate_multiplier=1.0, temperature=0.5, top_k=3
    )
    assert body == {
        "baseModel": "models/m",
        "displayName": "n",
        "tuningTask": {"hyperparameters": {"epochCount": 2, "learningRateMultiplier": 1.0}},
        "temperature": 0.5,
        "topK": 3,
    }


# -- operations ---------------------------------------------------------------------------------
async def test_operation_await_watch_and_reattach(
    client: aiotune.AsyncClient, fake: FakeAPI
) -> None:
    fake.steps = 4
    op_name = fake.add_model("job")
    op = await client.get_operation(op_name)
    assert op.name == op_name
    assert op.tuned_model == "tunedModels/job"
    assert not op.done()
    events = [p async for p in op.watch()]
    assert [e.completed_steps for e in events] == [1, 2, 3, 4]  # the GET advances one step
    assert events[-1].done
    assert events[-1].succeeded
    assert events[-1].latest_loss == 0.25
    hits = fake.hits[f"GET /v1beta/{op_name}"]
    model = await op
    assert model.name == "tunedModels/job"
    assert fake.hits[f"GET /v1beta/{op_name}"] == hits  # no request once done
    assert op.done()
    assert not op.cancelled()


async def test_operation_failure_carries_status(client: aiotune.AsyncClient, fake: FakeAPI) -> None:
    fake.fail_job.add("tunedModels/bad")
    op = await client.get_operation(fake.add_model("bad"))
    with pytest.raises(aiotune.TuningFailedError) as info:
        await op.result()
    assert info.value.code == 13
    assert "Tuning job failed" in str(info.value)
    assert pickle.loads(pickle.dumps(info.value)).code == 13


async def test_result_timeout_is_never_overslept(fake: FakeAPI) -> None:
    fake.steps = 10**6
    slow_poll = aiotune.PollingPolicy(initial=5.0, maximum=5.0)
    async with aiotune.AsyncClient(
        KEY, base_url=BASE, transport=httpx.MockTransport(fake.handler), polling=slow_poll
    ) as c:
        op = await c.get_operation(fake.add_model("slow"))
        start = anyio.current_time()
        with pytest.raises(aiotune.OperationTimeoutError) as info:
            await op.result(timeout=0.05)
        assert anyio.current_time() - start < 0.5
        assert isinstance(info.value, TimeoutError)
    assert not any(r.url.path.endswith(":cancel") for r in fake.requests)


async def test_cancel_server_side(client: aiotune.AsyncClient, fake: FakeAPI) -> None:
    fake.steps = 100
    op = await client.get_operation(fake.add_model("c"))
    assert await op.cancel() is True
    cancel = next(r for r in fake.requests if r.url.path.endswith(":cancel"))
    assert cancel.url.path == f"/v1/{op.name}:cancel"
    assert cancel.content == b"{}"
    assert op.done()
    assert op.cancelled()
    with pytest.raises(aiotune.OperationCancelledError):
        await op
    assert await op.cancel() is False


async def test_cancelling_the_awaiting_task_never_cancels_the_job(
    client: aiotune.AsyncClient, fake: FakeAPI
) -> None:
    fake.steps = 1000
    op = await client.get_operation(fake.add_model("keep"))
    with anyio.move_on_after(0.05):
        await op
    assert not any(r.url.path.endswith(":cancel") for r in fake.requests)
    assert not fake.ops[op.name].get("done")
    fake.steps = fake.progress[op.name] + 1
    assert (await op).name == "tunedModels/keep"


async def test_concurrent_awaiters_share_one_poll(fake: FakeAPI) -> None:
    gate = anyio.Event()
    polls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal polls
        if "/operations/" in request.url.path:
            polls += 1
            await gate.wait()
        return fake.handler(request)

    fake.steps = 1
    op_name = fake.add_model("shared")
    async with aiotune.AsyncClient(
        KEY, base_url=BASE, transport=httpx.MockTransport(handler), polling=FAST_POLL
    ) as c:
        op = aiotune.TuningOperation(
            c, aiotune.types.Operation.from_wire(fake.ops[op_name]), FAST_POLL
        )
        results = []

        async def wait() -> None:
            results.append(await op)

        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(wait)
            await anyio.sleep(0.05)
            gate.set()
    assert polls == 1
    assert len(results) == 10


# -- lifecycle ----------------------------------------------------------------------------------
async def test_closed_client_and_injected_http_client(fake: FakeAPI) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake.handler)) as http:
        fake.add_model("a", done=True)
        async with aiotune.AsyncClient(KEY, base_url=BASE, http_client=http) as c:
            await c.get_tuned_model("a")
        assert not http.is_closed  # never closed by aiotune
        with pytest.raises(RuntimeError, match="closed"):
            await c.get_tuned_model("a")
        await c.aclose()  # idempotent


def test_nothing_bound_at_construction_and_second_asyncio_run() -> None:
    import asyncio

    fake = FakeAPI()
    fake.add_model("a", done=True)
    client = aiotune.AsyncClient(KEY, base_url=BASE, transport=httpx.MockTransport(fake.handler))
    assert client._transport._http is None
    assert client._transport._limiter is None

    async def use(c: aiotune.AsyncClient) -> str:
        return (await c.get_tuned_model("a")).name

    assert asyncio.run(use(client)) == "tunedModels/a"
    with pytest.raises(RuntimeError, match="another event loop"):
        asyncio.run(use(client))

    async def fresh() -> str:
        async with aiotune.AsyncClient(
            KEY, base_url=BASE, transport=httpx.MockTransport(fake.handler)
        ) as c:
            return await use(c)

    assert asyncio.run(fresh()) == "tunedModels/a"
    assert asyncio.run(fresh()) == "tunedModels/a"


async def test_secrets_never_in_logs_reprs_or_errors(
    fake: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.add_model("a", done=True)
    fake.fault(lambda r: True, status_response(503, "UNAVAILABLE"))
    fake.fault(lambda r: True, status_response(400, "INVALID_ARGUMENT"))
    async with aiotune.AsyncClient(
        KEY, base_url=BASE, transport=httpx.MockTransport(fake.handler), retry=FAST_RETRY
    ) as c:
        with pytest.raises(aiotune.BadRequestError) as info:
            await c.get_tuned_model("a")
        texts = [
            repr(c),
            str(c._transport),
            str(info.value),
            repr(info.value),
            repr(pickle.dumps(info.value)),
        ]
    assert "api_key='***'" in texts[0]
    assert fake.requests[0].headers["x-goog-api-key"] == KEY
    assert "key=" not in str(fake.requests[0].url)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "retrying" in logged
    for text in [*texts, logged, caplog.text]:
        assert KEY not in text


async def test_api_key_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.setenv("GEMINI_API_KEY", "gem-key")
    assert aiotune.AsyncClient()._transport._api_key == "gem-key"
    monkeypatch.setenv("GOOGLE_API_KEY", "goo-key")
    c = aiotune.AsyncClient()
    assert c._transport._api_key == "goo-key"
    assert "goo-key" not in repr(c)
    assert c.base_url in ("https://generativelanguage.googleapis.com",) or c.base_url


def test_retry_after_http_date_in_the_future() -> None:
    import email.utils
    import time

    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    value = parse_retry_after({"retry-after": future})
    assert value is not None
    assert 28 <= value <= 30


def test_policies_validate_and_show_defaults() -> None:
    policy = aiotune.RetryPolicy()
    assert policy.max_retries == 2
    assert "max_retries=2" in repr(aiotune.AsyncClient("k"))
    with pytest.raises(ValueError, match="max_retries"):
        aiotune.RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError, match="jitter"):
        aiotune.PollingPolicy(jitter=2)
    assert aiotune.AsyncClient("k", max_retries=0).retry.max_retries == 0
    assert 0.5 <= aiotune.PollingPolicy().delay(1) <= 1.0
    assert 10.0 <= aiotune.PollingPolicy().delay(50) <= 20.0
    assert aiotune.RetryPolicy(jitter=0).backoff(3) == 2.0
    assert not policy.is_retryable(KeyboardInterrupt())
    assert not policy.is_retryable(ValueError())


async def test_with_options_shares_the_pool(client: aiotune.AsyncClient, fake: FakeAPI) -> None:
    fake.add_model("a", done=True)
    fast = client.with_options(max_retries=0, timeout=3.0)
    assert fast.retry.max_retries == 0
    assert client.retry.max_retries == 2
    await client.get_tuned_model("a")
    await fast.get_tuned_model("a")
    assert fast._transport is client._transport
    assert fast._options(None)[0] == 3.0
    assert client._options(None)[0] is aiotune.NOT_GIVEN
    fake.fault(lambda r: True, status_response(503, "UNAVAILABLE"))
    with pytest.raises(aiotune.ServiceUnavailableError):
        await fast.get_tuned_model("a")


def test_emfile_is_explained() -> None:
    import errno

    from aiotune._transport import _connection_error

    request = httpx.Request("GET", "http://x/v1beta/tunedModels/a?key=SECRET")
    exc = httpx.ConnectError("[Errno 24] Too many open files", request=request)
    exc.__cause__ = OSError(errno.EMFILE, "Too many open files")
    err = _connection_error(exc, "GET", "/v1beta/tunedModels/a")
    assert isinstance(err, aiotune.APIConnectionError)
    assert "max_in_flight" in str(err)
    assert "ulimit" in str(err)
    assert "SECRET" not in str(err)


async def test_many_awaiters_cost_about_one_poll_per_cadence(fake: FakeAPI) -> None:
    fake.steps = 5
    op_name = fake.add_model("crowd")
    polling = aiotune.PollingPolicy(initial=0.02, maximum=0.02, jitter=0.5)
    transport = httpx.MockTransport(fake.handler)
    async with aiotune.AsyncClient(KEY, base_url=BASE, transport=transport, polling=polling) as c:
        op = await c.get_operation(op_name)
        async with anyio.create_task_group() as tg:
            for _ in range(50):
                tg.start_soon(op.result)
    # 5 polls finish the job; with 50 awaiters a few extra may race, never 50x
    assert fake.hits[f"GET /v1beta/{op_name}"] <= 10
