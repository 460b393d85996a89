"""Request retries and operation polling: the one policy module, built on tenacity.

Three separate settings, never mixed:

* :class:`RetryPolicy` -- how one *request* is retried. A fresh ``tenacity.AsyncRetrying`` is
  built per call (a shared one corrupts attempt state across concurrent calls). Retried: the
  listed HTTP statuses (408, 429, 500, 502, 503, 504) and :class:`~aiotune.APIConnectionError`
  (which includes timeouts). Nothing else -- in particular never cancellation, which is a
  ``BaseException`` on trio and asyncio and is never matched. The wait is the server's hint
  (``retry-after-ms``, ``Retry-After`` seconds or HTTP date, ``google.rpc.RetryInfo.retryDelay``)
  when there is one, else capped exponential backoff with jitter. A hint above
  ``max_retry_after`` is not waited for: the error (with ``.retry_after``) is raised at once.
  Each retry is logged at INFO on the ``aiotune`` logger.
* :class:`PollingPolicy` -- the cadence of operation polls (capped exponential backoff with
  jitter, google-api-core's 1 s x1.5 up to 20 s by default).
* The overall deadline of an operation -- ``TuningOperation.result(timeout=...)``.

Sleeps go through ``anyio.sleep`` (so cancellation and ``anyio.fail_after`` cut through them)
unless a policy is given its own ``sleep`` function (tests inject one to observe the waits).
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import anyio
import tenacity

from ._constants import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_POLL_INITIAL,
    DEFAULT_POLL_JITTER,
    DEFAULT_POLL_MAXIMUM,
    DEFAULT_POLL_MULTIPLIER,
    DEFAULT_RETRY_INITIAL,
    DEFAULT_RETRY_JITTER,
    DEFAULT_RETRY_MAXIMUM,
    DEFAULT_RETRY_MULTIPLIER,
    LOGGER_NAME,
    RETRYABLE_STATUS_CODES,
)
from ._exceptions import APIConnectionError, APIStatusError

__all__ = [
    "PollingPolicy",
    "RetryPolicy",
    "SleepFn",
    "parse_retry_after",
    "retry_call",
]

log = logging.getLogger(LOGGER_NAME)

T = TypeVar("T")
SleepFn = Callable[[float], Awaitable[None]]

_RETRY_DELAY_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)s\s*$")
_RETRY_INFO_TYPE = "type.googleapis.com/google.rpc.RetryInfo"


def _check_non_negative(**values: float) -> None:
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value!r}")


def _jittered(base: float, jitter: float) -> float:
    """``base`` reduced by a random fraction of up to ``jitter`` (0 = none, 1 = full jitter)."""
    return base * (1.0 - jitter * random.random())


@dataclass(frozen=True)
class RetryPolicy:
    """How a single API request is retried (see the module docstring).

    ``max_retries=0`` turns retries off. Backoff before retry *n* (1-based) is
    ``min(maximum, initial * multiplier ** (n - 1))`` reduced by up to ``jitter`` (a fraction).
    A server hint replaces the backoff (plus up to 5 % jitter) when it is at most
    ``max_retry_after`` seconds; a larger hint makes the error final at once.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    initial: float = DEFAULT_RETRY_INITIAL
    multiplier: float = DEFAULT_RETRY_MULTIPLIER
    maximum: float = DEFAULT_RETRY_MAXIMUM
    jitter: float = DEFAULT_RETRY_JITTER
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER
    retry_statuses: frozenset[int] = RETRYABLE_STATUS_CODES
    sleep: SleepFn | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries!r}")
        _check_non_negative(
            initial=self.initial,
            multiplier=self.multiplier,
            maximum=self.maximum,
            max_retry_after=self.max_retry_after,
        )
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"jitter must be within [0, 1], got {self.jitter!r}")

    def with_max_retries(self, max_retries: int) -> RetryPolicy:
        return replace(self, max_retries=max_retries)

    def is_retryable(self, exc: BaseException) -> bool:
        """Whether ``exc`` may be retried. Only listed ``Exception`` subclasses qualify."""
        if not isinstance(exc, Exception):
            return False
        if isinstance(exc, APIStatusError):
            if exc.status_code not in self.retry_statuses:
                return False
            return exc.retry_after is None or exc.retry_after <= self.max_retry_after
        return isinstance(exc, APIConnectionError)

    def backoff(self, retry_number: int) -> float:
        """The jittered backoff before retry ``retry_number`` (1-based), without server hints."""
        base = min(self.maximum, self.initial * self.multiplier ** max(retry_number - 1, 0))
        return _jittered(base, self.jitter)

    def compute_wait(self, retry_number: int, exc: BaseException | None) -> float:
        """The wait before retry ``retry_number`` after ``exc`` (server hint first)."""
        hint = getattr(exc, "retry_after", None)
        if isinstance(hint, (int, float)) and hint >= 0:
            return float(hint) * (1.0 + 0.05 * random.random())
        return self.backoff(retry_number)

    def retrying(
        self,
        *,
        describe: str = "request",
        can_retry: Callable[[BaseException], bool] | None = None,
    ) -> tenacity.AsyncRetrying:
        """A fresh ``AsyncRetrying`` for one call (never share it between calls)."""

        def should_retry(exc: BaseException) -> bool:
            return self.is_retryable(exc) and (can_retry is None or can_retry(exc))

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome is not None else None
            return self.compute_wait(state.attempt_number, exc)

        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome is not None else None
            delay = state.upcoming_sleep
            log.info(
                "retrying %s in %.3fs (attempt %d of %d failed): %s",
                describe,
                delay,
                state.attempt_number,
                self.max_retries + 1,
                exc,
            )

        return tenacity.AsyncRetrying(
            sleep=self.sleep or anyio.sleep,
            stop=tenacity.stop_after_attempt(self.max_retries + 1),
            wait=wait,
            retry=tenacity.retry_if_exception(should_retry),
            before_sleep=before_sleep,
            reraise=True,
        )


