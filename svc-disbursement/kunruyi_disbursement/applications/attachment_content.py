"""What an uploaded material is, judged by its bytes, and the name it is kept and offered under.

The content type a browser or partner declares is only a claim: a file is shown in the browser (inline) as a PDF,
an image or plain text only when its bytes are one; anything else — an HTML page or an SVG declared ``image/png``,
bytes of no known kind — is offered as a download (``application/octet-stream``). The file name is the last path
component of what was sent, without control or Unicode format characters (the right-to-left override that makes
``invoice‮fdp.exe`` read ``invoiceexe.pdf``, zero-width characters), at most 200 characters, its extension kept.
"""

from __future__ import annotations

import re
import unicodedata

from kunruyi_common.file_types import DOWNLOAD, sniffed_type

MAX_FILENAME = 200
FALLBACK_NAME = "attachment"


def _is_text(content: bytes) -> bool:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return "\x00" not in text


def served_type(declared: str | None, content: bytes) -> str:
    """The declared media type when the bytes are of it (PDF, PNG, JPEG, GIF, WebP by their magic number — the
    kit's :func:`~kunruyi_common.file_types.sniffed_type` — or UTF-8 text), else ``application/octet-stream``."""
    media = (declared or DOWNLOAD).split(";")[0].strip().lower()
    if media == "text/plain":
        return media if _is_text(content) else DOWNLOAD
    return media if sniffed_type(content) == media else DOWNLOAD


_SEPARATORS = re.compile(r"[\\/]")
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def clean_filename(name: str | None) -> str:
    """The name to keep and offer: its last path component, without control, format (bidi overrides, zero-width),
    private-use or unassigned characters, trimmed of spaces and dots, cut to 200 characters keeping a short
    extension; ``attachment`` when nothing is left."""
    base = _SEPARATORS.split(name or "")[-1]
    kept = "".join(ch for ch in base if unicodedata.category(ch) not in _DROPPED).strip(" .\u3000")
    if len(kept) > MAX_FILENAME:
        stem, dot, extension = kept.rpartition(".")
        if dot and stem and 0 < len(extension) <= 16:
            kept = stem[: MAX_FILENAME - len(extension) - 1] + "." + extension
        else:
            kept = kept[:MAX_FILENAME]
    return kept or FALLBACK_NAME
