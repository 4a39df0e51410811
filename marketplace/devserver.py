"""Loom's development server (`loom serve`, the browser tests): Werkzeug's, closing what a dropped connection leaves open.

Werkzeug's request handler closes a response's iterable (a file `send_file` opened, for a photo) at the
end of each request, after reading what the client still sends. When the browser drops the connection
first (a page left while its photos load), that read raises and the close is skipped: the file stays
open until the garbage collector finds it (a ResourceWarning). Here each response's iterable is noted in
its WSGI environ and closed when the handler reports the connection dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

_RESPONSE = "loom.response"


class _ClosingHandler(WSGIRequestHandler):
    """Werkzeug's handler; a dropped connection also closes the response it was sending."""

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        super().connection_dropped(error, environ)
        response = (environ or {}).pop(_RESPONSE, None)
        if response is not None and hasattr(response, "close"):
            response.close()


def _noting_responses(app: Any) -> Any:
    def wsgi(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        response = app(environ, start_response)
        environ[_RESPONSE] = response
        return response

    return wsgi


def make_dev_server(host: str, port: int, app: Any) -> BaseWSGIServer:
    """Return Werkzeug's threaded server for `app` on `host`:`port` (0: any free port), not yet serving.

    The same as `werkzeug.serving.make_server(host, port, app, threaded=True)`, but a response whose
    connection the client dropped is closed at once (see the module's docstring).
    """
    return make_server(host, port, _noting_responses(app), threaded=True, request_handler=_ClosingHandler)
