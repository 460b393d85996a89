"""Inference on tuned models: generateContent (Gemini) and generateText (legacy PaLM)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import WireModel

__all__ = [
    "Candidate",
    "Content",
    "GenerateContentRequest",
    "GenerateContentResponse",
    "GenerateTextRequest",
    "GenerateTextResponse",
    "Part",
    "TextCompletion",
    "TextPrompt",
    "UsageMetadata",
]


class Part(WireModel):
    text: str = ""


class Content(WireModel):
    parts: list[Part] = Field(default_factory=list)
    role: str = ""

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts)


class GenerateContentRequest(WireModel):
    contents: list[Content] = Field(default_factory=list)
    generation_config: dict[str, Any] | None = None
    safety_settings: list[dict[str, Any]] = Field(default_factory=list)


class Candidate(WireModel):
    content: Content | None = None
    finish_reason: str = ""
    index: int = 0


class UsageMetadata(WireModel):
    prompt_token_count: int = 0
    candidates_token_count: int = 0
    total_token_count: int = 0


class GenerateContentResponse(WireModel):
    candidates: list[Candidate] = Field(default_factory=list)
    usage_metadata: UsageMetadata | None = None
    model_version: str = ""

    @property
    def text(self) -> str:
        """The text of the first candidate ("" when there is none)."""
        if not self.candidates or self.candidates[0].content is None:
            return ""
        return self.candidates[0].content.text


class TextPrompt(WireModel):
    text: str = ""


class GenerateTextRequest(WireModel):
    prompt: TextPrompt | None = None
    temperature: float | None = None
    candidate_count: int | None = None
    max_output_tokens: int | None = None
    top_p: float | None = None
    top_k: int | None = None


class TextCompletion(WireModel):
    output: str = ""


class GenerateTextResponse(WireModel):
    candidates: list[TextCompletion] = Field(default_factory=list)

    @property
    def text(self) -> str:
        return self.candidates[0].output if self.candidates else ""
