"""The README stays true: its Python compiles, the names it uses exist, its commands match CI."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import aiotune
import aiotune.emulator

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_python_blocks_compile(index: int) -> None:
    source = BLOCKS[index].replace("...  #", "pass  #")
    compile(source, f"README.md block {index}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def test_public_names_used_in_the_readme_exist() -> None:
    for name in sorted(set(re.findall(r"\baiotune\.([A-Za-z_]\w*)", README))):
        if name not in ("emulator", "datasets"):
            assert hasattr(aiotune, name), f"README uses aiotune.{name}, which does not exist"
    for name in re.findall(r"from aiotune\.emulator import ([\w, ]+)", README):
        for member in name.split(","):
            assert hasattr(aiotune.emulator, member.strip()), member


def test_quickstart_commands_are_the_ones_ci_runs() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", quickstart, flags=re.DOTALL)
    assert len(commands) == 2, "the Quickstart has exactly two commands"
    demo, tests = commands
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").replace("\\\n  ", "")
    assert "pip install -q -e '.[dev]'" in tests and tests.endswith(".venv/bin/pytest")
    assert demo.split(" && ")[-1] in ci
