"""Fault injection, so clients can test their retries, timeouts and exactly-once logic.

From Python, on ``emu.faults``::

    emu.faults.script("POST", "/v1beta/tunedModels", [429, 503, "drop"])  # the next 3 matching requests
    emu.faults.rate("GET", "/v1beta/tunedModels/", 503, 0.2)               # 20% of matching requests
    emu.faults.latency(0.5, method="GET")                                 # added before answering
    emu.faults.retry_after = 2                                            # seconds, on 429s
    emu.faults.clear()

From the command line: ``--fail-rate 0.1`` (503 on 10% of requests), ``--rate-limit-rate 0.1``
(429 with ``Retry-After``), ``--latency 0.2``.

A rule matches a method (``None`` = any) and a path prefix. Actions:

* an HTTP status (``429``, ``500``, ``503``, ...): answered with Google's error envelope; a 429
  carries ``Retry-After`` and a ``google.rpc.RetryInfo`` detail;
* ``"drop"``: the request is processed (a create *is committed*), then the connection is dropped
  before the response, as a network failure would.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

__all__ = ["DROP", "Action", "Faults"]

DROP = "drop"
Action = int | str


@dataclass
class _Rule:
    method: str | None
    prefix: str
    script: deque[Action] = field(default_factory=deque)
    action: Action | None = None
    probability: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and path.startswith(self.prefix)


class Faults:
    """The fault plan of one emulator (see the module docstring)."""

    def __init__(self, *, seed: int | None = None) -> None:
        self._rules: list[_Rule] = []
        self._latency: list[tuple[str | None, str, float]] = []
        self._random = random.Random(seed)
        self.retry_after: float = 1.0

    def script(self, method: str | None, prefix: str, actions: list[Action]) -> None:
        """The next ``len(actions)`` matching requests get these actions, in order."""
        for action in actions:
            _check(action)
        self._rules.append(_Rule(method, prefix, script=deque(actions)))

    def rate(self, method: str | None, prefix: str, action: Action, probability: float) -> None:
        """Each matching request gets ``action`` with this probability."""
        _check(action)
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be in [0, 1]")
        self._rules.append(_Rule(method, prefix, action=action, probability=probability))

    def latency(self, seconds: float, *, method: str | None = None, prefix: str = "/") -> None:
        """Delay matching requests by ``seconds`` before answering."""
        self._latency.append((method, prefix, seconds))

    def clear(self) -> None:
        self._rules.clear()
        self._latency.clear()

    def delay_for(self, method: str, path: str) -> float:
        return sum(s for m, p, s in self._latency if (m is None or m == method) and path.startswith(p))

    def next_action(self, method: str, path: str) -> Action | None:
        """The fault for this request, if any (consumes a scripted step)."""
        for rule in self._rules:
            if not rule.matches(method, path):
                continue
            if rule.script:
                return rule.script.popleft()
            if rule.action is not None and self._random.random() < rule.probability:
                return rule.action
        return None


def _check(action: Action) -> None:
    if action == DROP:
        return
    if not isinstance(action, int) or not 400 <= action <= 599:
        raise ValueError(f"a fault is an HTTP error status (4xx/5xx) or 'drop', not {action!r}")
