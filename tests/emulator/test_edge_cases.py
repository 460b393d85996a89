"""Edge cases of the emulator's validation, fault injection and pagination."""

from __future__ import annotations

import httpx
import pytest

from aiotune.emulator import Emulator, Fault, VirtualClock

from .conftest import create_body

pytestmark = pytest.mark.anyio


async def test_an_id_with_a_trailing_newline_is_refused(http: httpx.AsyncClient) -> None:
    r = await http.post("/v1beta/tunedModels", json=create_body(), params={"tunedModelId": "m\n"})
    assert r.status_code == 400
    assert r.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert (await http.get("/v1beta/tunedModels")).json() == {}


@pytest.mark.parametrize("status", [502, 418, 504])
async def test_an_injected_error_keeps_its_http_status(
    emu: Emulator, http: httpx.AsyncClient, status: int
) -> None:
    emu.faults.script(None, "/", [Fault.error(status)])
    r = await http.get("/v1beta/tunedModels")
    assert r.status_code == status
    assert r.json()["error"]["code"] == status


async def test_listed_operations_honour_enum_encoding_int(
    http: httpx.AsyncClient, clock: VirtualClock
) -> None:
    await http.post("/v1beta/tunedModels", json=create_body(), params={"tunedModelId": "m"})
    clock.advance(100)
    params = {"$alt": "json;enum-encoding=int"}
    listed = (await http.get("/v1beta/tunedModels/m/operations", params=params)).json()
    assert listed["operations"][0]["response"]["state"] == 2  # ACTIVE


async def test_a_negative_page_token_is_refused(http: httpx.AsyncClient) -> None:
    for i in range(3):
        await http.post("/v1beta/tunedModels", json=create_body(), params={"tunedModelId": f"m{i}"})
    r = await http.get("/v1beta/tunedModels", params={"pageSize": "1", "pageToken": "LTI="})  # "-2"
    assert r.status_code == 400
    assert r.json()["error"]["status"] == "INVALID_ARGUMENT"


async def test_unknown_fields_in_tuning_examples_are_refused(http: httpx.AsyncClient) -> None:
    body = create_body()
    body["tuningTask"]["trainingData"]["examples"]["multiturnExamples"] = []  # v1alpha only
    r = await http.post("/v1beta/tunedModels", json=body)
    assert r.status_code == 400
    assert "multiturnExamples" in r.json()["error"]["message"]
