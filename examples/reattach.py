"""Reattach to a tuning job from another process by its operation name.

The first process starts a job and stores ``op.name`` (a plain string). Any other process, or a
restarted one, gets the job back with ``client.get_operation(name)`` and waits for it.

    python examples/reattach.py start  --base-url http://127.0.0.1:8765   # prints the name
    python examples/reattach.py wait NAME --base-url http://127.0.0.1:8765

(Start an emulator first with ``python -m aiotune.emulator``; or set GOOGLE_API_KEY.)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import anyio

import aiotune

DATA = Path(__file__).parent / "data" / "support_tickets.csv"


async def start(base_url: str | None, api_key: str) -> str:
    async with aiotune.AsyncClient(api_key=api_key, base_url=base_url) as client:
        op = await client.create_tuned_model(
            "models/gemini-1.5-flash-001-tuning", DATA, display_name="reattach demo"
        )
        return op.name  # store it anywhere: a database row, a file, a message queue


async def wait(name: str, base_url: str | None, api_key: str) -> aiotune.types.TunedModel:
    async with aiotune.AsyncClient(api_key=api_key, base_url=base_url) as client:
        op = await client.get_operation(name)
        return await op.result(timeout=600)


def cli() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["start", "wait"])
    parser.add_argument("name", nargs="?")
    parser.add_argument("--base-url")
    parser.add_argument("--api-key", default="demo-key")
    args = parser.parse_args()
    if args.action == "start":
        print(anyio.run(start, args.base_url, args.api_key))
    else:
        model = anyio.run(wait, args.name, args.base_url, args.api_key)
        print(f"{model.name} {model.state.name}")


if __name__ == "__main__":
    cli()
