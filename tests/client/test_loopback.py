"""Real sockets on loopback: cancellation at every stage leaves no connection behind, a
connect timeout maps to APITimeoutError, and many concurrent calls queue in aiotune."""

from __future__ import annotations

import socket
import sys
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest

import aiotune

from . import fake_datasets
from .conftest import FAST_RETRY
from .fake import KEY, FakeAPI
from .rawserver import RawServer

pytestmark = pytest.mark.anyio


def pool(client: aiotune.AsyncClient) -> Any:
    http = client._transport._http
    assert http is not None
    return http._transport._pool  # type: ignore[attr-defined]


def busy_connections(client: aiotune.AsyncClient) -> list[Any]:
    p = pool(client)
    return [c for c in p.connections if not (c.is_idle() or c.is_closed())]


@pytest.fixture
async def server(fake: FakeAPI) -> AsyncIterator[tuple[RawServer, str]]:
    srv = RawServer(fake)
    async with srv.serve() as url:
        yield srv, url


async def assert_clean(client: aiotune.AsyncClient, srv: RawServer | None = None) -> None:
    assert busy_connections(client) == []
    assert pool(client)._requests == []
    await client.aclose()
    if srv is not None:
        with anyio.fail_after(2):
            while srv.open_connections:  # noqa: ASYNC110 - polling a plain counter
                await anyio.sleep(0.01)


async def test_cancel_while_waiting_for_a_response(
    server: tuple[RawServer, str], fake: FakeAPI
) -> None:
    srv, url = server
    op_name = fake.add_model("hang")
    srv.hang_paths.add(f"/v1beta/{op_name}")
    fake.add_model("ok", done=True)
    client = aiotune.AsyncClient(KEY, base_url=url, retry=FAST_RETRY)
    await client.get_tuned_model("ok")  # one idle keep-alive connection
    with anyio.move_on_after(0.2) as scope:
        await client.get_operation(op_name)
    assert scope.cancelled_caught
    assert srv.hanging.is_set()
    await assert_clean(client, srv)


async def test_cancel_during_poll_request_and_poll_sleep(
    server: tuple[RawServer, str], fake: FakeAPI
) -> None:
    srv, url = server
    fake.steps = 10**6
    op_name = fake.add_model("job")
    polling = aiotune.PollingPolicy(initial=0.01, maximum=0.01)
    client = aiotune.AsyncClient(KEY, base_url=url, retry=FAST_RETRY, polling=polling)
    op = await client.get_operation(op_name)
    with anyio.move_on_after(0.1):  # cancelled mostly in the poll sleep
        await op
    assert busy_connections(client) == []
    srv.hang_paths.add(f"/v1beta/{op_name}")
    with anyio.move_on_after(0.2):  # cancelled in the poll request
        await op
    assert srv.hanging.is_set()
    assert not any(r.url.path.endswith(":cancel") for r in fake.requests)
    await assert_clean(client, srv)


