"""``python -m aiotune.emulator``: serve the emulator until SIGINT or SIGTERM.

Prints one line, ``aiotune emulator listening on http://HOST:PORT``, once it accepts
connections (``--port 0`` picks a free port). SIGINT (Ctrl-C) and SIGTERM shut the server down
gracefully and exit with status 0. Fault options are described in :mod:`aiotune.emulator._faults`.
"""

from __future__ import annotations

import argparse
import signal
import sys

import anyio

from . import Emulator
from ._faults import parse_script

__all__ = ["build_emulator", "main"]


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
    p.add_argument(
        "--drop-rate", type=float, default=0.0,
        help="on this share of requests: process (commit) them, then drop the connection",
    )  # fmt: skip
    p.add_argument("--retry-after", type=float, default=1.0, help="seconds advertised on 429s")
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    p.add_argument(
        "--fault-script", action="append", default=[], metavar="'METHOD PREFIX A,B,...'",
        help="the next matching requests get these faults in order, e.g. "
        "'POST /v1beta/tunedModels 429,503,drop' (METHOD * = any; repeatable)",
    )  # fmt: skip
    p.add_argument("--seed", type=int, help="seed of the fault dice")
    return p


def build_emulator(args: argparse.Namespace) -> Emulator:
    """The emulator the parsed command-line options describe."""
    emu = Emulator(
        step_time=args.step_time,
        api_keys=args.api_keys,
        fail_at_step=args.fail_at_step,
        seed=args.seed,
    )
    for spec in args.fault_script:
        method, prefix, faults = parse_script(spec)
        emu.faults.script(method, prefix, list(faults))
    for status, rate in ((503, args.fail_rate), (429, args.rate_limit_rate)):
        if rate:
            emu.faults.rate(None, "/", status, rate)
    if args.drop_rate:
        emu.faults.rate(None, "/", "drop", args.drop_rate)
    emu.faults.retry_after = args.retry_after
    if args.latency:
        emu.faults.latency(args.latency)
    return emu


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        emu = build_emulator(args)
    except ValueError as exc:
        parser.error(str(exc))

    async def run() -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async with emu.serve(args.host, args.port) as url:
                print(f"aiotune emulator listening on {url}", flush=True)
                async for _ in signals:
                    break  # leaving the block shuts the server down gracefully
        print("aiotune emulator stopped", file=sys.stderr, flush=True)

    anyio.run(run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
