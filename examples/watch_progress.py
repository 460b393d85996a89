"""Watch a job's progress: a rich progress bar (terminal or notebook), or your own loop.

python examples/watch_progress.py
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import anyio

import aiotune

DATA = Path(__file__).parent / "data" / "support_tickets.csv"


async def main(step_time: float = 0.02) -> aiotune.types.TunedModel:
    async with contextlib.AsyncExitStack() as stack:
        if os.environ.get("GOOGLE_API_KEY"):
            client = aiotune.AsyncClient()
        else:
            from aiotune.emulator import Emulator

            base_url = await stack.enter_async_context(Emulator(step_time=step_time).serve())
            client = aiotune.AsyncClient(api_key="demo-key", base_url=base_url)
        await stack.enter_async_context(client)

        op = await client.create_tuned_model(
            "models/gemini-1.5-flash-001-tuning", DATA, display_name="watched", epoch_count=2
        )
        # In a notebook cell: `model = await aiotune.show_progress(op)` renders the same bar.
        return await aiotune.show_progress(op)


if __name__ == "__main__":
    model = anyio.run(main)
    print(model.name, model.state.name)
