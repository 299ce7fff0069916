"""What an uploaded file is, judged by its first bytes (its format's magic number), not by its name or by the type
its sender declared: a page shows a file inline only when the bytes are of a type the browser renders harmlessly,
and offers anything else as a download (``DOWNLOAD``)."""

from __future__ import annotations

from collections.abc import Callable

DOWNLOAD = "application/octet-stream"

_MAGIC: tuple[tuple[str, Callable[[bytes], bool]], ...] = (
    ("application/pdf", lambda content: b"%PDF-" in content[:1024]),
    ("image/png", lambda content: content.startswith(b"\x89PNG\r\n\x1a\n")),
    ("image/jpeg", lambda content: content.startswith(b"\xff\xd8\xff")),
    ("image/gif", lambda content: content.startswith((b"GIF87a", b"GIF89a"))),
    ("image/webp", lambda content: content.startswith(b"RIFF") and content[8:12] == b"WEBP"),
)


def sniffed_type(content: bytes) -> str | None:
    """The media type the bytes are (PDF, PNG, JPEG, GIF or WebP), or None for anything else."""
    for media, matches in _MAGIC:
        if matches(content):
            return media
    return None
