"""Uploads are kept only up to the limit while they arrive."""

from __future__ import annotations

from marketplace.uploads import CappedUpload


def test_an_upload_is_kept_only_up_to_its_cap_and_the_rest_is_dropped_as_it_arrives() -> None:
    with CappedUpload(cap=1024 * 1024 + 1) as upload:
        for _ in range(20):  # 20 MB sent in 1 MB pieces, as the form parser writes them
            assert upload.write(b"x" * 1024 * 1024) == 1024 * 1024  # the parser is told all was taken
        upload.seek(0)
        assert len(upload.read()) == 1024 * 1024 + 1  # enough to tell it is too large, no more on disk
