"""Every default aiotune uses, in one place (seconds everywhere).

Request timeouts, retries, polling and the concurrency limit are separate settings:

* ``DEFAULT_TIMEOUT`` bounds one HTTP attempt (connect / read / write / pool each finite).
* ``DEFAULT_MAX_RETRIES`` and the backoff values drive request retries (``RetryPolicy``).
* ``DEFAULT_POLL_*`` drive the cadence of operation polling (``PollingPolicy``).
* ``TuningOperation.result(timeout=...)`` is the overall deadline of a job; none by default.
* ``DEFAULT_MAX_IN_FLIGHT`` caps concurrent HTTP requests per client; the rest queue in aiotune.
"""

from __future__ import annotations

import httpx

__all__ = [
    "API_KEY_ENV_VARS",
    "API_VERSION",
    "BASE_URL_ENV_VAR",
    "CANCEL_API_VERSION",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_IN_FLIGHT",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_RETRY_AFTER",
    "DEFAULT_POLL_INITIAL",
    "DEFAULT_POLL_JITTER",
    "DEFAULT_POLL_MAXIMUM",
    "DEFAULT_POLL_MULTIPLIER",
    "DEFAULT_RETRY_INITIAL",
    "DEFAULT_RETRY_JITTER",
    "DEFAULT_RETRY_MAXIMUM",
    "DEFAULT_RETRY_MULTIPLIER",
    "DEFAULT_TIMEOUT",
    "LOGGER_NAME",
    "NOT_GIVEN",
    "NotGiven",
    "RETRYABLE_STATUS_CODES",
    "TUNED_MODEL_ID_PATTERN",
    "USER_AGENT",
]

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
BASE_URL_ENV_VAR = "AIOTUNE_BASE_URL"
API_KEY_ENV_VARS = ("GOOGLE_API_KEY", "GEMINI_API_KEY")
API_VERSION = "v1beta"
#: v1beta has no cancel binding for tuning operations; v1 has ``POST /v1/{name}:cancel``.
CANCEL_API_VERSION = "v1"
LOGGER_NAME = "aiotune"
USER_AGENT = "aiotune/0.1.0"

#: One HTTP attempt: 60 s overall, 10 s to connect. ``pool`` is generous because aiotune's own
#: limiter (``max_in_flight``) keeps requests from queueing inside httpx's pool.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)

#: Concurrent HTTP requests per client; the connection pool is sized to at least this.
DEFAULT_MAX_IN_FLIGHT = 10

#: Request retries: 2 retries = 3 attempts. Backoff initial * multiplier**n, capped, jittered.
DEFAULT_MAX_RETRIES = 2
DEFAULT_RETRY_INITIAL = 0.5
DEFAULT_RETRY_MULTIPLIER = 2.0
DEFAULT_RETRY_MAXIMUM = 8.0
DEFAULT_RETRY_JITTER = 0.25
#: The longest server hint (Retry-After / RetryInfo) honoured; above it fail fast.
DEFAULT_MAX_RETRY_AFTER = 60.0
RETRYABLE_STATUS_CODES = frozenset({408, 429, 500, 502, 503, 504})

#: Operation polling (google-api-core's DEFAULT_POLLING cadence): 1 s, x1.5, capped at 20 s.
DEFAULT_POLL_INITIAL = 1.0
DEFAULT_POLL_MULTIPLIER = 1.5
DEFAULT_POLL_MAXIMUM = 20.0
DEFAULT_POLL_JITTER = 0.5

TUNED_MODEL_ID_PATTERN = r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$"


class NotGiven:
    """The type of :data:`NOT_GIVEN`: "this argument was not passed" (unlike ``None``, which
    for a timeout means "no timeout"). An omitted per-call value never wipes the client's."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()