async def test_cancel_mid_upload(
    server: tuple[RawServer, str], fake: FakeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    srv, url = server
    monkeypatch.setitem(sys.modules, "aiotune.datasets", fake_datasets.module())
    started = anyio.Event()

    async def slow_body(body: dict[str, Any], src: Any) -> AsyncIterator[bytes]:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"baseModel": "models/m", '
            started.set()
            await anyio.sleep_forever()
            yield b"}"  # pragma: no cover

        return chunks()

    monkeypatch.setattr(fake_datasets, "stream_create_body", slow_body)
    monkeypatch.setitem(sys.modules, "aiotune.datasets", fake_datasets.module())
    client = aiotune.AsyncClient(KEY, base_url=url, retry=FAST_RETRY)
    with anyio.move_on_after(0.2):
        await client.create_tuned_model("models/m", [("a", "b")])
    assert started.is_set()
    assert fake.models == {}
    await assert_clean(client, srv)


async def test_cancel_during_connect_and_connect_timeout() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    filler = socket.create_connection(listener.getsockname())  # the accept queue is now full
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        client = aiotune.AsyncClient(KEY, base_url=url, retry=FAST_RETRY)
        with anyio.move_on_after(0.2) as scope:
            await client.get_tuned_model("a")
        assert scope.cancelled_caught
        await assert_clean(client)

        timeout = httpx.Timeout(5.0, connect=0.05)
        async with aiotune.AsyncClient(KEY, base_url=url, timeout=timeout, max_retries=1) as c:
            with pytest.raises(aiotune.APITimeoutError):
                await c.get_tuned_model("a")
            assert busy_connections(c) == []
    finally:
        filler.close()
        listener.close()


async def test_many_concurrent_calls_queue_inside_aiotune(
    server: tuple[RawServer, str], fake: FakeAPI
) -> None:
    _srv, url = server
    for i in range(20):
        fake.add_model(f"m{i}", done=True)
    # a pool timeout far below the total time: any wait inside httpx's pool would fail
    timeout = httpx.Timeout(10.0, pool=0.5)
    async with aiotune.AsyncClient(KEY, base_url=url, timeout=timeout, max_in_flight=10) as client:
        async with anyio.create_task_group() as tg:
            for i in range(1000):
                tg.start_soon(client.get_tuned_model, f"m{i % 20}")
        assert len(pool(client).connections) <= 10
    assert fake.hits["GET /v1beta/tunedModels/m0"] == 50


async def test_no_secret_in_debug_logs_over_real_sockets(
    server: tuple[RawServer, str], fake: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    _srv, url = server
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "aiotune"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    fake.add_model("a", done=True)
    async with aiotune.AsyncClient(KEY, base_url=url, retry=FAST_RETRY) as client:
        await client.get_tuned_model("a")
        with pytest.raises(aiotune.PermissionDeniedError) as info:
            await client.get_tuned_model("missing")
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    assert KEY not in caplog.text
    assert KEY not in str(info.value)


async def test_per_call_timeout_applies_and_omitting_it_keeps_the_clients(
    server: tuple[RawServer, str], fake: FakeAPI
) -> None:
    srv, url = server
    srv.hang_paths.add("/v1beta/tunedModels/slow")
    timeout = httpx.Timeout(0.1)
    async with aiotune.AsyncClient(KEY, base_url=url, timeout=timeout, max_retries=0) as client:
        assert client._transport._timeout_for(aiotune.NOT_GIVEN) is timeout
        with anyio.fail_after(2):
            with pytest.raises(aiotune.APITimeoutError):
                await client.get_tuned_model("slow")  # the client's 0.1 s applies
            with pytest.raises(aiotune.APITimeoutError):
                await client.get_tuned_model("slow", request_options={"timeout": 0.05})
        assert busy_connections(client) == []


async def test_dataset_error_mid_upload_leaves_no_connection(
    server: tuple[RawServer, str], fake: FakeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    srv, url = server
    monkeypatch.setitem(sys.modules, "aiotune.datasets", fake_datasets.module())
    src = fake_datasets.Source([("a" * 50, "b")] * 20, fail_at=200)
    client = aiotune.AsyncClient(KEY, base_url=url, retry=FAST_RETRY)
    with pytest.raises(aiotune.DatasetError):
        await client.create_tuned_model("models/m", src)
    assert fake.models == {}
    assert src.bodies == 1
    await assert_clean(client, srv)


async def test_a_key_with_a_stray_newline_works_and_a_bad_secret_is_never_echoed(
    server: tuple[RawServer, str], fake: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    """h11 quotes an illegal header value in its error (and httpcore in its debug log): a key
    read from a file with its newline must not end up there. It is stripped; a secret that
    cannot be a header value is refused up front, without echoing it."""
    import logging

    _srv, url = server
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "aiotune"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    fake.add_model("a", done=True)
    async with aiotune.AsyncClient(f" {KEY}\r\n", base_url=url, retry=FAST_RETRY) as client:
        assert (await client.get_tuned_model("a")).name == "tunedModels/a"
    bad: list[dict[str, Any]] = [
        {"api_key": KEY[:5] + "\n" + KEY[5:]},
        {"api_key": KEY + "\u00e9"},
        {"api_key": KEY, "default_headers": {"authorization": f"Bearer {KEY}\n"}},
    ]
    for kwargs in bad:
        with pytest.raises(ValueError, match="not a valid HTTP header value") as info:
            aiotune.AsyncClient(base_url=url, **kwargs)
        assert KEY not in str(info.value)
        assert KEY[5:] not in str(info.value)
    assert KEY not in caplog.text
