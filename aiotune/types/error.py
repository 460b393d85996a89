"""The REST error envelope: ``{"error": {"code", "message", "status", "details"}}``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import WireModel

__all__ = ["CANONICAL_CODES", "ErrorBody", "ErrorEnvelope", "HTTP_STATUS_OF"]

#: canonical status name -> gRPC code number
CANONICAL_CODES: dict[str, int] = {
    "OK": 0,
    "CANCELLED": 1,
    "UNKNOWN": 2,
    "INVALID_ARGUMENT": 3,
    "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6,
    "PERMISSION_DENIED": 7,
    "RESOURCE_EXHAUSTED": 8,
    "FAILED_PRECONDITION": 9,
    "ABORTED": 10,
    "OUT_OF_RANGE": 11,
    "UNIMPLEMENTED": 12,
    "INTERNAL": 13,
    "UNAVAILABLE": 14,
    "DATA_LOSS": 15,
    "UNAUTHENTICATED": 16,
}

#: canonical status name -> HTTP status
HTTP_STATUS_OF: dict[str, int] = {
    "OK": 200,
    "CANCELLED": 499,
    "UNKNOWN": 500,
    "INVALID_ARGUMENT": 400,
    "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "PERMISSION_DENIED": 403,
    "RESOURCE_EXHAUSTED": 429,
    "FAILED_PRECONDITION": 400,
    "ABORTED": 409,
    "OUT_OF_RANGE": 400,
    "UNIMPLEMENTED": 501,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "DATA_LOSS": 500,
    "UNAUTHENTICATED": 401,
}


class ErrorBody(WireModel):
    code: int = 0
    message: str = ""
    status: str = ""
    details: list[dict[str, Any]] = Field(default_factory=list)


class ErrorEnvelope(WireModel):
    error: ErrorBody
