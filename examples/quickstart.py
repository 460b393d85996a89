"""Quickstart: tune a model on the bundled dataset, watch its progress, then use it.

Runs against aiotune's built-in emulator unless GOOGLE_API_KEY is set (then against Google).

    python examples/quickstart.py
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import anyio

import aiotune

DATA = Path(__file__).parent / "data" / "support_tickets.csv"


async def main(step_time: float = 0.02) -> str:
    async with contextlib.AsyncExitStack() as stack:
        if os.environ.get("GOOGLE_API_KEY"):
            client = aiotune.AsyncClient()  # key and endpoint from the environment
        else:
            from aiotune.emulator import Emulator

            base_url = await stack.enter_async_context(Emulator(step_time=step_time).serve())
            print(f"emulator serving on {base_url}")
            client = aiotune.AsyncClient(api_key="demo-key", base_url=base_url)
        await stack.enter_async_context(client)

        op = await client.create_tuned_model(
            "models/gemini-1.5-flash-001-tuning",
            DATA,
            display_name="ticket triage",
            epoch_count=3,
            batch_size=4,
        )
        print(f"started {op.name}")
        async for p in op.watch():
            print(f"  {p}")  # tunedModels/...: step 12/24 (50%), loss 0.61
        model = await op
        print(f"{model.name} is {model.state.name}")

        answer = await client.generate_text(model.name, "I was charged twice for one order")
        print(f"tuned model says: {answer}")
        await client.delete_tuned_model(model.name)
        return answer


if __name__ == "__main__":
    anyio.run(main)
