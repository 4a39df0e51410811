"""Accept uploaded photos and documents: check what they really are, cap their size, keep them on disk."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from io import BytesIO
from tempfile import SpooledTemporaryFile
from pathlib import Path
from typing import BinaryIO

from flask import Request, current_app
from PIL import Image, UnidentifiedImageError

from marketplace.errors import DomainError

IMAGE_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
PDF_MAGIC = b"%PDF-"
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative to the upload folder
    content_type: str
    width: int = 0
    height: int = 0


def _read_capped(stream: BinaryIO, max_bytes: int) -> bytes:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DomainError(f"The file is larger than {max_bytes // (1024 * 1024)} MB. Send a smaller one.")
    if not data:
        raise DomainError("The file is empty.")
    return data


def _save(folder: Path, subfolder: str, suffix: str, data: bytes) -> str:
    relative = Path(subfolder) / f"{secrets.token_urlsafe(16)}{suffix}"
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return relative.as_posix()


def store_image(stream: BinaryIO, *, folder: Path, subfolder: str, max_bytes: int) -> StoredFile:
    """Store a JPEG, PNG or WebP photo after decoding its header; anything else is refused."""
    data = _read_capped(stream, max_bytes)
    try:
        with Image.open(BytesIO(data)) as image:
            image_format = image.format
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise DomainError("The photo has too many pixels. Send one under 40 megapixels.")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise DomainError("That file is not a photo we can read. Send a JPEG, PNG or WebP image.") from None
    if image_format not in IMAGE_FORMATS:
        raise DomainError("Photos must be JPEG, PNG or WebP.")
    content_type, suffix = IMAGE_FORMATS[image_format]
    return StoredFile(_save(folder, subfolder, suffix, data), content_type, width, height)


def store_document(stream: BinaryIO, *, folder: Path, subfolder: str, max_bytes: int) -> StoredFile:
    """Store evidence such as a certificate: a PDF or a photo of it."""
    data = _read_capped(stream, max_bytes)
    if data.startswith(PDF_MAGIC):
        return StoredFile(_save(folder, subfolder, ".pdf", data), "application/pdf")
    return store_image(BytesIO(data), folder=folder, subfolder=subfolder, max_bytes=max_bytes)


class CappedUpload(SpooledTemporaryFile):  # type: ignore[type-arg]
    """A spooled file that keeps only its first `cap` bytes of an upload and drops the rest as it arrives."""

    def __init__(self, cap: int) -> None:
        super().__init__(max_size=512 * 1024)
        self.cap = cap

    def write(self, data: bytes) -> int:  # type: ignore[override]
        room = self.cap - self.tell()
        if room > 0:
            super().write(data[:room])
        return len(data)


class CappedUploadRequest(Request):
    """Read uploaded files only up to the upload limit plus one byte.

    An oversized file then arrives cut, is refused beside its field by `store_image` / `store_document`
    ("larger than 5 MB"), and the rest of the form arrives whole, so nothing typed is lost; the disk
    never holds more than the limit per file, whatever was sent. Only `MAX_CONTENT_LENGTH` (the whole
    body) still ends a request with 413.
    """

    def _get_file_stream(
        self, total_content_length: int | None, content_type: str | None, filename: str | None = None, content_length: int | None = None
    ) -> BinaryIO:
        return CappedUpload(current_app.config["UPLOAD_MAX_BYTES"] + 1)  # type: ignore[return-value]
