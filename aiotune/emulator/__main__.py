"""``python -m aiotune.emulator``: serve the emulator until SIGINT or SIGTERM.

Prints one line, ``aiotune emulator listening on http://HOST:PORT``, once it accepts connections.
"""

from __future__ import annotations

import argparse
import signal
import sys

import anyio

from . import Emulator

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="aiotune emulator", description="Serve a local emulator of Google's tuning API."
    )
    p.add_argument("--host", default="127.0.0.1", help="interface (default: loopback only)")
    p.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    p.add_argument("--step-time", type=float, default=0.5, help="seconds per training step")
    p.add_argument(
        "--api-key", action="append", dest="api_keys", metavar="KEY",
        help="accept only this key (repeatable; default: any key, each isolated)",
    )  # fmt: skip
    p.add_argument("--fail-at-step", type=int, help="make every job fail at this step")
    p.add_argument("--fail-rate", type=float, default=0.0, help="503 on this share of requests")
    p.add_argument("--rate-limit-rate", type=float, default=0.0, help="429 on this share")
    p.add_argument("--retry-after", type=float, default=1.0, help="seconds advertised on 429s")
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    p.add_argument("--seed", type=int, help="seed of the fault dice")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    emu = Emulator(
        step_time=args.step_time,
        api_keys=args.api_keys,
        fail_at_step=args.fail_at_step,
        seed=args.seed,
    )
    if args.fail_rate:
        emu.faults.rate(None, "/", 503, args.fail_rate)
    if args.rate_limit_rate:
        emu.faults.rate(None, "/", 429, args.rate_limit_rate)
    emu.faults.retry_after = args.retry_after
    if args.latency:
        emu.faults.latency(args.latency)

    async def run() -> None:
        async with emu.serve(args.host, args.port) as url:
            print(f"aiotune emulator listening on {url}", flush=True)
            await anyio.sleep_forever()

    # uvicorn turns SIGINT/SIGTERM into a graceful shutdown, then re-raises the signal: end quietly.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        anyio.run(run)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