async def retry_call(
    fn: Callable[[int], Awaitable[T]],
    policy: RetryPolicy,
    *,
    describe: str = "request",
    can_retry: Callable[[BaseException], bool] | None = None,
) -> T:
    """Run ``fn(attempt_number)`` under a fresh retrying object built from ``policy``."""
    async for attempt in policy.retrying(describe=describe, can_retry=can_retry):
        with attempt:
            result = await fn(attempt.retry_state.attempt_number)
        if attempt.retry_state.outcome is None or not attempt.retry_state.outcome.failed:
            return result
    raise AssertionError("unreachable: tenacity stopped without an outcome")  # pragma: no cover


@dataclass(frozen=True)
class PollingPolicy:
    """The cadence of operation polls: sleep *n* is ``min(maximum, initial * multiplier**(n-1))``
    reduced by up to ``jitter`` (a fraction; 0.5 means a uniform pick in [x/2, x])."""

    initial: float = DEFAULT_POLL_INITIAL
    multiplier: float = DEFAULT_POLL_MULTIPLIER
    maximum: float = DEFAULT_POLL_MAXIMUM
    jitter: float = DEFAULT_POLL_JITTER
    sleep: SleepFn | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_non_negative(initial=self.initial, multiplier=self.multiplier, maximum=self.maximum)
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"jitter must be within [0, 1], got {self.jitter!r}")

    def delay(self, poll_number: int) -> float:
        base = min(self.maximum, self.initial * self.multiplier ** max(poll_number - 1, 0))
        return _jittered(base, self.jitter)

    def retrying(self, sleep: SleepFn | None = None) -> tenacity.AsyncRetrying:
        """A fresh ``AsyncRetrying`` that repeats while the attempt's result is ``False``
        (the operation is not done). Errors are not retried here: each poll request has its
        own :class:`RetryPolicy`."""
        return tenacity.AsyncRetrying(
            sleep=sleep or self.sleep or anyio.sleep,
            stop=tenacity.stop_never,
            wait=lambda state: self.delay(state.attempt_number),
            retry=tenacity.retry_if_result(lambda done: not done),
            reraise=True,
        )


def _parse_delay(value: str) -> float | None:
    match = _RETRY_DELAY_RE.match(value)
    return float(match.group(1)) if match else None


def parse_retry_after(
    headers: Mapping[str, str], details: list[dict[str, Any]] | None = None
) -> float | None:
    """The server's retry hint in seconds, or ``None``.

    Looks at ``retry-after-ms``, then ``Retry-After`` (delta seconds or an HTTP date), then a
    ``google.rpc.RetryInfo`` detail's ``retryDelay`` (a Duration string such as ``"53s"``).
    A malformed or non-finite hint is ignored.
    """
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        ms = _finite(raw_ms)
        if ms is not None:
            return max(ms / 1000.0, 0.0)
    raw = headers.get("retry-after")
    if raw:
        seconds = _finite(raw)
        if seconds is not None:
            return max(seconds, 0.0)
        parsed = email.utils.parsedate_tz(raw)
        if parsed is not None:
            return max(email.utils.mktime_tz(parsed) - time.time(), 0.0)
    for detail in details or []:
        if detail.get("@type") == _RETRY_INFO_TYPE:
            delay = detail.get("retryDelay", detail.get("retry_delay"))
            if isinstance(delay, str):
                parsed_delay = _parse_delay(delay)
                if parsed_delay is not None:
                    return parsed_delay
            elif isinstance(delay, dict):  # {"seconds": 53, "nanos": 0} form
                seconds = _finite(delay.get("seconds", 0))
                nanos = _finite(delay.get("nanos", 0))
                if seconds is not None and nanos is not None:
                    return max(seconds + nanos / 1e9, 0.0)
    return None


def _finite(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` (a server's malformed hint must not raise)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
