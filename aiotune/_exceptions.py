"""The aiotune error tree.

::

    AiotuneError
    ├── APIError                      anything that went wrong talking to the API
    │   ├── APIStatusError            the server answered with an error status
    │   │   ├── BadRequestError           400 INVALID_ARGUMENT / FAILED_PRECONDITION / OUT_OF_RANGE
    │   │   ├── AuthenticationError       401 UNAUTHENTICATED
    │   │   ├── PermissionDeniedError     403 PERMISSION_DENIED
    │   │   ├── NotFoundError             404 NOT_FOUND
    │   │   ├── ConflictError             409 ALREADY_EXISTS / ABORTED
    │   │   ├── RateLimitError            429 RESOURCE_EXHAUSTED (``retry_after`` in seconds)
    │   │   ├── InternalServerError       500 and other 5xx
    │   │   └── ServiceUnavailableError   503 UNAVAILABLE
    │   └── APIConnectionError        no usable response (DNS, refused, reset, protocol error)
    │       └── APITimeoutError           a connect/read/write/pool timeout
    ├── DatasetError (also ValueError) bad training data; names source, row, line and column
    ├── TuningFailedError             the tuning job ended with an error (carries the rpc Status)
    ├── OperationCancelledError       the tuning job was cancelled on the server
    └── OperationTimeoutError         (also TimeoutError) ``result(timeout=...)`` ran out first

Every error pickles (``__reduce__`` keeps the plain fields and drops live objects) and no
message ever contains an API key or token: requests are described by method and path only.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AiotuneError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DatasetError",
    "InternalServerError",
    "NotFoundError",
    "OperationCancelledError",
    "OperationTimeoutError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServiceUnavailableError",
    "TuningFailedError",
    "status_error_class",
]


class AiotuneError(Exception):
    """Base class of every error aiotune raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[AiotuneError], state: dict[str, Any]) -> AiotuneError:
    obj = cls.__new__(cls)
    Exception.__init__(obj, state.get("message", ""))
    obj.__dict__.update(state)
    return obj


class APIError(AiotuneError):
    """A request to the API failed. ``method`` and ``path`` say which (never the query string)."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.request_id = request_id


class APIStatusError(APIError):
    """The server answered with a non-2xx status and (usually) a Google error envelope."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        status: str | None = None,
        details: list[dict[str, Any]] | None = None,
        method: str | None = None,
        path: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, method=method, path=path, request_id=request_id)
        self.status_code = status_code
        self.status = status
        self.details = details or []
        self.retry_after = retry_after

    def __str__(self) -> str:
        where = f"{self.method} {self.path}: " if self.method and self.path else ""
        status = f" {self.status}" if self.status else ""
        return f"{where}{self.status_code}{status}: {self.message}"


class BadRequestError(APIStatusError):
    """400: the request was invalid (INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE)."""


class AuthenticationError(APIStatusError):
    """401: missing or invalid credentials."""


class PermissionDeniedError(APIStatusError):
    """403: the key cannot see this resource (or it does not exist)."""


class NotFoundError(APIStatusError):
    """404: no such resource or route."""


class ConflictError(APIStatusError):
    """409: ALREADY_EXISTS (e.g. a duplicate tuned-model id) or ABORTED."""


class RateLimitError(APIStatusError):
    """429 RESOURCE_EXHAUSTED. ``retry_after`` holds the server's hint in seconds, if any."""


class InternalServerError(APIStatusError):
    """500 and other 5xx except 503."""


class ServiceUnavailableError(APIStatusError):
    """503 UNAVAILABLE."""


class APIConnectionError(APIError):
    """No usable response: the connection failed, was reset, or the protocol broke."""


class APITimeoutError(APIConnectionError):
    """A connect, read, write or pool timeout expired."""


class DatasetError(AiotuneError, ValueError):
    """Bad training data. ``source``, ``row`` (1-based), ``line`` and ``column`` say where."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        row: int | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.reason = message
        self.source = source
        self.row = row
        self.line = line
        self.column = column
        where = []
        if source:
            where.append(source)
        if row is not None:
            where.append(f"row {row}")
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        full = f"{', '.join(where)}: {message}" if where else message
        super().__init__(full)


class TuningFailedError(AiotuneError):
    """The tuning job finished with an error. ``code`` is the gRPC canonical code."""

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        code: int,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(f"{operation}: tuning failed (code {code}): {message}")
        self.operation = operation
        self.code = code
        self.server_message = message
        self.details = details or []


class OperationCancelledError(TuningFailedError):
    """The tuning job was cancelled on the server (rpc code 1, CANCELLED)."""


class OperationTimeoutError(AiotuneError, TimeoutError):
    """``result(timeout=...)`` expired before the job finished. The job itself goes on."""

    def __init__(self, message: str, *, operation: str, timeout: float) -> None:
        super().__init__(message)
        self.operation = operation
        self.timeout = timeout


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The error class for an HTTP status code."""
    if status_code in _BY_STATUS:
        return _BY_STATUS[status_code]
    if status_code >= 500:
        return InternalServerError
    return APIStatusError
