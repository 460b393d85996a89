"""Live progress display for a tuning job (terminal and notebooks), built on rich.

``await aiotune.show_progress(op)`` renders a progress bar (steps, percent, latest loss, elapsed
time and ETA) while the job runs and returns the tuned model, exactly like ``await op``. rich
renders in terminals and in Jupyter alike. rich is an optional dependency (the ``cli`` extra) and
is imported only when this function is called.

Interrupting the display (Ctrl-C, or cancelling the awaiting task) stops watching; the job goes on
on the server (see ``TuningOperation``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._operation import TuningOperation
    from .types import TunedModel

__all__ = ["show_progress"]


async def show_progress(
    op: TuningOperation, *, console: Any = None, transient: bool = False
) -> TunedModel:
    """Show the job's progress until it ends; return its tuned model (raises like ``await op``)."""
    try:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "show_progress needs rich: pip install 'aiotune[cli]' "
            "(or use `async for p in op.watch()`)"
        ) from exc

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(compact=True),
    )
    label = op.tuned_model.partition("/")[2]
    with Progress(*columns, console=console, transient=transient) as bar:
        task = bar.add_task(label, total=None, loss="-")
        async for p in op.watch():
            loss = f"{p.latest_loss:.4f}" if p.latest_loss is not None else "-"
            bar.update(
                task,
                total=p.total_steps or None,
                completed=p.completed_steps,
                loss=loss,
            )
    return await op
