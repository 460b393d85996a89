"""Tuning jobs and their simulated training, computed from timestamps when asked.

A job never runs: its progress at time ``t`` is a pure function of its start time, its step time
and what happened to it (failure step, cancel time). No task per job and no loop, so thousands
of jobs cost nothing while idle. ``totalSteps = ceil(examples × epochs / batchSize)``; step ``k``
completes at ``start + k × step_time``; its mean loss decreases smoothly; epochs are 0-based (and
so omitted from the JSON for the first epoch).

Outcomes: success → model ``ACTIVE``, operation ``response`` = the model; a failure at step ``k``
→ model ``FAILED``, operation ``error`` ``{code: 13}``; a cancel → model ``FAILED``, operation
``error`` ``{code: 1, "Operation was cancelled."}``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..types import (
    CreateTunedModelMetadata,
    Hyperparameters,
    Operation,
    Status,
    TunedModel,
    TunedModelSource,
    TunedModelState,
    TuningSnapshot,
    TuningTask,
)

__all__ = ["Clock", "Job", "SystemClock", "VirtualClock"]


class Clock:
    """Seconds since the epoch. Subclass or use :class:`VirtualClock` in tests."""

    def time(self) -> float:
        raise NotImplementedError


class SystemClock(Clock):
    def time(self) -> float:
        return time.time()


class VirtualClock(Clock):
    """A clock that only moves when told: ``clock.advance(seconds)``."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go back")
        self._now += seconds


def _ts(t: float) -> datetime:
    return datetime.fromtimestamp(t, timezone.utc)


def _loss(step: int, total: int) -> float:
    return round(2.5 * math.exp(-3.0 * step / max(total, 1)) + 0.05, 6)


@dataclass
class Job:
    """One tuned model and its (single) create operation."""

    id: str
    op_id: str
    owner: str
    fields: dict[str, Any]  # displayName, description, temperature, topP, topK, readerProjectNumbers
    base_model: str | None
    source: TunedModelSource | None
    hyperparameters: Hyperparameters
    examples: list[tuple[str, str]]
    created: float
    step_time: float
    fail_at: int | None = None
    cancelled_at: float | None = None
    updated: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"tunedModels/{self.id}"

    @property
    def op_name(self) -> str:
        return f"{self.name}/operations/{self.op_id}"

    @property
    def total_steps(self) -> int:
        hp = self.hyperparameters
        return math.ceil(len(self.examples) * (hp.epoch_count or 1) / (hp.batch_size or 1))

    def _steps_at(self, t: float) -> int:
        if self.step_time <= 0:
            steps = self.total_steps
        else:
            steps = int(max(t - self.created, 0.0) / self.step_time + 1e-9)
        return min(steps, self.total_steps)

    def status(self, now: float) -> tuple[int, Status | None, float | None]:
        """(completed steps, error or None, end time or None) at ``now``."""
        total = self.total_steps
        if self.cancelled_at is not None and self.cancelled_at <= now:
            steps = self._steps_at(self.cancelled_at)
            if steps < total and (self.fail_at is None or steps < self.fail_at):
                return steps, Status(code=1, message="Operation was cancelled."), self.cancelled_at
        steps = self._steps_at(now)
        if self.fail_at is not None and steps >= self.fail_at:
            end = self.created + self.fail_at * self.step_time
            msg = f"Tuning job failed at step {self.fail_at}."
            return self.fail_at, Status(code=13, message=msg), end
        if steps >= total:
            return total, None, self.created + total * self.step_time
        return steps, None, None

    def snapshots(self, steps: int) -> list[TuningSnapshot]:
        n, batch, total = len(self.examples), self.hyperparameters.batch_size or 1, self.total_steps
        return [
            TuningSnapshot(
                step=k,
                epoch=((k - 1) * batch) // max(n, 1),
                mean_loss=_loss(k, total),
                compute_time=_ts(self.created + k * self.step_time),
            )
            for k in range(1, steps + 1)
        ]

    def model(self, now: float) -> TunedModel:
        steps, error, end = self.status(now)
        done = end is not None
        state = TunedModelState.CREATING
        if done:
            state = TunedModelState.FAILED if error is not None else TunedModelState.ACTIVE
        update = max(t for t in (self.created, end, self.updated) if t is not None)
        return TunedModel(
            name=self.name,
            tuned_model_source=self.source,
            base_model=self.base_model,
            state=state,
            create_time=_ts(self.created),
            update_time=_ts(update),
            tuning_task=TuningTask(
                start_time=_ts(self.created),
                complete_time=_ts(end) if done and error is None and end is not None else None,
                snapshots=self.snapshots(steps),
                hyperparameters=self.hyperparameters,
            ),
            **self.fields,
        )

    def operation(self, now: float) -> Operation:
        steps, error, end = self.status(now)
        total = self.total_steps
        meta = CreateTunedModelMetadata(
            total_steps=total,
            completed_steps=steps,
            completed_percent=round(100.0 * steps / total, 4) if total else 0.0,
            snapshots=self.snapshots(steps),
            tuned_model=self.name,
        )
        done = end is not None
        return Operation(
            name=self.op_name,
            metadata=meta,
            done=done,
            error=error,
            response=self.model(now) if done and error is None else None,
        )
