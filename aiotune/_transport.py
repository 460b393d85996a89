"""One HTTP attempt on a lazily created ``httpx.AsyncClient``: auth, limits, error mapping.

* Nothing is bound to an event loop at construction. The httpx client and the
  ``anyio.CapacityLimiter`` are created on first use, and that loop is remembered: using the
  same transport from another loop raises a clear ``RuntimeError`` (create the client inside
  the loop that uses it). An injected ``http_client`` is never closed by aiotune.
* ``max_in_flight`` requests run at once; the rest wait in aiotune's limiter, not in httpx's
  pool (whose wait counts against the pool timeout). The pool is sized to at least that.
* Every response is read in full and closed in ``finally`` under a shielded, bounded scope, so a
  cancelled request never leaves a connection checked out.
* Errors: non-2xx -> the per-status :class:`~aiotune.APIStatusError` subclass with the
  envelope's message, canonical status, details, request id and retry hint; transport failures
  -> :class:`~aiotune.APIConnectionError` / :class:`~aiotune.APITimeoutError`. Messages name the
  method and path only: the API key travels in the ``x-goog-api-key`` header and never appears in
  URLs, logs, reprs or errors.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import re
import sys
import weakref
from collections.abc import AsyncIterable, Mapping
from typing import Any

import anyio
import httpx
import orjson

from ._constants import LOGGER_NAME, NOT_GIVEN, USER_AGENT, NotGiven
from ._exceptions import APIConnectionError, APIStatusError, APITimeoutError, status_error_class
from ._retry import parse_retry_after

__all__ = ["HTTPTransport", "TimeoutTypes", "to_httpx_timeout"]

log = logging.getLogger(LOGGER_NAME)

TimeoutTypes = float | httpx.Timeout | None
_CLOSE_GRACE = 5.0
#: What httpx/h11 accept in a header value; anything else fails *after* connecting, with the
#: value (the key!) quoted in the error and in httpcore's debug log.
_HEADER_VALUE = re.compile(r"([\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?)?")


def to_httpx_timeout(value: TimeoutTypes) -> httpx.Timeout:
    """Seconds (or ``None`` = no limit, or an ``httpx.Timeout``) as an ``httpx.Timeout``."""
    if isinstance(value, httpx.Timeout):
        return value
    if value is not None and value <= 0:
        raise ValueError(f"timeout must be > 0 seconds or None, got {value!r}")
    return httpx.Timeout(value)


def _loop_marker() -> object:
    """The identity of the running event loop (asyncio loop or trio run)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            return trio.lowlevel.current_trio_token()
        except RuntimeError:
            pass
    raise RuntimeError("aiotune.AsyncClient must be used from a running asyncio or trio loop")


def _check_header_value(what: str, value: object) -> None:
    # Never echo the value in the message: it may be a secret.
    if isinstance(value, str) and not _HEADER_VALUE.fullmatch(value):
        raise ValueError(
            f"{what} is not a valid HTTP header value ({len(value)} characters): it has a "
            "control character (e.g. a newline), non-ASCII text or surrounding spaces"
        )


def _request_id(response: httpx.Response, details: list[dict[str, Any]]) -> str | None:
    for header in ("x-request-id", "x-goog-request-id", "x-cloud-trace-context"):
        value = response.headers.get(header)
        if value:
            return str(value)
    for detail in details:
        if detail.get("@type") == "type.googleapis.com/google.rpc.RequestInfo":
            rid = detail.get("requestId")
            return str(rid) if rid else None
    return None


def status_error(method: str, path: str, response: httpx.Response, body: bytes) -> APIStatusError:
    """The typed error for a non-2xx ``response`` whose body was ``body``."""
    message, status, details = "", None, []
    try:
        data = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        data = None
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict):
        message = str(err.get("message") or "")
        status = err.get("status") or None
        raw_details = err.get("details")
        if isinstance(raw_details, list):
            details = [d for d in raw_details if isinstance(d, dict)]
    else:
        message = body[:500].decode("utf-8", "replace").strip()
    cls = status_error_class(response.status_code)
    return cls(
        message or response.reason_phrase or "error",
        status_code=response.status_code,
        status=status,
        details=details,
        method=method,
        path=path,
        request_id=_request_id(response, details),
        retry_after=parse_retry_after(response.headers, details),
    )


def _connection_error(exc: httpx.TransportError, method: str, path: str) -> APIConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        name = type(exc).__name__
        return APITimeoutError(f"{method} {path}: {name}", method=method, path=path)
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno == errno.EMFILE:
            return APIConnectionError(
                f"{method} {path}: too many open files (EMFILE); lower max_in_flight, reuse one "
                "client, or raise the process's file limit (ulimit -n)",
                method=method,
                path=path,
            )
        cause = cause.__cause__ or cause.__context__
    detail = str(exc) or type(exc).__name__
    return APIConnectionError(f"{method} {path}: {detail}", method=method, path=path)


