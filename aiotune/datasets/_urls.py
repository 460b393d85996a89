"""Datasets at http(s) URLs, including Google Sheets links.

A URL is downloaded with streaming through httpx (the client's own ``httpx.AsyncClient`` when
given, else a short-lived one) into a temporary file, with a timeout and a size cap, then read
like a local file (format sniffed from the content), so memory stays flat. Only ``http`` and
``https`` are accepted. Descriptions drop the query string, which may hold tokens.

Google Sheets links are rewritten to their CSV export: ``/d/<id>/...`` becomes
``/d/<id>/export?format=csv``, published ``/d/e/<id>/pub...`` links become
``/d/e/<id>/pub?output=csv``; a ``gid`` from the query (preferred) or the fragment is kept.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import AsyncExitStack, aclosing, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
import httpx

from .._exceptions import DatasetError
from ._common import Pair, TrainingData
from ._files import FileSource

__all__ = ["UrlSource", "describe_url", "normalize_sheets_url"]

_SHEETS = re.compile(r"^https?://docs\.google\.com/spreadsheets/(d/e/[^/?#]+|d/[^/?#]+)")
_GID = re.compile(r"[?&#]gid=(\d+)")


def describe_url(url: str) -> str:
    """The URL for messages: scheme, host, port and path; never credentials or the query."""
    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


def normalize_sheets_url(url: str) -> str:
    """The CSV export URL of a Google Sheets link (other URLs are returned unchanged)."""
    if not url.startswith(
        ("https://docs.google.com/spreadsheets", "http://docs.google.com/spreadsheets")
    ):
        return url
    match = _SHEETS.match(url)
    if match is None:
        raise DatasetError(
            "incomplete Google Sheets URL: expected .../spreadsheets/d/<id>/...",
            source=describe_url(url),
        )
    parts = urlsplit(url)
    gid = _GID.search("?" + parts.query) or _GID.search("#" + parts.fragment)
    base = f"https://docs.google.com/spreadsheets/{match.group(1)}"
    out = (
        f"{base}/pub?output=csv"
        if match.group(1).startswith("d/e/")
        else f"{base}/export?format=csv"
    )
    return f"{out}&gid={gid.group(1)}" if gid else out


def check_url(url: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise DatasetError(
            f"unsupported URL scheme {scheme!r}: only http and https URLs are read "
            "(download the file and pass its path instead)",
            source=describe_url(url),
        )


class UrlSource(TrainingData):
    """A dataset file at an http(s) URL."""

    def __init__(self, url: str, *, http_client: httpx.AsyncClient | None, **kw: Any) -> None:
        super().__init__(**kw)
        check_url(url)
        self.url = normalize_sheets_url(url)
        self.description = describe_url(url)
        self._http = http_client

    async def _download(self, client: httpx.AsyncClient, dest: Path) -> None:
        limits = self.limits
        size = 0
        try:
            # follow redirects even with a client that does not by default (Sheets exports
            # always redirect)
            stream = client.stream(
                "GET", self.url, timeout=limits.url_timeout, follow_redirects=True
            )
            async with stream as resp:
                if resp.status_code != 200:
                    raise DatasetError(
                        f"download failed with HTTP {resp.status_code}", source=self.description
                    )
                chunks = resp.aiter_bytes(1 << 20)
                try:
                    async with await anyio.open_file(dest, "wb") as f:
                        async for chunk in chunks:
                            size += len(chunk)
                            if size > limits.max_download_bytes:
                                raise DatasetError(
                                    f"the download exceeds {limits.max_download_bytes:,} bytes "
                                    "(raise DatasetLimits.max_download_bytes)",
                                    source=self.description,
                                )
                            await f.write(chunk)
                finally:  # closed now, not when garbage-collected
                    await chunks.aclose()  # type: ignore[attr-defined]
        except httpx.HTTPError as exc:
            raise DatasetError(
                f"download failed: {type(exc).__name__}: {exc}", source=self.description
            ) from None

    @asynccontextmanager
    async def _local(self) -> AsyncIterator[FileSource]:
        """Download to a temporary file (removed on exit) and read that like a local file."""
        fd, name = await anyio.to_thread.run_sync(tempfile.mkstemp, ".aiotune")
        os.close(fd)
        path = Path(name)
        try:
            async with AsyncExitStack() as stack:
                client = self._http
                if client is None:
                    client = await stack.enter_async_context(
                        httpx.AsyncClient(follow_redirects=True)
                    )
                await self._download(client, path)
            yield FileSource(
                path,
                description=self.description,
                input_key=self.input_key,
                output_key=self.output_key,
                limits=self.limits,
            )
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.Path(path).unlink(missing_ok=True)

    async def batches(self, size: int = 5000) -> AsyncGenerator[list[Pair], None]:
        async with self._local() as local, aclosing(local.batches(size)) as batches:
            async for batch in batches:
                yield batch

    async def encoded_batches(self, size: int = 5000) -> AsyncGenerator[tuple[int, bytes], None]:
        async with self._local() as local, aclosing(local.encoded_batches(size)) as items:
            async for item in items:
                yield item
