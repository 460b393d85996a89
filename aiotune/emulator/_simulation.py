"""Tuning jobs and their simulated training, computed from timestamps when asked.

A job never runs: its progress at time ``t`` is a pure function of its start time, its step time
and what happened to it (failure step, cancel time). No task per job and no loop, so thousands
of jobs cost nothing while idle. ``totalSteps = ceil(examples * epochs / batchSize)``; step ``k``
completes at ``start + k * step_time``; its mean loss decreases smoothly; epochs are 0-based (and
so omitted from the JSON for the first epoch).

Outcomes: success → model ``ACTIVE``, operation ``response`` = the model; a failure at step ``k``
→ model ``FAILED``, operation ``error`` ``{code: 13}``; a cancel → model ``FAILED`` (the proto
has no CANCELLED state, and a cancelled model cannot be used), operation ``error``
``{code: 1, "Operation was cancelled."}``. A cancel after the job ended changes nothing.

Big jobs (hundreds of thousands of examples → hundreds of thousands of snapshots) stay cheap to
poll: snapshots are rendered to wire dicts once, cached on the job and spliced into the JSON by
:meth:`Job.operation_wire` / :meth:`Job.model_wire`, instead of going through pydantic per read.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..types import (
    METADATA_TYPE_URL,
    TUNED_MODEL_TYPE_URL,
    CreateTunedModelMetadata,
    Hyperparameters,
    Operation,
    Status,
    TunedModel,
    TunedModelSource,
    TunedModelState,
    TuningSnapshot,
    TuningTask,
    format_timestamp,
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
    fields: dict[str, Any]  # display_name, description, temperature, top_p, top_k, ...
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
    _snaps: list[dict[str, Any]] = field(default_factory=list, repr=False)

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

    def snapshot_dicts(self, steps: int) -> list[dict[str, Any]]:
        """The proto3-JSON form of the first ``steps`` snapshots (rendered once, then cached)."""
        cache = self._snaps
        if len(cache) < steps:
            n, batch, total = (
                len(self.examples),
                self.hyperparameters.batch_size or 1,
                self.total_steps,
            )
            for k in range(len(cache) + 1, steps + 1):
                snap: dict[str, Any] = {"step": k}
                epoch = ((k - 1) * batch) // max(n, 1)
                if epoch:
                    snap["epoch"] = epoch
                snap["meanLoss"] = _loss(k, total)
                snap["computeTime"] = format_timestamp(_ts(self.created + k * self.step_time))
                cache.append(snap)
        return cache[:steps]

    def snapshots(self, steps: int) -> list[TuningSnapshot]:
        return [TuningSnapshot.from_wire(s) for s in self.snapshot_dicts(steps)]

    def model(self, now: float) -> TunedModel:
        """The tuned model at ``now`` (with every snapshot; see :meth:`model_wire` for JSON)."""
        model = self._bare_model(now)
        steps = self.status(now)[0]
        if model.tuning_task is not None:
            model.tuning_task.snapshots = self.snapshots(steps)
        return model

    def _bare_model(self, now: float) -> TunedModel:
        _, error, end = self.status(now)
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
                hyperparameters=self.hyperparameters,
            ),
            **self.fields,
        )

    def model_wire(self, now: float, *, enum_int: bool = False) -> dict[str, Any]:
        """The proto3-JSON ``TunedModel`` at ``now`` (``trainingData`` is never stored in it)."""
        out = self._bare_model(now).to_wire(enum_int=enum_int)
        snaps = self.snapshot_dicts(self.status(now)[0])
        if snaps:
            out["tuningTask"] = _insert_before(
                out["tuningTask"], "snapshots", snaps, "hyperparameters"
            )
        return out

    def operation_wire(self, now: float, *, enum_int: bool = False) -> dict[str, Any]:
        """The proto3-JSON ``Operation`` at ``now``, exactly the proto schema (strict parsers)."""
        steps, error, end = self.status(now)
        total = self.total_steps
        meta: dict[str, Any] = {"@type": METADATA_TYPE_URL, "totalSteps": total}
        if steps:
            meta["completedSteps"] = steps
            meta["completedPercent"] = round(100.0 * steps / total, 4)
            meta["snapshots"] = self.snapshot_dicts(steps)
        meta["tunedModel"] = self.name
        out: dict[str, Any] = {"name": self.op_name, "metadata": meta}
        if end is not None:
            out["done"] = True
            if error is not None:
                out["error"] = error.to_wire()
            else:
                out["response"] = {
                    "@type": TUNED_MODEL_TYPE_URL,
                    **self.model_wire(now, enum_int=enum_int),
                }
        return out

    def operation(self, now: float) -> Operation:
        """The operation at ``now`` as a typed object (see :meth:`operation_wire` for JSON)."""
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


def _insert_before(obj: dict[str, Any], key: str, value: Any, before: str) -> dict[str, Any]:
    """``obj`` with ``key: value`` placed before ``before`` (proto field order), else at the end."""
    if before not in obj:
        return {**obj, key: value}
    out: dict[str, Any] = {}
    for k, v in obj.items():
        if k == before:
            out[key] = value
        out[k] = v
    return out
