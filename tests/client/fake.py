"""A tiny scripted fake of the tuning API for ``httpx.MockTransport`` unit tests.

It is deliberately minimal (the emulator is the faithful one): enough state to drive the
client's CRUD, polling, cancel and create paths, plus a queue of scripted faults.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from aiotune.types import METADATA_TYPE_URL, TUNED_MODEL_TYPE_URL

KEY = "sk-test-SECRET-0123456789"
BASE = "http://fake.test"


def envelope(
    code: int, status: str, message: str, details: list[Any] | None = None
) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        err["details"] = details
    return {"error": err}


class FakeAPI:
    def __init__(self, *, steps: int = 3) -> None:
        self.steps = steps
        self.models: dict[str, dict[str, Any]] = {}
        self.ops: dict[str, dict[str, Any]] = {}
        self.progress: dict[str, int] = {}
        self.requests: list[httpx.Request] = []
        self.hits: Counter[str] = Counter()
        #: (predicate, response factory) consumed in order when the predicate matches
        self.faults: list[tuple[Callable[[httpx.Request], bool], Callable[[], httpx.Response]]] = []
        self.fail_job: set[str] = set()
        self.next_op = 0

    # -- helpers ---------------------------------------------------------------------------
    def add_model(self, model_id: str, *, done: bool = False, base: str = "models/base-001") -> str:
        name = f"tunedModels/{model_id}"
        self.models[name] = {
            "name": name,
            "baseModel": base,
            "displayName": model_id,
            "state": "ACTIVE" if done else "CREATING",
        }
        op_name = f"{name}/operations/op{self.next_op:09d}"
        self.next_op += 1
        self.ops[op_name] = {
            "name": op_name,
            "metadata": {
                "@type": METADATA_TYPE_URL,
                "totalSteps": self.steps,
                "tunedModel": name,
            },
        }
        self.progress[op_name] = 0
        if done:
            self._advance(op_name, self.steps)
        return op_name

    def _advance(self, op_name: str, n: int = 1) -> None:
        op = self.ops[op_name]
        if op.get("done"):
            return
        done_steps = min(self.progress[op_name] + n, self.steps)
        self.progress[op_name] = done_steps
        meta = op["metadata"]
        meta["completedSteps"] = done_steps
        meta["completedPercent"] = 100.0 * done_steps / self.steps
        meta["snapshots"] = [{"step": i + 1, "meanLoss": 1.0 / (i + 1)} for i in range(done_steps)]
        if done_steps == self.steps:
            name = meta["tunedModel"]
            op["done"] = True
            if name in self.fail_job:
                op["error"] = {"code": 13, "message": "Tuning job failed."}
                self.models[name]["state"] = "FAILED"
            else:
                self.models[name]["state"] = "ACTIVE"
                op["response"] = {
                    "@type": TUNED_MODEL_TYPE_URL,
                    **self.models[name],
                }

    def fault(
        self, predicate: Callable[[httpx.Request], bool], response: Callable[[], httpx.Response]
    ) -> None:
        self.faults.append((predicate, response))

    # -- the handler -----------------------------------------------------------------------
    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        self.hits[f"{request.method} {path}"] += 1
        for i, (pred, make) in enumerate(self.faults):
            if pred(request):
                del self.faults[i]
                return make()
        if request.headers.get("x-goog-api-key") != KEY:
            return httpx.Response(401, json=envelope(401, "UNAUTHENTICATED", "no key"))
        return self.route(request, path)

    def route(self, request: httpx.Request, path: str) -> httpx.Response:
        m = request.method
        if path.startswith("/v1/") and path.endswith(":cancel") and m == "POST":
            name = path[len("/v1/") : -len(":cancel")]
            op = self.ops.get(name)
            if op is None:
                return httpx.Response(404, json=envelope(404, "NOT_FOUND", "no op"))
            if not op.get("done"):
                op["done"] = True
                op["error"] = {"code": 1, "message": "Operation was cancelled."}
            return httpx.Response(200, json={})
        if not path.startswith("/v1beta/"):
            return httpx.Response(404, json=envelope(404, "NOT_FOUND", "no route"))
        rest = path[len("/v1beta/") :]
        if rest == "tunedModels" and m == "GET":
            names = sorted(self.models)
            start = int(request.url.params.get("pageToken") or 0)
            size = int(request.url.params.get("pageSize") or 10)
            page = names[start : start + size]
            body: dict[str, Any] = {"tunedModels": [self.models[n] for n in page]}
            if start + size < len(names):
                body["nextPageToken"] = str(start + size)
            return httpx.Response(200, json=body)
        if rest == "tunedModels" and m == "POST":
            model_id = request.url.params["tunedModelId"]
            name = f"tunedModels/{model_id}"
            if name in self.models:
                return httpx.Response(409, json=envelope(409, "ALREADY_EXISTS", f"{name} exists"))
            op_name = self.add_model(model_id)
            self.models[name]["body"] = orjson.loads(request.read())
            return httpx.Response(200, json=self.ops[op_name])
        if "/operations/" in rest and m == "GET":
            op = self.ops.get(rest)
            if op is None:
                return httpx.Response(404, json=envelope(404, "NOT_FOUND", "no op"))
            self._advance(rest)
            return httpx.Response(200, json=op)
        if rest.endswith("/operations") and m == "GET":
            prefix = rest[: -len("/operations")] + "/operations/"
            ops = [op for n, op in self.ops.items() if n.startswith(prefix)]
            return httpx.Response(200, json={"operations": ops} if ops else {})
        if ":" in rest and m == "POST":
            name, _, verb = rest.partition(":")
            prompt = orjson.loads(request.read())
            if verb == "generateContent":
                text = prompt["contents"][0]["parts"][0]["text"]
                return httpx.Response(
                    200,
                    json={
                        "candidates": [
                            {"content": {"parts": [{"text": text.upper()}], "role": "model"}}
                        ]
                    },
                )
            if verb == "generateText":
                return httpx.Response(
                    200, json={"candidates": [{"output": prompt["prompt"]["text"][::-1]}]}
                )
        if rest.startswith("models/") and m == "GET":
            return httpx.Response(
                200, json={"name": rest, "supportedGenerationMethods": ["createTunedModel"]}
            )
        if rest == "models" and m == "GET":
            return httpx.Response(
                200, json={"models": [{"name": "models/a"}, {"name": "models/b"}]}
            )
        if rest.startswith("tunedModels/"):
            model = self.models.get(rest)
            if model is None:
                return httpx.Response(
                    403, json=envelope(403, "PERMISSION_DENIED", f"no access to {rest}")
                )
            if m == "GET":
                return httpx.Response(200, json=model)
            if m == "DELETE":
                del self.models[rest]
                return httpx.Response(200, json={})
            if m == "PATCH":
                patch = orjson.loads(request.read())
                model.update(patch)
                return httpx.Response(200, json=model)
        return httpx.Response(404, json=envelope(404, "NOT_FOUND", "no route"))


def status_response(
    code: int,
    status: str,
    *,
    headers: dict[str, str] | None = None,
    details: list[Any] | None = None,
) -> Callable[[], httpx.Response]:
    return lambda: httpx.Response(
        code, json=envelope(code, status, f"scripted {status}", details), headers=headers
    )
