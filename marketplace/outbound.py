"""Calls Loom makes to addresses its users give (a group's Odoo): checked against server-side request forgery.

Every such call goes through `vet()` and then `pinned_session()` (requests) or `pin_connection()`
(http.client, for XML-RPC):

- the URL is parsed strictly: http(s) only (plain http only when the operator allows it), no user
  name or password, no query or fragment (a `#` would swallow the path Loom appends), no control
  characters, spaces or backslashes;
- the host name is resolved once, and every address it resolves to must be a public one: loopback,
  private, link-local (cloud metadata at 169.254.169.254), shared, multicast, reserved and unspecified
  addresses are refused, for IPv4 and IPv6 alike (IPv4-mapped, 6to4 and Teredo addresses are judged
  by the IPv4 address inside), unless the operator lists their network in
  LOOM_OUTBOUND_ALLOWED_NETWORKS (a federation hosting Odoo on its own network);
- the connection is made to that vetted address, never to a second resolution of the name (which
  could answer differently), with TLS still checked against the name; redirects are not followed and
  no proxy from the environment is used.

Refusals are `OutboundRefused`, whose message is written for the person who typed the address.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as urllib3_connection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x20\x7f-\x9f\\]")  # controls, spaces (incl. tab, CR, LF) and backslashes
MAX_URL_LENGTH = 300
MAX_ANSWER_BYTES = 20 * 1024 * 1024  # what one answer may weigh; a compressed answer is refused (it could be a bomb)


class AnswerRefused(requests.RequestException):
    """The server's answer was compressed against Loom's request, or larger than MAX_ANSWER_BYTES; it was not read."""


class OutboundRefused(Exception):
    """Loom will not call this address; the message says why, in words for the person who gave it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class OutboundPolicy:
    """What the operator allows Loom to call: plain http or not, and private networks that are trusted."""

    allow_http: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> OutboundPolicy:
        """Read LOOM_OUTBOUND_ALLOW_HTTP and LOOM_OUTBOUND_ALLOWED_NETWORKS (CIDRs, comma- or space-separated).

        Raises ValueError for a network that is not a CIDR, so a typo stops the app at start-up.
        """
        raw = config.get("OUTBOUND_ALLOWED_NETWORKS") or ()
        items = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw)
        return cls(
            allow_http=bool(config.get("OUTBOUND_ALLOW_HTTP")),
            allowed_networks=tuple(ipaddress.ip_network(str(n).strip()) for n in items),
        )

    def permits(self, address: IPAddress) -> bool:
        """Whether Loom may connect to this address: a public one, or one in a network the operator allowed."""
        if any(address in network for network in self.allowed_networks):
            return True
        return is_public(address)


def is_public(address: IPAddress) -> bool:
    """True for a globally routable unicast address; False for loopback, private, link-local, reserved and the like."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is None and address in ipaddress.ip_network("64:ff9b::/96"):  # NAT64: an IPv4 address in disguise
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not is_public(embedded):
            return False
        if address.is_site_local:  # fec0::/10: deprecated (RFC 3879) but still routed inside some networks
            return False
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


@dataclass(frozen=True)
class Destination:
    """A vetted address: where to connect (`address`), and the URL to send requests to (`base`, no trailing slash)."""

    scheme: str
    host: str
    port: int
    address: str
    base: str


def check_syntax(url: str, policy: OutboundPolicy) -> tuple[str, str, int, str]:
    """Parse `url` strictly; return (scheme, host, port, path) or raise OutboundRefused. Needs no network."""
    if not url or len(url) > MAX_URL_LENGTH:
        raise OutboundRefused(f"Give an address of at most {MAX_URL_LENGTH} characters, such as https://coop.odoo.com.")
    if _UNSAFE_CHARACTERS.search(url):
        raise OutboundRefused("The address holds spaces, control characters or backslashes. Type it again.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise OutboundRefused("That is not a web address Loom can read. Give it as https://coop.odoo.com.") from None
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if policy.allow_http else ("https",)
    if scheme not in allowed:
        raise OutboundRefused("The address must start with https:// (Loom only sends your key over an encrypted connection).")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise OutboundRefused("Give the address without a user name or password in it; the login goes in its own field.")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise OutboundRefused("Give the address without anything after a ? or #, such as https://coop.odoo.com.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise OutboundRefused("The address has no server name. Give it as https://coop.odoo.com.")
    path = parts.path.rstrip("/")
    if any(segment in (".", "..") for segment in path.split("/")):
        raise OutboundRefused("Give the address without . or .. in its path.")
    return scheme, host, port or (443 if scheme == "https" else 80), path


def resolve(host: str, port: int) -> list[str]:
    """Every address the name resolves to (the system resolver); an IP literal resolves to itself."""
    return list(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))


def vet(url: str, policy: OutboundPolicy, *, resolver: Resolver = resolve) -> Destination:
    """Check `url` against the policy and resolve its host once; return where to connect.

    Raises OutboundRefused when the address is malformed, not allowed, does not resolve, or resolves
    to any address the policy refuses (all of them are checked, so a name with one public and one
    private record is refused too).
    """
    scheme, host, port, path = check_syntax(url, policy)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = resolver(host, port)
        except (OSError, UnicodeError):
            addresses = []
        if not addresses:
            raise OutboundRefused("Loom could not find a server by that name. Check the address.")
    parsed = [ipaddress.ip_address(a.split("%", 1)[0]) for a in addresses]
    if not all(policy.permits(a) for a in parsed):
        raise OutboundRefused(
            "That address leads to a private or local network, which Loom does not connect to. "
            "Give the public address of your Odoo (ask the Loom team if your Odoo is on a network they host)."
        )
    netloc = f"[{host}]" if ":" in host else host
    default_port = 443 if scheme == "https" else 80
    base = f"{scheme}://{netloc}{'' if port == default_port else f':{port}'}{path}"
    return Destination(scheme, host, port, str(parsed[0]), base)


# ----- connecting to the vetted address only ------------------------------------------------------


def _pinned_connection(base: type[HTTPConnection], address: str) -> type[HTTPConnection]:
    class PinnedConnection(base):  # type: ignore[valid-type, misc]
        """urllib3's connection, with the socket opened to the vetted address; Host and TLS use the name."""

        def _new_conn(self) -> socket.socket:
            try:
                return urllib3_connection.create_connection(
                    (address, self.port), self.timeout, source_address=self.source_address, socket_options=self.socket_options
                )
            except TimeoutError as error:
                raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from error
            except OSError as error:
                raise NewConnectionError(self, f"Failed to establish a new connection: {error}") from error

    return PinnedConnection


