"""`loom serve` and the browser tests' server close a response whose connection the client dropped.

Werkzeug closes a response after reading what the client still sends; when the client reset the
connection, that read raises and the close is skipped (a photo's file left open: the ResourceWarning
that failed a browser test). The read's failure is made certain here by a request stream that raises on
it, as a reset connection does; everything else is Werkzeug's server as it runs.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from marketplace.devserver import _ClosingHandler, _noting_responses


class Body:
    """A response body that tells when it is closed (as `send_file`'s file wrapper closes the photo)."""

    def __init__(self) -> None:
        self.closed = threading.Event()
        self.client_sent_more = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        yield b"photo"
        self.client_sent_more.wait(5)  # so the server finds something left to read after the body
        time.sleep(0.05)

    def close(self) -> None:
        self.closed.set()


class _ResetStream:
    """A request stream whose reads of the body raise, as they do once the client reset the connection."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def read(self, *_args: Any) -> bytes:
        raise ConnectionResetError("the client reset the connection")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def served_to_a_client_that_resets(handler: type[WSGIRequestHandler], wrap: Any) -> Body:
    body = Body()

    def app(_environ: dict[str, Any], start_response: Any) -> Body:
        start_response("200 OK", [("Content-Type", "image/jpeg")])
        return body

    class Resetting(handler):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            super().setup()
            self.rfile = _ResetStream(self.rfile)  # type: ignore[assignment]

    server = make_server("127.0.0.1", 0, wrap(app), threaded=True, request_handler=Resetting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_port)) as client:
            client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            client.recv(65_536)
            client.sendall(b"more")  # something left to read once the body is sent
            body.client_sent_more.set()
            while client.recv(65_536):
                pass
        body.closed.wait(2)
    finally:
        server.shutdown()
        server.server_close()
    return body


def test_a_response_whose_connection_was_reset_is_closed() -> None:
    assert served_to_a_client_that_resets(_ClosingHandler, _noting_responses).closed.is_set()


def test_werkzeugs_own_handler_leaves_it_open() -> None:
    """What `marketplace.devserver` mends: if Werkzeug starts closing it, the module can go."""
    assert not served_to_a_client_that_resets(WSGIRequestHandler, lambda app: app).closed.is_set()
