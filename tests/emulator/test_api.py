"""The emulator's REST surface, in-process (asyncio and trio), with a virtual clock."""

from __future__ import annotations

import math

import anyio
import httpx
import pytest

from aiotune.emulator import Emulator, VirtualClock
from aiotune.types import Operation, TunedModel

from .conftest import BASE, create_body

pytestmark = pytest.mark.anyio

TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta."


async def create(http: httpx.AsyncClient, body: dict | None = None, **params: str) -> dict:
    r = await http.post("/v1beta/tunedModels", json=body or create_body(), params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def test_create_returns_operation_exactly_like_the_service(http: httpx.AsyncClient) -> None:
    op = await create(http, tunedModelId="num-gen")
    assert op == {
        "name": op["name"],
        "metadata": {
            "@type": TYPE + "CreateTunedModelMetadata",
            "totalSteps": 4,
            "tunedModel": "tunedModels/num-gen",
        },
    }
    assert op["name"].startswith("tunedModels/num-gen/operations/")
    assert len(op["name"].rsplit("/", 1)[1]) == 12


async def test_generated_id_comes_from_the_display_name(http: httpx.AsyncClient) -> None:
    op = await create(http, create_body(displayName="Sentence Translator!"))
    model_id = op["metadata"]["tunedModel"].split("/")[1]
    assert model_id.startswith("sentence-translator-")
    assert len(model_id) == len("sentence-translator-") + 12
    body = create_body()
    del body["displayName"]
    op = await create(http, body)
    assert len(op["metadata"]["tunedModel"].split("/")[1]) == 12


async def test_training_runs_on_the_clock(http: httpx.AsyncClient, clock: VirtualClock) -> None:
    op = await create(http, tunedModelId="m")
    model = (await http.get("/v1beta/tunedModels/m")).json()
    assert model["state"] == "CREATING"
    assert "trainingData" not in model["tuningTask"]
    clock.advance(2.5)
    running = (await http.get(f"/v1beta/{op['name']}")).json()
    meta = running["metadata"]
    assert "done" not in running
    assert (meta["completedSteps"], meta["completedPercent"]) == (2, 50.0)
    assert [s["step"] for s in meta["snapshots"]] == [1, 2]
    assert all("epoch" not in snap for snap in meta["snapshots"])  # epoch 0 is omitted
    assert meta["snapshots"][0]["meanLoss"] > meta["snapshots"][1]["meanLoss"]
    clock.advance(10)
    done = Operation.from_wire((await http.get(f"/v1/{op['name']}")).json())
    assert done.done and done.error is None and done.response is not None
    assert done.response.state.name == "ACTIVE"
    assert done.response.tuning_task is not None
    assert done.response.tuning_task.complete_time is not None
    assert done.response.temperature == 1.0 and done.response.top_k == 64  # from the base model
    raw = (await http.get(f"/v1beta/{op['name']}")).json()
    assert [s.get("epoch", 0) for s in raw["metadata"]["snapshots"]] == [0, 0, 1, 1]
    assert raw["response"]["@type"] == TYPE + "TunedModel"
    assert "trainingData" not in raw["response"]["tuningTask"]


@pytest.mark.parametrize(
    ("n", "epochs", "batch", "steps"), [(15, 5, 2, 38), (4, None, None, 5), (10, 1, 3, 4)]
)
async def test_total_steps(
    http: httpx.AsyncClient, n: int, epochs: int | None, batch: int | None, steps: int
) -> None:
    body = create_body(n)
    body["tuningTask"]["hyperparameters"] = {
        k: v for k, v in {"epochCount": epochs, "batchSize": batch}.items() if v is not None
    }
    op = await create(http, body)
    assert op["metadata"]["totalSteps"] == steps == math.ceil(n * (epochs or 5) / (batch or 4))


async def test_snake_case_and_enum_ints(http: httpx.AsyncClient, clock: VirtualClock) -> None:
    body = {
        "display_name": "snake",
        "base_model": BASE,
        "tuning_task": {
            "hyperparameters": {"epoch_count": 1, "batch_size": 1},
            "training_data": {"examples": {"examples": [{"text_input": "a", "output": "b"}]}},
        },
    }
    await create(http, body, tuned_model_id="snake")
    clock.advance(5)
    r = await http.get("/v1beta/tunedModels/snake", params={"$alt": "json;enum-encoding=int"})
    assert r.json()["state"] == 2
    assert (await http.get("/v1beta/tunedModels/snake")).json()["state"] == "ACTIVE"


@pytest.mark.parametrize(
    ("change", "status", "needle"),
    [
        ({"displayName": "x" * 41}, 400, "display_name"),
        ({"baseModel": "models/nope"}, 400, "not found"),
        ({"baseModel": "models/gemini-1.5-flash-001"}, 400, "does not support tuning"),
        ({"tunedModelSource": {"tunedModel": "tunedModels/a"}}, 400, "Only one"),
        ({"unknownField": 1}, 400, "Unknown name"),
        ({"tuningTask": {"trainingData": {"examples": {"examples": []}}}}, 400, "at least one"),
        ({"tuningTask": {"trainingData": {"examples": {"examples": [{"textInput": "a"}]}}}}, 400, "output"),
        ({"tuningTask": {"trainingData": {"examples": {"examples": [{"textInput": "a" * 40_001, "output": "b"}]}}}}, 400, "40000"),
        ({"tuningTask": {"trainingData": {"examples": {"examples": [{"textInput": "a", "output": "b" * 5001}]}}}}, 400, "5000"),
        ({"tuningTask": {"hyperparameters": {"learningRate": 0.1, "learningRateMultiplier": 1.0}, "trainingData": {"examples": {"examples": [{"output": "b"}]}}}}, 400, "oneof"),
        ({"tuningTask": {"hyperparameters": {"epochCount": 0}, "trainingData": {"examples": {"examples": [{"output": "b"}]}}}}, 400, "positive"),
    ],
)  # fmt: skip
async def test_validation(
    http: httpx.AsyncClient, emu: Emulator, change: dict, status: int, needle: str
) -> None:
    r = await http.post("/v1beta/tunedModels", json=create_body(**change))
    assert r.status_code == status
    error = r.json()["error"]
    assert error["code"] == status and error["status"] == "INVALID_ARGUMENT"
    assert needle in error["message"]
    assert emu.store.jobs == {}


@pytest.mark.parametrize("bad_id", ["1abc", "Abc", "a-", "a_b", "a" * 41])
async def test_invalid_ids(http: httpx.AsyncClient, bad_id: str) -> None:
    r = await http.post("/v1beta/tunedModels", json=create_body(), params={"tunedModelId": bad_id})
    assert r.status_code == 400


async def test_duplicate_ids_race_exactly_one_wins(http: httpx.AsyncClient, emu: Emulator) -> None:
    codes: list[int] = []

    async def one() -> None:
        r = await http.post(
            "/v1beta/tunedModels", json=create_body(), params={"tunedModelId": "dup"}
        )
        codes.append(r.status_code)

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(one)
    assert sorted(codes) == [200] + [409] * 19
    assert list(emu.store.jobs) == ["dup"]


async def test_truncated_or_malformed_body_creates_nothing(
    http: httpx.AsyncClient, emu: Emulator
) -> None:
    import orjson

    raw = orjson.dumps(create_body())
    for content in (raw[: len(raw) // 2], b"not json", b"[1, 2]"):
        r = await http.post("/v1beta/tunedModels", content=content)
        assert r.status_code == 400
    assert emu.store.jobs == {}


async def test_list_pages_filter_patch_delete(http: httpx.AsyncClient) -> None:
    for i in range(5):
        await create(
            http,
            create_body(displayName=f"model {i}", description="apples" if i % 2 else ""),
            tunedModelId=f"m{i}",
        )
    first = (await http.get("/v1beta/tunedModels", params={"pageSize": 2})).json()
    assert [m["name"] for m in first["tunedModels"]] == ["tunedModels/m0", "tunedModels/m1"]
    names = [m["name"] for m in first["tunedModels"]]
    token = first["nextPageToken"]
    while token:
        page = (
            await http.get("/v1beta/tunedModels", params={"pageSize": 2, "pageToken": token})
        ).json()
        names += [m["name"] for m in page["tunedModels"]]
        token = page.get("nextPageToken")
    assert names == [f"tunedModels/m{i}" for i in range(5)]
    found = (await http.get("/v1beta/tunedModels", params={"filter": "APPLES"})).json()
    assert [m["name"] for m in found["tunedModels"]] == ["tunedModels/m1", "tunedModels/m3"]

    r = await http.patch(
        "/v1beta/tunedModels/m0",
        params={"updateMask": "description,display_name"},
        json={"description": "new", "displayName": "renamed"},
    )
    assert r.status_code == 200
    assert (r.json()["description"], r.json()["displayName"]) == ("new", "renamed")
    r = await http.patch(
        "/v1beta/tunedModels/m0", params={"updateMask": "baseModel"}, json={"baseModel": BASE}
    )
    assert r.status_code == 400
    r = await http.patch(
        "/v1beta/tunedModels/m0",
        params={"updateMask": "tuning_task.hyperparameters.epoch_count"},
        json={"tuningTask": {"hyperparameters": {"epochCount": 3}}},
    )
    assert r.status_code == 400
    assert "'tuningTask.hyperparameters.epochCount'" in r.json()["error"]["message"]
    assert (await http.delete("/v1beta/tunedModels/m0")).json() == {}
    assert (await http.get("/v1beta/tunedModels/m0")).status_code == 403


async def test_owners_are_isolated_and_auth_is_required(
    emu: Emulator, http: httpx.AsyncClient
) -> None:
    await create(http, tunedModelId="mine")
    transport = emu.transport()
    async with httpx.AsyncClient(transport=transport, base_url="http://emu") as other:
        r = await other.get("/v1beta/tunedModels/mine", params={"key": "key-b"})
        assert r.status_code == 403
        assert (
            r.json()["error"]["message"]
            == "You do not have permission to access tuned model tunedModels/mine."
        )
        assert (await other.get("/v1beta/tunedModels", params={"key": "key-b"})).json() == {}
        r = await other.get("/v1beta/tunedModels/mine", headers={"authorization": "Bearer tok"})
        assert r.status_code == 403
        r = await other.get("/v1beta/tunedModels")
        assert (r.status_code, r.json()["error"]["status"]) == (403, "PERMISSION_DENIED")


async def test_configured_keys_reject_others() -> None:
    emu = Emulator(api_keys=["good"])
    async with httpx.AsyncClient(transport=emu.transport(), base_url="http://emu") as c:
        r = await c.get("/v1beta/models", headers={"x-goog-api-key": "bad"})
        assert r.status_code == 400
        assert r.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
        assert (
            await c.get("/v1beta/models", headers={"x-goog-api-key": "good"})
        ).status_code == 200


async def test_cancel_only_under_v1(http: httpx.AsyncClient, clock: VirtualClock) -> None:
    op = await create(http, tunedModelId="c")
    clock.advance(1)
    assert (await http.post(f"/v1beta/{op['name']}:cancel", json={})).status_code == 404
    assert (await http.post(f"/v1/{op['name']}:cancel", json={})).json() == {}
    clock.advance(100)
    done = (await http.get(f"/v1beta/{op['name']}")).json()
    assert done["done"] is True
    assert done["error"] == {"code": 1, "message": "Operation was cancelled."}
    assert done["metadata"]["completedSteps"] == 1
    assert (await http.get("/v1beta/tunedModels/c")).json()["state"] == "FAILED"
    ops = (await http.get("/v1beta/tunedModels/c/operations")).json()
    assert [o["name"] for o in ops["operations"]] == [op["name"]]


async def test_scripted_failure(http: httpx.AsyncClient, clock: VirtualClock) -> None:
    op = await create(
        http,
        create_body(
            displayName="flaky [fail@3]",
            tuningTask={
                "hyperparameters": {"epochCount": 5, "batchSize": 1},
                "trainingData": {"examples": {"examples": [{"textInput": "a", "output": "b"}]}},
            },
        ),
    )
    clock.advance(100)
    done = (await http.get(f"/v1beta/{op['name']}")).json()
    assert done["error"]["code"] == 13
    assert done["metadata"]["completedSteps"] == 3
    model = TunedModel.from_wire(
        (await http.get(f"/v1beta/{done['metadata']['tunedModel']}")).json()
    )
    assert model.state.name == "FAILED"


async def test_models(http: httpx.AsyncClient) -> None:
    models = (await http.get("/v1beta/models")).json()["models"]
    tunable = {
        m["name"]
        for m in models
        if {"createTunedModel", "createTunedTextModel"} & set(m["supportedGenerationMethods"])
    }
    assert tunable == {
        "models/gemini-1.5-flash-001-tuning",
        "models/gemini-1.0-pro-001",
        "models/text-bison-001",
    }
    assert (await http.get("/v1beta/models/text-bison-001")).json()["supportedGenerationMethods"][
        -1
    ] == "createTunedTextModel"
    assert (await http.get("/v1beta/models/nope")).status_code == 404


async def test_generate_answers_from_the_training_examples(
    http: httpx.AsyncClient, clock: VirtualClock
) -> None:
    body = create_body()
    body["tuningTask"]["trainingData"]["examples"]["examples"] = [
        {"textInput": "I was charged twice", "output": "billing"},
        {"textInput": "The app crashes on start", "output": "bug"},
    ]
    await create(http, body, tunedModelId="triage")
    r = await http.post(
        "/v1beta/tunedModels/triage:generateContent",
        json={"contents": [{"parts": [{"text": "crashes"}]}]},
    )
    assert r.status_code == 400 and r.json()["error"]["status"] == "FAILED_PRECONDITION"
    clock.advance(100)
    r = await http.post(
        "/v1beta/tunedModels/triage:generateContent",
        json={"contents": [{"parts": [{"text": "it crashes on start"}]}]},
    )
    assert r.json()["candidates"][0]["content"]["parts"][0]["text"] == "bug"
    r = await http.post(
        "/v1beta/tunedModels/triage:generateText", json={"prompt": {"text": "charged twice?"}}
    )
    assert r.json() == {"candidates": [{"output": "billing"}]}
    r = await http.post(
        "/v1beta/tunedModels/triage:streamGenerateContent",
        params={"alt": "sse"},
        json={"contents": [{"parts": [{"text": "charged"}]}]},
    )
    assert r.headers["content-type"].startswith("text/event-stream")
    assert "billing" in r.text


async def test_faults(http: httpx.AsyncClient, emu: Emulator) -> None:
    emu.faults.retry_after = 3
    emu.faults.script("POST", "/v1beta/tunedModels", [429, 503, "drop"])
    r = await http.post("/v1beta/tunedModels", json=create_body())
    assert r.status_code == 429 and r.headers["retry-after"] == "3"
    assert r.json()["error"]["details"] == [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3s"}
    ]
    assert (await http.post("/v1beta/tunedModels", json=create_body())).status_code == 503
    assert emu.store.jobs == {}
    with pytest.raises(httpx.RemoteProtocolError):
        await http.post(
            "/v1beta/tunedModels", json=create_body(), params={"tunedModelId": "dropped"}
        )
    assert list(emu.store.jobs) == ["dropped"]  # committed before the drop
    assert (await http.post("/v1beta/tunedModels", json=create_body())).status_code == 200
