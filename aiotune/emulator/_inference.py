"""Inference on tuned models, answered from the model's own training examples.

A tuned model "learned" its data: ``generateContent`` / ``streamGenerateContent`` /
``generateText`` return the output of the training example nearest to the prompt, where
nearness is the Jaccard overlap of lowercase word sets (ties go to the earlier example; a prompt
sharing no word with any example gets the first example's output).

An inverted index (word → example numbers) is built on the first request to a model and cached on
its job, so a model tuned on hundreds of thousands of examples answers in milliseconds after
that, and idle models cost nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator
from typing import Any

import orjson

from ..types import (
    Candidate,
    Content,
    GenerateContentResponse,
    GenerateTextResponse,
    Part,
    TextCompletion,
    UsageMetadata,
)
from ._simulation import Job
from ._state import ApiError, bad

__all__ = [
    "MAX_PROMPT_CHARS",
    "ExampleIndex",
    "content_response",
    "nearest_output",
    "prompt_of",
    "sse_events",
    "stream_parts",
    "text_response",
]

#: the documented input limit of a tuned Gemini 1.5 Flash model
MAX_PROMPT_CHARS = 40_000
_WORD = re.compile(r"[a-z0-9]+")


def _tokens(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


class ExampleIndex:
    """Word → example numbers, with each example's distinct-word count."""

    def __init__(self, examples: list[tuple[str, str]]) -> None:
        self.outputs = [out for _, out in examples]
        self.sizes: list[int] = []
        self.postings: dict[str, list[int]] = {}
        postings, sizes = self.postings, self.sizes
        for i, (text, _) in enumerate(examples):
            words = _tokens(text)
            sizes.append(len(words))
            for word in words:
                bucket = postings.get(word)
                if bucket is None:
                    postings[word] = [i]
                else:
                    bucket.append(i)

    def nearest(self, prompt: str) -> str:
        words = _tokens(prompt)
        overlap: dict[int, int] = {}
        for word in words:
            for i in self.postings.get(word, ()):
                overlap[i] = overlap.get(i, 0) + 1
        best, best_score = 0, 0.0
        for i, inter in overlap.items():
            score = inter / (len(words) + self.sizes[i] - inter)
            if score > best_score or (score == best_score and i < best):
                best, best_score = i, score
        return self.outputs[best]


def nearest_output(job: Job, prompt: str) -> str:
    """The output of ``job``'s training example nearest to ``prompt``."""
    index = job.extra.get("_index")
    if not isinstance(index, ExampleIndex):
        index = job.extra["_index"] = ExampleIndex(job.examples)
    return index.nearest(prompt)


def _text_of_parts(parts: Any, where: str) -> list[str]:
    if not isinstance(parts, list):
        raise bad(f"Invalid value at '{where}.parts': expected a list.")
    texts = []
    for part in parts:
        if not isinstance(part, dict) or not isinstance(part.get("text", ""), str):
            raise bad(f"Invalid value at '{where}.parts': each part must be an object.")
        if set(part) - {"text"}:
            raise bad("Tuned models accept text input only.")
        texts.append(part.get("text", ""))
    return texts


def prompt_of(body: dict[str, Any], verb: str) -> str:
    """The prompt text of a ``generateContent`` or ``generateText`` body (validated)."""
    if verb == "generateText":
        prompt = body.get("prompt")
        if not isinstance(prompt, dict) or not isinstance(prompt.get("text"), str):
            raise bad("prompt.text is required.")
        text: str = prompt["text"]
    else:
        contents = body.get("contents")
        if not isinstance(contents, list) or not contents:
            raise bad("* GenerateContentRequest.contents: contents is not specified")
        texts: list[str] = []
        for i, content in enumerate(contents):
            if not isinstance(content, dict):
                raise bad(f"Invalid value at 'contents[{i}]': expected an object.")
            texts += _text_of_parts(content.get("parts", []), f"contents[{i}]")
        if body.get("systemInstruction") or body.get("system_instruction"):
            raise bad("Developer instruction is not enabled for tuned models.")
        text = " ".join(texts)
    if len(text) > MAX_PROMPT_CHARS:
        raise ApiError(
            "INVALID_ARGUMENT",
            f"The input is longer than the {MAX_PROMPT_CHARS} characters a tuned model accepts.",
        )
    return text


def content_response(prompt: str, text: str) -> GenerateContentResponse:
    p, c = len(prompt.split()), len(text.split())
    return GenerateContentResponse(
        candidates=[
            Candidate(content=Content(parts=[Part(text=text)], role="model"), finish_reason="STOP")
        ],
        usage_metadata=UsageMetadata(
            prompt_token_count=p, candidates_token_count=c, total_token_count=p + c
        ),
    )


def text_response(text: str) -> GenerateTextResponse:
    return GenerateTextResponse(candidates=[TextCompletion(output=text)])


def stream_parts(prompt: str, text: str) -> list[dict[str, Any]]:
    """The answer as two streamed ``GenerateContentResponse`` chunks (one if it is one word)."""
    words = text.split(" ")
    half = max(1, math.ceil(len(words) / 2))
    chunks = [" ".join(words[:half]), " ".join(words[half:])]
    chunks = [chunks[0] + " ", chunks[1]] if chunks[1] else [chunks[0]]
    return [content_response(prompt, t).to_wire() for t in chunks]


async def sse_events(parts: list[dict[str, Any]]) -> AsyncIterator[bytes]:
    """Server-sent events, one ``data:`` line per chunk (what ``?alt=sse`` returns)."""
    for part in parts:
        yield b"data: " + orjson.dumps(part) + b"\r\n\r\n"
