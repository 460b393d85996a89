"""A minimal tuning-API server for the client benchmarks (run in its own process).

``python benchmarks/_bench_server.py PORT`` serves, with uvicorn on 127.0.0.1:
GET /v1beta/tunedModels/{id}, GET /v1beta/tunedModels/{id}/operations/{op} (done after
``DONE_AFTER`` polls) and POST /v1beta/tunedModels (reads the body, returns an operation).
"""

from __future__ import annotations

import sys
from collections import Counter

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DONE_AFTER = 3
META = "type.googleapis.com/google.ai.generativelanguage.v1beta.CreateTunedModelMetadata"
polls: Counter[str] = Counter()


def js(data: object) -> Response:
    return Response(orjson.dumps(data), media_type="application/json")


async def get_model(request: Request) -> Response:
    mid = request.path_params["mid"]
    return js({"name": f"tunedModels/{mid}", "baseModel": "models/b", "state": "ACTIVE"})


async def get_op(request: Request) -> Response:
    mid, op = request.path_params["mid"], request.path_params["op"]
    name = f"tunedModels/{mid}/operations/{op}"
    polls[name] += 1
    body: dict[str, object] = {
        "name": name,
        "metadata": {"@type": META, "totalSteps": 3, "tunedModel": f"tunedModels/{mid}"},
    }
    if polls[name] >= DONE_AFTER:
        body["done"] = True
        body["response"] = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.TunedModel",
            "name": f"tunedModels/{mid}",
            "state": "ACTIVE",
        }
    return js(body)


async def create(request: Request) -> Response:
    await request.body()
    mid = request.query_params.get("tunedModelId", "x")
    return js(
        {
            "name": f"tunedModels/{mid}/operations/op",
            "metadata": {"@type": META, "totalSteps": 3, "tunedModel": f"tunedModels/{mid}"},
        }
    )


app = Starlette(
    routes=[
        Route("/v1beta/tunedModels", create, methods=["POST"]),
        Route("/v1beta/tunedModels/{mid}", get_model),
        Route("/v1beta/tunedModels/{mid}/operations/{op}", get_op),
    ]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