class HTTPTransport:
    """Sends single HTTP attempts for :class:`~aiotune.AsyncClient` (no retries here)."""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str,
        http_client: httpx.AsyncClient | None,
        transport: httpx.AsyncBaseTransport | None,
        timeout: httpx.Timeout | NotGiven,
        max_in_flight: int,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {max_in_flight!r}")
        if http_client is not None and transport is not None:
            raise TypeError("pass either http_client= or transport=, not both")
        if api_key is not None:
            api_key = api_key.strip()  # e.g. read from a file with its newline
            if api_key:
                _check_header_value("api_key", api_key)
        for name, value in (headers or {}).items():
            _check_header_value(f"default_headers[{name!r}]", value)
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self._http: httpx.AsyncClient | None = http_client
        self._owns_http = http_client is None
        self._httpx_transport = transport
        self.timeout = timeout
        self.max_in_flight = max_in_flight
        self._headers = dict(headers or {})
        self._loop: object = None
        self._limiter: anyio.CapacityLimiter | None = None
        self._uploads: anyio.CapacityLimiter | None = None
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    def _check_loop(self) -> None:
        marker = _loop_marker()
        if self._loop is None:
            self._loop = (
                weakref.ref(marker) if isinstance(marker, asyncio.AbstractEventLoop) else marker
            )
            return
        bound = self._loop() if isinstance(self._loop, weakref.ref) else self._loop
        if bound is not marker:
            raise RuntimeError(
                "this aiotune.AsyncClient is bound to another event loop (the one that first "
                "used it; e.g. an earlier asyncio.run()). Create the client inside the loop that "
                "uses it -- `async with aiotune.AsyncClient() as client:` in your main coroutine, "
                "or one client per asyncio.run()/trio.run()."
            )

    def bound_elsewhere(self) -> bool:
        """Whether a loop other than the running one first used this transport."""
        if self._loop is None:
            return False
        bound = self._loop() if isinstance(self._loop, weakref.ref) else self._loop
        try:
            return bound is not _loop_marker()
        except RuntimeError:
            return True

    def http_client(self) -> httpx.AsyncClient:
        """The httpx client (created on first use, in the calling loop)."""
        if self._closed:
            raise RuntimeError("this aiotune.AsyncClient is closed; create a new one")
        self._check_loop()
        if self._http is None:
            self._http = httpx.AsyncClient(
                transport=self._httpx_transport,
                limits=httpx.Limits(
                    max_connections=self.max_in_flight,
                    max_keepalive_connections=self.max_in_flight,
                ),
                timeout=self.timeout if isinstance(self.timeout, httpx.Timeout) else None,
                headers={"user-agent": USER_AGENT},
            )
        return self._http

    def _get_limiter(self) -> anyio.CapacityLimiter:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.max_in_flight)
        return self._limiter

    def upload_slots(self) -> anyio.CapacityLimiter:
        """At most ``max_in_flight`` creates hold a dataset open at once (file descriptors,
        downloads): the rest wait here, before opening theirs."""
        self._check_loop()
        if self._uploads is None:
            self._uploads = anyio.CapacityLimiter(self.max_in_flight)
        return self._uploads

    async def aclose(self) -> None:
        if self._closed:
            return
        if self._http is not None and self._owns_http:
            self._check_loop()
        self._closed = True
        http, self._http = self._http, None
        if http is not None and self._owns_http:
            await http.aclose()

    # -- requests --------------------------------------------------------------------------
    def _timeout_for(self, timeout: TimeoutTypes | NotGiven) -> Any:
        if isinstance(timeout, NotGiven):
            if isinstance(self.timeout, httpx.Timeout):
                return self.timeout
            return httpx.USE_CLIENT_DEFAULT
        return to_httpx_timeout(timeout)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        content: AsyncIterable[bytes] | None = None,
        timeout: TimeoutTypes | NotGiven = NOT_GIVEN,  # noqa: ASYNC109
    ) -> Any:
        """One attempt: send, read the whole body, close, and return the decoded JSON."""
        http = self.http_client()
        headers = {**self._headers, "accept": "application/json"}
        if self._api_key:
            headers["x-goog-api-key"] = self._api_key
        data: bytes | AsyncIterable[bytes] | None = content
        if json is not None:
            data = orjson.dumps(json)
        if data is not None:
            headers["content-type"] = "application/json"
        request = http.build_request(
            method,
            self.base_url + path,
            params=dict(params) if params else None,
            content=data,
            headers=headers,
            timeout=self._timeout_for(timeout),
        )
        token = object()
        limiter = self._get_limiter()
        await limiter.acquire_on_behalf_of(token)
        try:
            return await self._send(http, request, method, path)
        finally:
            limiter.release_on_behalf_of(token)

    async def _send(
        self, http: httpx.AsyncClient, request: httpx.Request, method: str, path: str
    ) -> Any:
        log.debug("request: %s %s", method, path)
        try:
            response = await http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise _connection_error(exc, method, path) from exc
        try:
            body = await response.aread()
        except httpx.TransportError as exc:
            raise _connection_error(exc, method, path) from exc
        finally:
            with anyio.move_on_after(_CLOSE_GRACE, shield=True):
                await response.aclose()
        log.debug("response: %s %s -> %d", method, path, response.status_code)
        if not response.is_success:
            raise status_error(method, path, response, body)
        if not body:
            return {}
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise APIConnectionError(
                f"{method} {path}: the server sent a body that is not JSON",
                method=method,
                path=path,
            ) from exc

    def __repr__(self) -> str:
        key = "'***'" if self._api_key else "None"
        return f"HTTPTransport(base_url={self.base_url!r}, api_key={key})"
