"""A FastAPI backend that starts tuning jobs and reports their progress.

One ``AsyncClient`` is created in the lifespan, shared by every request, and closed on shutdown.
Requests never wait for a job: ``POST /jobs`` returns the operation name at once, and
``GET /jobs/{name}`` reports progress with one poll.

    python -m aiotune.emulator &     # or use your real GOOGLE_API_KEY and skip AIOTUNE_BASE_URL
    GOOGLE_API_KEY=any AIOTUNE_BASE_URL=http://127.0.0.1:8765 uvicorn examples.fastapi_app:app
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

import aiotune


class Example(BaseModel):
    text_input: str
    output: str


class JobRequest(BaseModel):
    base_model: str = "models/gemini-1.5-flash-001-tuning"
    display_name: str | None = None
    epoch_count: int | None = Field(default=None, ge=1)
    examples: list[Example]


class Prompt(BaseModel):
    prompt: str


def create_app(
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with aiotune.AsyncClient(
            api_key=api_key, base_url=base_url, transport=transport, max_in_flight=20
        ) as client:
            app.state.tuning = client
            yield

    app = FastAPI(title="tuning jobs", lifespan=lifespan)

    def client_of(request: Request) -> aiotune.AsyncClient:
        client: aiotune.AsyncClient = request.app.state.tuning
        return client

    @app.post("/jobs", status_code=202)
    async def start_job(job: JobRequest, request: Request) -> dict[str, Any]:
        try:
            op = await client_of(request).create_tuned_model(
                job.base_model,
                [e.model_dump() for e in job.examples],
                display_name=job.display_name,
                epoch_count=job.epoch_count,
            )
        except aiotune.DatasetError as exc:
            raise HTTPException(422, str(exc)) from exc
        except aiotune.APIStatusError as exc:
            raise HTTPException(502, str(exc)) from exc
        return {"operation": op.name, "tunedModel": op.tuned_model}

    @app.get("/jobs/{name:path}")
    async def job_status(name: str, request: Request) -> dict[str, Any]:
        try:
            op = await client_of(request).get_operation(name)
        # ValueError: not an operation name; the service answers 403 (not 404) for unknown ids
        except (ValueError, aiotune.NotFoundError, aiotune.PermissionDeniedError) as exc:
            raise HTTPException(404, str(exc)) from exc
        p = op.progress
        return {
            "operation": op.name,
            "done": op.done(),
            "completedSteps": p.completed_steps,
            "totalSteps": p.total_steps,
            "completedPercent": p.completed_percent,
            "meanLoss": p.latest_loss,
            "error": op.operation.error.message if op.operation.error else None,
        }

    @app.post("/models/{model_id}/generate")
    async def generate(model_id: str, body: Prompt, request: Request) -> dict[str, str]:
        text = await client_of(request).generate_text(f"tunedModels/{model_id}", body.prompt)
        return {"text": text}

    return app


app = create_app()
