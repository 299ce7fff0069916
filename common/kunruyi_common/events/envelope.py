"""CloudEvents 1.0 envelope and the registry of event types.

Every event type is a pydantic model registered with :func:`event_type`; the registry is what the docs catalog
and the contract tests read. Types read ``kunruyi.<service>.<entity>.<verb>`` and double as NATS subjects.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

_TYPE_RE = re.compile(r"^kunruyi\.[a-z_]+\.[a-z_]+\.[a-z_]+$")


class CloudEvent(BaseModel):
    """The wire envelope (CloudEvents 1.0, JSON format) with our two extensions."""

    model_config = ConfigDict(extra="allow")

    specversion: str = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    subject: str | None = None
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: str = "application/json"
    dataschema: str | None = None
    traceparent: str | None = None
    requestid: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class EventTypeInfo:
    type_name: str
    model: type[BaseModel]
    producer: str
    description: str


EVENT_TYPES: dict[str, EventTypeInfo] = {}
M = TypeVar("M", bound=type[BaseModel])


def event_type(type_name: str, *, description: str = "") -> Callable[[M], M]:
    """Register a pydantic model as the schema of ``type_name``."""
    if not _TYPE_RE.match(type_name):
        raise ValueError(f"event type {type_name!r} must read kunruyi.<service>.<entity>.<verb>")

    def register(model: M) -> M:
        producer = type_name.split(".")[1]
        existing = EVENT_TYPES.get(type_name)
        if existing is not None and existing.model is not model:
            raise ValueError(f"event type {type_name} registered twice")
        EVENT_TYPES[type_name] = EventTypeInfo(
            type_name, model, producer, description or (model.__doc__ or "").strip()
        )
        model.__event_type__ = type_name  # type: ignore[attr-defined]
        return model

    return register


def type_of(model: type[BaseModel] | BaseModel) -> str:
    name = getattr(model, "__event_type__", None)
    if name is None:
        raise ValueError(f"{model!r} is not a registered event schema")
    return str(name)


def stream_name(service: str) -> str:
    return f"KUNRUYI_{service.upper()}"


def stream_subjects(service: str) -> list[str]:
    return [f"kunruyi.{service}.>"]


DLQ_STREAM = "KUNRUYI_DLQ"
DLQ_SUBJECT_PREFIX = "kunruyi_dlq"
