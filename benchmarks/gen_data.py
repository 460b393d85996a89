"""Deterministic training-data files for the pipeline benchmark.

    .venv/bin/python benchmarks/gen_data.py 10000 100000 1000000 [--data-dir DIR]

Writes ``rows-{N}.csv`` and ``rows-{N}.jsonl`` (columns ``text_input`` / ``output``, the default
keys of both clients) into ``DIR`` (default ``benchmarks/.data/``), about 300 bytes per row: a
support-ticket-like input of ~230 characters (with commas, quotes and a little non-ASCII, so CSV
quoting is exercised) and a ~60-character answer. Same seed, same bytes. Existing files are kept.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Iterator
from pathlib import Path

import orjson

HERE = Path(__file__).parent
DEFAULT_DATA_DIR = HERE / ".data"
SEED = 20240611

_TEXT = (
    "the app crashes when I open my account settings after the latest update and I cannot "
    "reset my password because the email never arrives please help I was charged twice for "
    "the same order invoice number refund request shipping delayed package tracking shows "
    "delivered but nothing arrived subscription renewal cancel plan upgrade downgrade billing "
    "address changed login error two factor code expired support ticket still open since "
    "Monday screen freezes on Android iPhone tablet browser Chrome Firefox Safari sync fails "
    "offline mode export CSV report missing data dashboard slow timeout server error"
)
_WORDS = [
    *_TEXT.split(),
    "café",
    "naïve",
    "déjà-vu",
    "Zürich",
    "“quoted”",
    '"really"',
    "x,y",
    "€12.50",
]
_LABELS = ("billing", "bug", "account", "shipping", "feature request", "other")


def rows(n: int, seed: int = SEED) -> Iterator[tuple[str, str]]:
    """``n`` deterministic (input, output) pairs, ~230 + ~60 characters."""
    rng = random.Random(seed)
    choices, words = rng.choices, _WORDS
    for i in range(n):
        text = " ".join(choices(words, k=rng.randint(24, 40)))
        label = _LABELS[i % len(_LABELS)]
        answer = f"{label}: " + " ".join(choices(words, k=rng.randint(6, 12)))
        yield f"Ticket #{i}: {text}", answer


def paths(n: int, data_dir: Path = DEFAULT_DATA_DIR) -> dict[str, Path]:
    return {"csv": data_dir / f"rows-{n}.csv", "jsonl": data_dir / f"rows-{n}.jsonl"}


def generate(n: int, data_dir: Path = DEFAULT_DATA_DIR) -> dict[str, Path]:
    """Write (if missing) the CSV and JSONL files of ``n`` rows; returns their paths."""
    data_dir.mkdir(parents=True, exist_ok=True)
    out = paths(n, data_dir)
    if all(p.exists() for p in out.values()):
        return out
    tmp = {fmt: p.with_suffix(p.suffix + ".tmp") for fmt, p in out.items()}
    with (
        open(tmp["csv"], "w", encoding="utf-8", newline="") as fc,
        open(tmp["jsonl"], "wb") as fj,
    ):
        writer = csv.writer(fc)
        writer.writerow(["text_input", "output"])
        for text, answer in rows(n):
            writer.writerow([text, answer])
            fj.write(orjson.dumps({"text_input": text, "output": answer}) + b"\n")
    for fmt, p in tmp.items():
        p.replace(out[fmt])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args()
    for n in args.sizes:
        for fmt, p in generate(n, args.data_dir).items():
            print(f"{fmt:5} {n:>9,} rows  {p.stat().st_size / 1e6:8.1f} MB  {p}")


if __name__ == "__main__":
    main()
