"""Shared machinery for the proto3-JSON wire models.

Every wire model derives from :class:`WireModel`:

* input accepts lowerCamelCase (``displayName``) and snake_case (``display_name``);
* :meth:`WireModel.to_wire` emits lowerCamelCase in proto field order and follows proto3-JSON:
  fields holding their zero value are omitted, while fields with presence (declared with a
  ``None`` default) are emitted whenever they are set, even to ``0``;
* timestamps are RFC 3339 UTC with a ``Z`` suffix; int64 values are JSON strings;
* enums are written by name, or by number when ``to_wire(enum_int=True)`` (the
  ``$alt=json;enum-encoding=int`` convention).
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, SerializationInfo
from pydantic.alias_generators import to_camel

__all__ = ["Int64", "ProtoEnum", "Timestamp", "WireModel", "enum_field", "format_timestamp"]

_E = TypeVar("_E", bound="ProtoEnum")


class ProtoEnum(enum.IntEnum):
    """A proto enum: parsed from a name or a number, written as a name (or number on request)."""

    @classmethod
    def parse(cls: type[_E], value: object) -> _E:
        if isinstance(value, cls):
            return value
        if isinstance(value, bool):
            raise ValueError(f"invalid {cls.__name__} value: {value!r}")
        if isinstance(value, int):
            return cls(value)
        if isinstance(value, str):
            try:
                return cls[value.upper()]
            except KeyError:
                if value.isdigit():
                    return cls(int(value))
        raise ValueError(f"invalid {cls.__name__} value: {value!r}")


def _serialize_enum(value: ProtoEnum, info: SerializationInfo) -> str | int:
    ctx = info.context
    if isinstance(ctx, dict) and ctx.get("enum_int"):
        return int(value)
    return value.name


def enum_field(cls: type[_E]) -> Any:
    """An ``Annotated`` type for a proto enum field of class ``cls``."""
    return Annotated[
        cls,
        BeforeValidator(cls.parse),
        PlainSerializer(_serialize_enum, return_type=Any, when_used="json"),
    ]


def format_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` suffix and microsecond precision."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


Timestamp = Annotated[
    datetime, PlainSerializer(format_timestamp, return_type=str, when_used="json")
]
Int64 = Annotated[int, PlainSerializer(str, return_type=str, when_used="json")]

_M = TypeVar("_M", bound="WireModel")


class WireModel(BaseModel):
    """Base class of every wire resource (see the module docstring for the JSON rules)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=False,
        defer_build=True,  # schemas are built on first use, not at `import aiotune`
    )

    def to_wire(self, *, enum_int: bool = False) -> dict[str, Any]:
        """The proto3-JSON form of this message as a ``dict``."""
        return self.model_dump(
            mode="json",
            by_alias=True,
            exclude_defaults=True,
            context={"enum_int": enum_int},
        )

    @classmethod
    def from_wire(cls: type[_M], data: Any) -> _M:
        """Parse proto3-JSON (camelCase or snake_case keys)."""
        return cls.model_validate(data)
