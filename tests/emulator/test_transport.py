"""The in-process transport serves the API's paths and lets other URLs (datasets) through."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import aiotune
from aiotune.emulator import Emulator

pytestmark = pytest.mark.anyio


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "train.csv").write_text("text_input,output\n2+2,4\n3+3,6\n", encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_a_url_dataset_is_downloaded_from_the_network(file_server: str) -> None:
    emu = Emulator(step_time=0)
    async with aiotune.AsyncClient("k", transport=emu.transport()) as client:
        op = await client.create_tuned_model(
            "models/gemini-1.5-flash-001-tuning", f"{file_server}/train.csv?sig=x"
        )
        model = await op
        assert await client.generate_text(model.name, "3+3") == "6"
        with pytest.raises(aiotune.DatasetError, match="HTTP 404") as info:
            await client.create_tuned_model("models/x", f"{file_server}/missing.csv")
        assert info.value.source == f"{file_server}/missing.csv"
    assert len(emu.store.jobs) == 1
