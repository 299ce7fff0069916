"""A file's type is what its bytes are: an HTML page or an SVG named or declared as a photo is none of the types a
page shows in place."""

from __future__ import annotations

import pytest
from kunruyi_common.file_types import sniffed_type


@pytest.mark.parametrize(
    ("content", "media"),
    [
        (b"%PDF-1.7\n...", "application/pdf"),
        (b"\xef\xbb\xbf%PDF-1.4", "application/pdf"),  # a few bytes before the header still open as a PDF
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"<html><script>alert(1)</script>", None),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', None),
        (b"\x89PNG but not really", None),
        (b"", None),
    ],
)
def test_the_bytes_decide(content: bytes, media: str | None) -> None:
    assert sniffed_type(content) == media
