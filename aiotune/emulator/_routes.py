"""The route table: (verb, path regex) → handler name, per the v1beta http rules.

A path variable is one segment without ``:`` (tuning-api.md §9: "the resource id cannot contain
``:`` or ``/``"), so ``tunedModels/x:generateContent`` splits into the id and the verb.
Operations are served under ``/v1beta/`` and ``/v1/``; cancel only under ``/v1/`` (v1beta binds
no cancel for tuned-model operations).
"""

from __future__ import annotations

import re

__all__ = ["ROUTES", "match_route"]

_ID = r"([^/:]+)"

ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"/v1beta/tunedModels"), "create"),
    ("GET", re.compile(r"/v1beta/tunedModels"), "list"),
    ("GET", re.compile(rf"/v1beta/tunedModels/{_ID}"), "get"),
    ("PATCH", re.compile(rf"/v1beta/tunedModels/{_ID}"), "patch"),
    ("DELETE", re.compile(rf"/v1beta/tunedModels/{_ID}"), "delete"),
    ("POST", re.compile(rf"/v1beta/tunedModels/{_ID}:transferOwnership"), "transfer"),
    ("GET", re.compile(rf"/(v1beta|v1)/tunedModels/{_ID}/operations"), "list_ops"),
    ("GET", re.compile(rf"/(v1beta|v1)/tunedModels/{_ID}/operations/{_ID}"), "get_op"),
    ("POST", re.compile(rf"/v1/tunedModels/{_ID}/operations/{_ID}:cancel"), "cancel"),
    ("GET", re.compile(r"/(v1beta|v1)/models"), "base_models"),
    ("GET", re.compile(rf"/(v1beta|v1)/models/{_ID}"), "base_model"),
    (
        "POST",
        re.compile(
            rf"/(v1beta|v1)/tunedModels/{_ID}:(generateContent|streamGenerateContent|generateText)"
        ),
        "generate",
    ),
]


def match_route(method: str, path: str) -> tuple[str, tuple[str, ...]] | None:
    """The handler name and path groups for this request, or ``None`` (unmapped: 404)."""
    for verb, pattern, name in ROUTES:
        if verb == method:
            match = pattern.fullmatch(path)
            if match:
                return name, match.groups()
    return None
