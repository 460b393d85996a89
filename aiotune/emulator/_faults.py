"""Fault injection, so clients can test their retries, timeouts and exactly-once logic.

A :class:`Fault` is what happens to one request: an HTTP error answered with Google's envelope
(a ``429`` carries a ``Retry-After`` header and a ``google.rpc.RetryInfo`` detail), added
latency, or a *dropped connection after commit*: the request is fully processed (a create is
committed: the model and its operation exist), then the connection is cut before the response,
so the client sees ``httpx.RemoteProtocolError`` both in-process and over a real socket.

From Python, on ``emu.faults`` (rules match a method, ``None`` = any, and a path prefix)::

    emu.faults.script("POST", "/v1beta/tunedModels", [429, 503, "drop"])   # the next 3 matching
    emu.faults.script(None, "/", [Fault.rate_limit(retry_after=2), Fault.slow(0.2)])
    emu.faults.rate("GET", "/v1beta/tunedModels/", 503, 0.2)                # 20% of matching
    emu.faults.latency(0.05, method="GET")                                 # every matching request
    emu.faults.fail_training(at_step=3)          # the next created job fails at step 3 (code 13)
    emu.faults.retry_after = 2                   # default seconds advertised on 429s
    emu.faults.clear()

A plain ``int`` status is short for ``Fault(status=...)`` and ``"drop"`` for
``Fault.drop_connection()``. Scripts are consumed in order, before rates are rolled; rules are
checked in the order they were added and the first that fires wins.

From the command line (``python -m aiotune.emulator``): ``--fail-rate 0.1`` (503 on 10% of
requests), ``--rate-limit-rate 0.1`` (429), ``--drop-rate 0.05``, ``--retry-after 2``,
``--latency 0.2``, ``--fail-at-step K`` (every job fails at step K), ``--seed N`` (the dice), and
``--fault-script "POST /v1beta/tunedModels 429,503,drop"`` (repeatable). Without options the
emulator injects nothing.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

__all__ = ["DROP", "Action", "Fault", "Faults", "parse_script"]

DROP = "drop"


@dataclass(frozen=True)
class Fault:
    """One injected fault: an error ``status``, added ``delay``, and/or a dropped connection."""

    status: int | None = None
    retry_after: float | None = None  # 429 only; None: ``Faults.retry_after``
    delay: float = 0.0
    drop: bool = False
    message: str | None = None

    def __post_init__(self) -> None:
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError(f"a fault status is an HTTP error (4xx/5xx), not {self.status!r}")
        if self.delay < 0 or (self.retry_after is not None and self.retry_after < 0):
            raise ValueError("delays cannot be negative")
        if self.drop and self.status is not None:
            raise ValueError("a fault either answers an error or drops the connection, not both")

    @classmethod
    def rate_limit(cls, retry_after: float | None = None) -> Fault:
        """429 RESOURCE_EXHAUSTED with ``Retry-After`` and a ``RetryInfo`` detail."""
        return cls(status=429, retry_after=retry_after)

    @classmethod
    def unavailable(cls) -> Fault:
        """503 UNAVAILABLE (the status the official clients retry)."""
        return cls(status=503)

    @classmethod
    def error(cls, status: int, message: str | None = None) -> Fault:
        """Any HTTP error status, with Google's envelope."""
        return cls(status=status, message=message)

    @classmethod
    def drop_connection(cls) -> Fault:
        """Process (commit) the request, then drop the connection before the response."""
        return cls(drop=True)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Answer normally after ``seconds``."""
        return cls(delay=seconds)


Action = int | str | Fault


def as_fault(action: Action) -> Fault:
    if isinstance(action, Fault):
        return action
    if action == DROP:
        return Fault.drop_connection()
    if isinstance(action, int) and not isinstance(action, bool):
        return Fault(status=action)
    raise ValueError(f"a fault is a Fault, an HTTP error status or 'drop', not {action!r}")


def parse_script(spec: str) -> tuple[str | None, str, list[Fault]]:
    """``"POST /v1beta/tunedModels 429,503,drop"`` → (method, prefix, faults); ``*`` = any."""
    try:
        method, prefix, actions = spec.split()
    except ValueError:
        raise ValueError(f"expected 'METHOD PATH-PREFIX ACTION,ACTION,...', got {spec!r}") from None
    faults = [as_fault(a if a == DROP else int(a)) for a in actions.split(",") if a]
    return (None if method == "*" else method.upper()), prefix, faults


@dataclass
class _Rule:
    method: str | None
    prefix: str
    script: deque[Fault] = field(default_factory=deque)
    fault: Fault | None = None
    probability: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and path.startswith(self.prefix)


class Faults:
    """The fault plan of one emulator (see the module docstring)."""

    def __init__(self, *, seed: int | None = None) -> None:
        self._rules: list[_Rule] = []
        self._latency: list[tuple[str | None, str, float]] = []
        self._training: deque[int] = deque()
        self._random = random.Random(seed)
        self.retry_after: float = 1.0

    def script(self, method: str | None, prefix: str, actions: list[Action]) -> None:
        """The next ``len(actions)`` matching requests get these faults, in order."""
        self._rules.append(_Rule(method, prefix, script=deque(as_fault(a) for a in actions)))

    def rate(self, method: str | None, prefix: str, action: Action, probability: float) -> None:
        """Each matching request gets ``action`` with this probability."""
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be in [0, 1]")
        self._rules.append(_Rule(method, prefix, fault=as_fault(action), probability=probability))

    def latency(self, seconds: float, *, method: str | None = None, prefix: str = "/") -> None:
        """Delay every matching request by ``seconds`` before answering."""
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        self._latency.append((method, prefix, seconds))

    def fail_training(self, at_step: int, times: int = 1) -> None:
        """The next ``times`` created jobs fail at step ``at_step`` (operation error code 13)."""
        if at_step < 1 or times < 1:
            raise ValueError("at_step and times must be >= 1")
        self._training.extend([at_step] * times)

    def clear(self) -> None:
        """Remove every rule, latency and pending training failure."""
        self._rules.clear()
        self._latency.clear()
        self._training.clear()

    def delay_for(self, method: str, path: str) -> float:
        return sum(
            s for m, p, s in self._latency if (m is None or m == method) and path.startswith(p)
        )

    def next_fault(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any (consumes a scripted step)."""
        for rule in self._rules:
            if not rule.matches(method, path):
                continue
            if rule.script:
                return rule.script.popleft()
            if rule.fault is not None and self._random.random() < rule.probability:
                return rule.fault
        return None

    def next_training_failure(self) -> int | None:
        """The failure step of the job being created, if one was scheduled."""
        return self._training.popleft() if self._training else None
