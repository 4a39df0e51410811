"""A fault-injecting HTTP relay in front of stripe-mock: it records what Loom sent and can play an outage.

It does not answer for Stripe: every request it lets through is answered by stripe-mock, unchanged.
Modes: "pass" relays; "down" closes the connection without answering (Stripe unreachable);
"drop" relays, then closes without passing the answer back (Stripe acted, Loom never heard).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import requests


@dataclass
class Seen:
    method: str
    path: str
    idempotency_key: str | None
    form: dict[str, list[str]] = field(default_factory=dict)


class StripeRelay:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.mode = "pass"
        self.seen: list[Seen] = []
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                relay.seen.append(Seen(self.command, self.path, self.headers.get("Idempotency-Key"), parse_qs(body.decode())))
                if relay.mode == "down":
                    self.close_connection = True
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
                answer = requests.request(self.command, relay.upstream + self.path, data=body, headers=headers, timeout=10)
                if relay.mode == "drop":
                    self.close_connection = True
                    return
                self.send_response(answer.status_code)
                for name in ("Content-Type", "Request-Id", "Stripe-Version"):
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_DELETE = _relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def calls(self, method: str, path_prefix: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path.split("?")[0].startswith(path_prefix)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
