from kunruyi_common.events.bus import EventBus, ensure_stream
from kunruyi_common.events.envelope import EVENT_TYPES, CloudEvent, event_type, stream_name, type_of
from kunruyi_common.events.inbox import BatchHandler, EventConsumer, EventRejected, Handler, one_by_one
from kunruyi_common.events.outbox import (
    EnvelopeWriter,
    OutboxRelay,
    Staged,
    add_envelopes,
    add_event,
    add_events,
    build_event,
)
from kunruyi_common.events.tables import event_tables

__all__ = [
    "EVENT_TYPES",
    "BatchHandler",
    "CloudEvent",
    "EventBus",
    "EventConsumer",
    "EnvelopeWriter",
    "EventRejected",
    "Handler",
    "OutboxRelay",
    "Staged",
    "add_envelopes",
    "add_event",
    "add_events",
    "build_event",
    "ensure_stream",
    "one_by_one",
    "event_tables",
    "event_type",
    "stream_name",
    "type_of",
]