class _PinnedAdapter(HTTPAdapter):
    def __init__(self, destination: Destination) -> None:
        self.destination = destination
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        address = self.destination.address

        class HTTPPool(HTTPConnectionPool):
            ConnectionCls = _pinned_connection(HTTPConnection, address)

        class HTTPSPool(HTTPSConnectionPool):
            ConnectionCls = _pinned_connection(HTTPSConnection, address)

        self.poolmanager.pool_classes_by_scheme = {"http": HTTPPool, "https": HTTPSPool}

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        target = urlsplit(request.url or "")
        if target.scheme != self.destination.scheme or (target.hostname or "").rstrip(".") != self.destination.host.lower():
            raise requests.ConnectionError("Loom calls only the vetted address from this session.")
        return super().send(request, *args, **kwargs)


class PinnedSession(requests.Session):
    """A requests session that reaches one vetted destination only, follows no redirect and uses no proxy."""

    def __init__(self, destination: Destination) -> None:
        super().__init__()
        self.trust_env = False  # no HTTP(S)_PROXY from the environment: the proxy would resolve the name again
        adapter = _PinnedAdapter(destination)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send the request to the vetted address only: no redirects, no compression, at most MAX_ANSWER_BYTES read.

        Raise AnswerRefused otherwise.
        """
        kwargs["allow_redirects"] = False
        kwargs["stream"] = True
        kwargs["headers"] = {**(kwargs.get("headers") or {}), "Accept-Encoding": "identity"}
        response = super().request(method, url, *args, **kwargs)
        try:
            if response.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity"):
                raise AnswerRefused("The server sent a compressed answer Loom did not ask for.")
            body = response.raw.read(MAX_ANSWER_BYTES + 1, decode_content=False)
            if len(body) > MAX_ANSWER_BYTES:
                raise AnswerRefused("The server's answer is larger than Loom reads.")
        except BaseException:
            response.close()
            raise
        response._content, response._content_consumed = body, True  # read once, bounded; .json() and .text use it
        return response


def pinned_session(destination: Destination) -> requests.Session:
    """A requests session for calls to `destination` (see `PinnedSession`)."""
    return PinnedSession(destination)


def pin_connection(connection: http.client.HTTPConnection, destination: Destination) -> http.client.HTTPConnection:
    """Make an http.client connection (as xmlrpc.client opens) open its socket to the vetted address."""
    if connection.host.rstrip(".").lower() != destination.host.lower():
        raise OSError("Loom calls only the vetted address from this connection.")

    def create_connection(_address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        return socket.create_connection((destination.address, destination.port), *args, **kwargs)

    connection._create_connection = create_connection  # type: ignore[attr-defined]
    return connection


__all__ = [
    "Destination",
    "OutboundPolicy",
    "OutboundRefused",
    "check_syntax",
    "is_public",
    "pin_connection",
    "pinned_session",
    "vet",
]
