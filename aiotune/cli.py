"""The ``aiotune`` command line: tune with live progress, inspect, cancel, use, validate, emulate.

Exit codes (also in the README):

====  ==============================================================
0     success
1     an API error (the one-line message says which status and why)
2     bad usage or bad input (missing key, bad training data, ...)
3     the tuning job failed or was cancelled on the server
130   interrupted (Ctrl-C); a running job goes on, reattach with ``aiotune status NAME``
====  ==============================================================

Every command takes ``--base-url`` (or ``AIOTUNE_BASE_URL``), ``--api-key`` (or
``GOOGLE_API_KEY`` / ``GEMINI_API_KEY``) and ``--json`` (machine-readable output).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NoReturn, TypeVar

import anyio
import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ._client import AsyncClient
from ._display import show_progress
from ._exceptions import (
    AiotuneError,
    APIError,
    DatasetError,
    OperationCancelledError,
    TuningFailedError,
)
from ._retry import PollingPolicy
from .datasets import validate_training_data
from .types import WireModel

__all__ = ["app", "main"]

EXIT_OK, EXIT_API, EXIT_USAGE, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

app = typer.Typer(
    name="aiotune",
    help="Tune models on Google's tuning API (or aiotune's built-in emulator) with live progress.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,  # locals hold the API key
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

_T = TypeVar("_T")

BaseUrl = Annotated[
    str | None,
    typer.Option("--base-url", envvar="AIOTUNE_BASE_URL", help="API root (default: Google's)."),
]
ApiKey = Annotated[
    str | None,
    typer.Option("--api-key", envvar=["GOOGLE_API_KEY", "GEMINI_API_KEY"], show_default=False),
]
JsonOut = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _fail(message: str, code: int) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def _run(fn: Callable[[], Awaitable[_T]]) -> _T:
    """Run one async command; map errors to one line and an exit code."""
    if os.environ.get("AIOTUNE_DEBUG"):  # full tracebacks for bug reports
        return anyio.run(fn)
    try:
        return anyio.run(fn)
    except OperationCancelledError as exc:
        _fail(str(exc), EXIT_FAILED)
    except TuningFailedError as exc:
        _fail(str(exc), EXIT_FAILED)
    except DatasetError as exc:
        _fail(str(exc), EXIT_USAGE)
    except APIError as exc:
        _fail(str(exc), EXIT_API)
    except (AiotuneError, ValueError, TypeError, FileNotFoundError) as exc:
        _fail(str(exc), EXIT_USAGE)


def _client(base_url: str | None, api_key: str | None) -> AsyncClient:
    return AsyncClient(api_key=api_key, base_url=base_url)


def _print_json(value: Any) -> None:
    if isinstance(value, WireModel):
        value = value.to_wire()
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def _model_line(model: Any) -> str:
    name = escape(model.display_name or "")
    return f"{model.name}  [bold]{model.state.name}[/bold]  {name}".rstrip()


@app.command()
def tune(
    data: Annotated[str, typer.Argument(help="Training data: CSV/JSON/JSONL path or http(s) URL.")],
    model: Annotated[
        str, typer.Option("--model", "-m", help="Base model, e.g. gemini-1.5-flash-001-tuning.")
    ],
    id: Annotated[
        str | None, typer.Option("--id", help="Tuned model id (default: generated).")
    ] = None,
    display_name: Annotated[str | None, typer.Option("--display-name")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    epochs: Annotated[int | None, typer.Option("--epochs", min=1)] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", min=1)] = None,
    learning_rate: Annotated[float | None, typer.Option("--learning-rate")] = None,
    input_key: Annotated[str, typer.Option("--input-key")] = "text_input",
    output_key: Annotated[str, typer.Option("--output-key")] = "output",
    prompt: Annotated[
        str | None, typer.Option("--prompt", help="Ask the tuned model this once it is ready.")
    ] = None,
    emulator: Annotated[
        bool, typer.Option("--emulator", help="Run the whole job on an in-process emulator.")
    ] = False,
    step_time: Annotated[
        float, typer.Option("--step-time", help="Emulator seconds per training step.")
    ] = 0.1,
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
    json: JsonOut = False,
) -> None:
    """Create a tuning job, show live progress, and print the tuned model."""
    if not emulator and not api_key and not base_url:
        _fail(
            "no GOOGLE_API_KEY set and no --base-url given. Set GOOGLE_API_KEY to tune on Google's "
            "service, or add --emulator to run the whole job on aiotune's built-in emulator.",
            EXIT_USAGE,
        )
    started: dict[str, str] = {}

    async def go() -> None:
        if emulator:
            from .emulator import Emulator

            emu = Emulator(step_time=step_time)
            client = AsyncClient(
                api_key="emulator",
                base_url="http://emulator",
                transport=emu.transport(),
                polling=PollingPolicy(initial=0.2, multiplier=1.2, maximum=0.5),
            )
            if not json:
                out.print(
                    "[yellow]Using the built-in emulator (in-process): "
                    "nothing is sent to Google.[/yellow]"
                )
        else:
            client = _client(base_url, api_key)
        async with client:
            op = await client.create_tuned_model(
                model,
                data,
                id=id,
                display_name=display_name,
                description=description,
                epoch_count=epochs,
                batch_size=batch_size,
                learning_rate=learning_rate,
                input_key=input_key,
                output_key=output_key,
            )
            started["name"] = op.name
            if json:
                result = await op
            else:
                out.print(f"Started {op.name}")
                result = await show_progress(op, console=out)
            answer = await client.generate_text(result.name, prompt) if prompt else None
        if json:
            payload: dict[str, Any] = {"operation": op.name, "tunedModel": result.to_wire()}
            if answer is not None:
                payload["prompt"], payload["answer"] = prompt, answer
            _print_json(payload)
            return
        out.print(f"Tuned model: {_model_line(result)}")
        if answer is not None:
            out.print(f"{escape(repr(prompt))} -> [bold]{escape(answer)}[/bold]")
        if emulator:
            out.print(
                "[yellow](emulator run: this tuned model lived only in this process)[/yellow]"
            )

    try:
        _run(go)
    except KeyboardInterrupt:
        name = started.get("name")
        if name and not emulator:
            err.print(
                f"Stopped watching; the job goes on. Reattach with: aiotune status {name}",
                soft_wrap=True,
            )
        elif name:
            err.print("Stopped; the in-process emulator (and its job) ended with this process.")
        raise typer.Exit(EXIT_INTERRUPTED) from None


@app.command()
def status(
    name: Annotated[str, typer.Argument(help="tunedModels/ID or tunedModels/ID/operations/OP")],
    watch: Annotated[bool, typer.Option("--watch", help="Follow the job until it ends.")] = False,
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
    json: JsonOut = False,
) -> None:
    """Show a tuning job (operation) or a tuned model."""

    async def go() -> None:
        async with _client(base_url, api_key) as client:
            if "/operations/" in name:
                op = await client.get_operation(name)
                if watch and not op.done():
                    await show_progress(op, console=out) if not json else await op
                raw = op.operation
                if json:
                    _print_json(raw)
                    return
                p = op.progress
                state = "done" if raw.done else "running"
                if raw.error is not None:
                    state = f"error {raw.error.code}: {escape(raw.error.message)}"
                out.print(f"{op.name}  [bold]{state}[/bold]")
                out.print(
                    f"  steps {p.completed_steps}/{p.total_steps} ({p.completed_percent:.0f}%)"
                    + (f", loss {p.latest_loss:.4f}" if p.latest_loss is not None else "")
                )
            else:
                model = await client.get_tuned_model(name)
                if json:
                    _print_json(model)
                    return
                out.print(_model_line(model))
                if model.base_model:
                    out.print(f"  base model: {model.base_model}")
                task = model.tuning_task
                if task is not None and task.snapshots:
                    last = task.snapshots[-1]
                    out.print(f"  {len(task.snapshots)} steps, final loss {last.mean_loss:.4f}")

    _run(go)


@app.command("list")
def list_(
    page_size: Annotated[int | None, typer.Option("--page-size")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Stop after N models.")] = None,
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
    json: JsonOut = False,
) -> None:
    """List your tuned models."""

    async def go() -> None:
        models = []
        async with _client(base_url, api_key) as client:
            async for m in client.list_tuned_models(page_size=page_size):
                models.append(m)
                if limit is not None and len(models) >= limit:
                    break
        if json:
            _print_json([m.to_wire() for m in models])
            return
        table = Table("name", "state", "display name", "base model")
        for m in models:
            table.add_row(m.name, m.state.name, escape(m.display_name), m.base_model or "")
        out.print(table)

    _run(go)


@app.command()
def cancel(
    name: Annotated[str, typer.Argument(help="tunedModels/ID/operations/OP")],
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
    json: JsonOut = False,
) -> None:
    """Cancel a running tuning job on the server."""

    async def go() -> None:
        async with _client(base_url, api_key) as client:
            op = await client.get_operation(name)
            sent = await op.cancel()
        if json:
            _print_json({"operation": name, "cancelRequested": sent})
        else:
            out.print(f"{name}: {'cancel requested' if sent else 'already finished'}")

    _run(go)


@app.command()
def delete(
    name: Annotated[str, typer.Argument(help="tunedModels/ID")],
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
    json: JsonOut = False,
) -> None:
    """Delete a tuned model."""

    async def go() -> None:
        async with _client(base_url, api_key) as client:
            await client.delete_tuned_model(name)
        if json:
            _print_json({"deleted": name})
        else:
            out.print(f"deleted {name}")

    _run(go)


@app.command()
def generate(
    name: Annotated[str, typer.Argument(help="tunedModels/ID")],
    prompt: Annotated[str, typer.Argument()],
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
    json: JsonOut = False,
) -> None:
    """Ask a tuned model."""

    async def go() -> None:
        async with _client(base_url, api_key) as client:
            text = await client.generate_text(name, prompt)
        if json:
            _print_json({"model": name, "prompt": prompt, "text": text})
        else:
            out.print(text, markup=False, emoji=False, soft_wrap=True)  # the text, verbatim

    _run(go)


@app.command()
def validate(
    data: Annotated[str, typer.Argument(help="Training data: CSV/JSON/JSONL path or http(s) URL.")],
    input_key: Annotated[str, typer.Option("--input-key")] = "text_input",
    output_key: Annotated[str, typer.Option("--output-key")] = "output",
    json: JsonOut = False,
) -> None:
    """Check training data without sending anything (a dry run)."""

    async def go() -> None:
        summary = await validate_training_data(data, input_key=input_key, output_key=output_key)
        if json:
            _print_json(summary.as_dict())
        else:
            # summary.source, not `data`: a URL's query string may hold a token
            out.print(f"{summary.source}: OK", markup=False)
            for key, value in summary.as_dict().items():
                out.print(f"  {key}: {value}", markup=False)

    _run(go)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def emulator(ctx: typer.Context) -> None:
    """Run the local tuning API emulator (options: see `aiotune emulator --help`)."""
    from .emulator.__main__ import main as emulator_main

    raise typer.Exit(emulator_main(list(ctx.args)))


def main() -> None:
    """Entry point of the ``aiotune`` command."""
    if os.environ.get("AIOTUNE_DEBUG"):  # full tracebacks for bug reports
        app.pretty_exceptions_enable = True
    app(prog_name="aiotune")


if __name__ == "__main__":  # pragma: no cover
    main()
