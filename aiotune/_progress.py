"""Typed progress of a tuning job, read from the operation's ``CreateTunedModelMetadata``."""

from __future__ import annotations

from dataclasses import dataclass

from .types import Operation, TuningSnapshot

__all__ = ["TuningProgress"]


@dataclass(frozen=True)
class TuningProgress:
    """One progress event of a tuning job (what ``TuningOperation.watch()`` yields).

    ``completed_percent`` is 0-100. ``snapshots`` are the per-step metrics so far;
    ``latest_loss`` is the mean loss of the last one (``None`` before the first step).
    ``done`` is true on the last event; ``succeeded`` / ``failed`` / ``cancelled`` say how it
    ended (``await op`` then returns the model or raises the matching error).
    """

    operation: str
    tuned_model: str
    total_steps: int
    completed_steps: int
    completed_percent: float
    snapshots: tuple[TuningSnapshot, ...]
    done: bool = False
    error_code: int | None = None

    @classmethod
    def from_operation(cls, op: Operation) -> TuningProgress:
        meta = op.metadata
        return cls(
            operation=op.name,
            tuned_model=op.tuned_model_name,
            total_steps=meta.total_steps if meta else 0,
            completed_steps=meta.completed_steps if meta else 0,
            completed_percent=meta.completed_percent if meta else 0.0,
            snapshots=tuple(meta.snapshots) if meta else (),
            done=op.done,
            error_code=op.error.code if op.done and op.error is not None else None,
        )

    @property
    def latest_snapshot(self) -> TuningSnapshot | None:
        return self.snapshots[-1] if self.snapshots else None

    @property
    def latest_loss(self) -> float | None:
        snap = self.latest_snapshot
        return snap.mean_loss if snap is not None else None

    @property
    def succeeded(self) -> bool:
        return self.done and self.error_code is None

    @property
    def failed(self) -> bool:
        return self.done and self.error_code is not None

    @property
    def cancelled(self) -> bool:
        return self.done and self.error_code == 1

    def __str__(self) -> str:
        loss = f", loss {self.latest_loss:.4g}" if self.latest_loss is not None else ""
        state = " (done)" if self.done else ""
        return (
            f"{self.tuned_model}: step {self.completed_steps}/{self.total_steps} "
            f"({self.completed_percent:.0f}%){loss}{state}"
        )
