"""Accept uploaded photos and documents: check what they really are, cap their size, keep them on disk.

A file is written under a staging name and tied to the request's next write transaction
(`marketplace.db.stage`): it takes its real name just before that transaction commits, and is deleted
if the transaction rolls back, if the post was a repeat (the one-time token was already claimed), or
if the use case never reached its transaction (a refusal, a form error). So a file exists under its
real name only when a committed row refers to it; a crash mid-request leaves at most a `*.staged` file,
which `sweep_staged` removes once it is older than any request can live (the worker sweeps at start and
every `STAGED_SWEEP_SECONDS`; `loom uploads sweep` does it by hand).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import posixpath
import secrets
import time
import warnings
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from tempfile import SpooledTemporaryFile
from typing import BinaryIO

from flask import Request, current_app, send_from_directory
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from marketplace.db import db, stage
from marketplace.errors import DomainError

IMAGE_FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
PDF_MAGIC = b"%PDF-"
STAGED_SUFFIX = ".staged"
PUBLIC_FOLDER = "photos"  # groups' gallery and product photos; everything else in the upload folder is private
MAX_PIXELS = 40_000_000
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative to the upload folder
    content_type: str
    width: int = 0
    height: int = 0


def _read_capped(stream: BinaryIO, max_bytes: int) -> bytes:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DomainError(
            _("The file is larger than %(max_bytes)s MB. Send a smaller one.", max_bytes=max_bytes // (1024 * 1024))
        )
    if not data:
        raise DomainError(_("The file is empty."))
    return data


def _save(folder: Path, subfolder: str, suffix: str, data: bytes) -> str:
    """Write `data` under a staging name; it is kept, under the returned path, only if the use case commits."""
    relative = Path(subfolder) / f"{secrets.token_urlsafe(16)}{suffix}"
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + STAGED_SUFFIX)
    staged.write_bytes(data)

    def drop() -> None:
        staged.unlink(missing_ok=True)
        target.unlink(missing_ok=True)

    stage(db.session, keep=lambda: os.replace(staged, target), drop=drop)
    return relative.as_posix()


def read_capped(stream: BinaryIO, max_bytes: int) -> bytes:
    """Read an upload whole, refusing (DomainError) an empty one or one over `max_bytes`."""
    return _read_capped(stream, max_bytes)


def save_private(folder: Path, subfolder: str, suffix: str, data: bytes) -> str:
    """Keep `data` under an unguessable name in a private subfolder; return its path relative to `folder`."""
    if subfolder == PUBLIC_FOLDER:
        raise ValueError("private files never go to the public folder")
    return _save(folder, subfolder, suffix, data)


def store_image(stream: BinaryIO, *, folder: Path, subfolder: str, max_bytes: int) -> StoredFile:
    """Store a JPEG, PNG or WebP photo after decoding its header; anything else is refused.

    `max_bytes` is the size limit in bytes. Raises `DomainError` for a file over it, over 40 megapixels, or not a readable JPEG,
    PNG or WebP.
    """
    data = _read_capped(stream, max_bytes)
    too_many_pixels = DomainError(_("The photo has too many pixels. Send one under 40 megapixels."))
    try:
        with warnings.catch_warnings():
            # Pillow checks the pixel count when it opens a file, before Loom's own check below can:
            # its warning and its error (a "decompression bomb") are both this refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=list(IMAGE_FORMATS)) as image:
                image_format = image.format
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise too_many_pixels
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise DomainError(_("That file is not a photo we can read. Send a JPEG, PNG or WebP image.")) from None
    if image_format not in IMAGE_FORMATS:
        raise DomainError(_("Photos must be JPEG, PNG or WebP."))
    content_type, suffix = IMAGE_FORMATS[image_format]
    return StoredFile(_save(folder, subfolder, suffix, data), content_type, width, height)


def store_document(stream: BinaryIO, *, folder: Path, subfolder: str, max_bytes: int) -> StoredFile:
    """Store evidence such as a certificate: a PDF or a photo of it."""
    data = _read_capped(stream, max_bytes)
    if data.startswith(PDF_MAGIC):
        return StoredFile(_save(folder, subfolder, ".pdf", data), "application/pdf")
    return store_image(BytesIO(data), folder=folder, subfolder=subfolder, max_bytes=max_bytes)


def public_relative(path: str) -> str | None:
    """Normalise a requested media path; return it relative to the public folder, or None if it leaves it.

    Normalised first, then judged: `photos/../evidence/x.pdf` is `evidence/x.pdf`, which is not public.
    """
    if not path or "\\" in path or "\x00" in path:
        return None
    normal = posixpath.normpath("/" + path).lstrip("/")
    prefix = PUBLIC_FOLDER + "/"
    if not normal.startswith(prefix) or normal != path:
        return None
    return normal[len(prefix) :]


def send_public(folder: Path, path: str) -> Response:
    """Serve a public photo from the public folder only, cacheable by anyone for a day.

    `path` is relative to `folder`. Raises `NotFound` (404) for anything outside it or missing.
    """
    relative = public_relative(path)
    if relative is None:
        raise NotFound()
    return send_from_directory(folder / PUBLIC_FOLDER, relative, max_age=86400)


def send_private(folder: Path, path: str, **kwargs: object) -> Response:
    """Serve a private upload to someone already authorised: never kept by shared caches or the browser."""
    response = send_from_directory(folder, path, **kwargs)  # type: ignore[arg-type]
    response.headers["Cache-Control"] = "private, no-store"
    return response


class CappedUpload(SpooledTemporaryFile):  # type: ignore[type-arg]
    """A spooled file that keeps only its first `cap` bytes of an upload and drops the rest as it arrives."""

    def __init__(self, cap: int) -> None:
        super().__init__(max_size=512 * 1024)
        self.cap = cap

    def write(self, data: bytes) -> int:  # type: ignore[override]
        """Keep what fits under the cap and drop the rest.

        Report every byte as written, so the upload is read to its end.
        """
        room = self.cap - self.tell()
        if room > 0:
            super().write(data[:room])
        return len(data)


class CappedUploadRequest(Request):
    """Read a form's files only up to the upload limit plus one byte, and read the form to its end up to a ceiling.

    An oversized file arrives cut, is refused beside its field by `store_image` / `store_document` ("larger than
    5 MB"), and the rest of the form arrives whole, so nothing typed is lost; the disk and memory never hold more
    than the limit per file, whatever was sent. For that the body must be read to its end (a browser shows no answer
    to a post it could not finish sending): a `multipart/form-data` body may be up to `UPLOAD_BODY_CEILING` bytes
    (1 GiB: more than any photo, scan or phone video picked by mistake), well past `MAX_CONTENT_LENGTH` (64 MB), which
    still bounds every other body. Non-file fields stay bounded by Werkzeug's `MAX_FORM_MEMORY_SIZE` (500 kB each) and
    `MAX_FORM_PARTS` (1,000). A body declared beyond the ceiling is refused with 413 before any of it is read; one
    streamed without a length is cut there. Flask-WTF's CSRF check, the first thing run for a post, reads the body, so
    no database transaction is open while it arrives.
    """

    @property
    def max_content_length(self) -> int | None:  # type: ignore[override]
        """Return the most bytes this request's body may have: UPLOAD_BODY_CEILING for a form with files, else Flask's."""
        if self._max_content_length is None and current_app and self.mimetype == "multipart/form-data":
            return current_app.config["UPLOAD_BODY_CEILING"]  # type: ignore[no-any-return]
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        """Set this request's own limit in bytes (Flask's per-request override), over both defaults."""
        self._max_content_length = value

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> BinaryIO:
        return CappedUpload(current_app.config["UPLOAD_MAX_BYTES"] + 1)  # type: ignore[return-value]


def sweep_staged(folder: Path, *, older_than: dt.timedelta, now: float | None = None) -> list[Path]:
    """Delete the `*.staged` files under `folder` last written more than `older_than` ago; return what was deleted.

    A staged file belongs to a request that has not committed yet (see `_save`); it is renamed just
    before its transaction commits or deleted when it rolls back, so one left behind means the process
    died mid-request. A live request still needs its file, and it writes it at the start: so only files
    older than any request can live are removed (`older_than`, an hour by default, against requests cut
    off after seconds; `now` is a Unix time, for tests). A file that vanishes meanwhile (its request
    committed or rolled back just then) is skipped. Raises ValueError for an `older_than` under a minute.
    """
    if older_than < dt.timedelta(minutes=1):
        raise ValueError("staged files younger than a minute may belong to a request still running")
    cutoff = (time.time() if now is None else now) - older_than.total_seconds()
    removed = []
    if not folder.is_dir():
        return removed
    for path in folder.rglob(f"*{STAGED_SUFFIX}"):
        try:
            if not path.is_file() or path.stat().st_mtime > cutoff:
                continue
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    if removed:
        log.info("removed %s staged upload(s) left by requests that never finished", len(removed))
    return removed
