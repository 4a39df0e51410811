"""Talking to a producer group's Odoo: three protocols behind one small client, with Odoo's quirks absorbed.

Transports are Loom's own, on kept-alive HTTP connections with explicit timeouts: odoo-client-lib's
JSON-RPC and JSON-2 transports open a new connection per call and set no timeout of their own
(about 35 ms a call against 10 ms kept alive, measured in ../shared/odoo-wire). The library is still
what `bench/erp.py` measures as the naive way.
"""

from __future__ import annotations

import http.client
import re
import xmlrpc.client
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from xml.parsers.expat import ExpatError

import requests

from erp_connector.errors import Verdict, fault_cause, judge, judge_http, judge_transport
from marketplace.outbound import (
    MAX_ANSWER_BYTES,
    AnswerRefused,
    Destination,
    OutboundPolicy,
    OutboundRefused,
    pin_connection,
    pinned_session,
    vet,
)
from marketplace.text import clean_values


class OdooCallError(Exception):
    """Odoo answered with an error, or did not answer.

    `verdict` is how the table in `erp_connector.errors` judged it: `Verdict.RETRY` (Odoo changed nothing),
    `Verdict.MAYBE_DONE` (the call may have committed before the answer was lost: the sync looks up every
    record by its natural key before creating it, so trying again is safe) or `Verdict.PERMANENT`.
    """

    def __init__(self, message: str, *, name: str = "", verdict: Verdict) -> None:
        super().__init__(message)
        self.name = name
        self.verdict = verdict

    @property
    def retryable(self) -> bool:
        """Tell the outbox whether trying again later can help (anything but a permanent verdict)."""
        return self.verdict != Verdict.PERMANENT


def _transport_error(error: BaseException) -> OdooCallError:
    if isinstance(error, AnswerRefused):
        return _not_odoo()
    verdict, advice = judge_transport(error)
    # In words only: the library's text names addresses and tells refused ports from silent ones.
    return OdooCallError(
        "Loom could not connect to the server at that address, or it did not answer in time." + (f" {advice}" if advice else ""),
        name="transport",
        verdict=verdict,
    )


def _odoo_error(name: str, message: str, *, traceback: str = "") -> OdooCallError:
    """Turn an error Odoo answered into an OdooCallError judged by the table in erp_connector.errors."""
    name, message = (
        str(name)[:100],
        " ".join(str(message).split())[:500],
    )  # Odoo's own words help the group fix its data: short, one line
    verdict, advice = judge(name, f"{message}\n{traceback}")
    text = f"{message} {advice}" if advice and advice not in message else message
    return OdooCallError(text, name=name, verdict=verdict)


def jsonrpc_error(error: dict[str, Any]) -> OdooCallError:
    """Turn a JSON-RPC `error` member (Odoo's envelope: `data.name`, `data.message`, `data.debug`) into an OdooCallError."""
    error = error if isinstance(error, dict) else {}
    data = error.get("data") if isinstance(error.get("data"), dict) else {}
    return _odoo_error(
        data.get("name", ""), data.get("message") or error.get("message", ""), traceback=str(data.get("debug", ""))
    )


def xmlrpc_error(fault: xmlrpc.client.Fault) -> OdooCallError:
    """Turn an XML-RPC fault into an OdooCallError.

    Odoo's codes: 2 user/validation error, 4 access error, 1 anything else — a traceback whose last
    line names the exception (a wrong database, a concurrent update, a ValueError), judged by that name.
    """
    if "cannot marshal None" in fault.faultString:
        return OdooCallError(
            "Odoo did the work but could not send its answer over XML-RPC (cannot marshal None)",
            name="xmlrpc.none",
            verdict=Verdict.MAYBE_DONE,
        )
    if fault.faultCode == 1:
        name, message = fault_cause(fault.faultString)
        return _odoo_error(name, message, traceback=fault.faultString)
    name = {2: "odoo.exceptions.UserError", 4: "odoo.exceptions.AccessError"}.get(fault.faultCode, "xmlrpc.fault")
    return _odoo_error(name, fault.faultString)


def json2_error(status: int, payload: dict[str, Any], text: str = "") -> OdooCallError:
    """Turn a JSON-2 error answer (an HTTP status with `{name, message, debug}`) into an OdooCallError."""
    if status < 500 or payload.get("name"):
        return _odoo_error(payload.get("name", ""), payload.get("message", ""), traceback=str(payload.get("debug", "")))
    return _http_status_error(status, text)


class Transport(Protocol):
    """One of the three ways to talk to Odoo (JSON-RPC, XML-RPC, JSON-2), kept alive between calls."""

    def execute(self, model: str, method: str, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        """Call `model.method(*args, **kwargs)` in the group's Odoo and return its answer.

        Raises OdooCallError (judged by `erp_connector.errors`) when Odoo answers an error or does not answer.
        """
        ...

    def close(self) -> None:
        """Close the transport's connection."""
        ...


def _http_status_error(status: int, text: str = "") -> OdooCallError:
    # A proxy in front of Odoo (502/503/504) or Odoo restarting: worth another try later. The body (`text`) is
    # never repeated: it could be anything the address serves.
    verdict = judge_http(status)
    return OdooCallError(
        f"The server at that address answered HTTP {status}, not as Odoo does.", name=f"http.{status}", verdict=verdict
    )


class JsonRpcTransport:
    def __init__(self, destination: Destination, database: str, uid: int, secret: str, *, timeout: float) -> None:
        self.url, self.database, self.uid, self.secret, self.timeout = destination.base, database, uid, secret, timeout
        self.session = pinned_session(destination)
        self._id = 0

    def call(self, service: str, method: str, args: Sequence[Any]) -> Any:
        """Call `service.method(*args)` over JSON-RPC (`/jsonrpc`) and return its result.

        Raises OdooCallError (judged by `erp_connector.errors`) when Odoo answers an error or does not answer.
        """
        self._id += 1
        try:
            response = self.session.post(
                f"{self.url}/jsonrpc",
                json={
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": self._id,
                    "params": {"service": service, "method": method, "args": list(args)},
                },
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise _transport_error(error) from error
        if response.status_code != 200 or "json" not in response.headers.get("Content-Type", ""):
            raise _http_status_error(response.status_code)
        payload = _json_of(response)
        if not isinstance(payload, dict):
            raise _not_odoo()
        if "error" in payload:
            raise jsonrpc_error(payload["error"])
        return payload.get("result")

    def execute(self, model: str, method: str, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        """Call `model.method(*args, **kwargs)` through `object.execute_kw` and return its answer.

        Raises OdooCallError (judged by `erp_connector.errors`) when Odoo answers an error or does not answer.
        """
        return self.call("object", "execute_kw", [self.database, self.uid, self.secret, model, method, list(args), kwargs])

    def close(self) -> None:
        """Close the kept-alive HTTP session."""
        self.session.close()


def _keep_alive(destination: Destination, timeout: float) -> xmlrpc.client.Transport:
    """xmlrpc.client's transport (which keeps its connection) with a timeout on that connection, opened to the vetted address."""
    base = xmlrpc.client.SafeTransport if destination.scheme == "https" else xmlrpc.client.Transport

    class KeepAlive(base):  # type: ignore[valid-type, misc]
        accept_gzip_encoding = False

        def parse_response(self, response: http.client.HTTPResponse) -> Any:
            # xmlrpc.client's own would inflate a gzip answer of any size; this one reads plain XML, bounded.
            # (Entity expansion is refused by the expat parser itself from 2.4.1 on.)
            if response.getheader("Content-Encoding", "identity").strip().lower() not in ("", "identity"):
                raise xmlrpc.client.ResponseError("compressed answer refused")
            parser, unmarshaller = self.getparser()
            size = 0
            while data := response.read(65536):
                size += len(data)
                if size > MAX_ANSWER_BYTES:
                    raise xmlrpc.client.ResponseError("answer too large")
                parser.feed(data)
            parser.close()
            return unmarshaller.close()

        def make_connection(self, host: Any) -> http.client.HTTPConnection:
            connection = pin_connection(super().make_connection(host), destination)
            connection.timeout = timeout
            return connection

    return KeepAlive()


class XmlRpcTransport:
    def __init__(self, destination: Destination, database: str, uid: int, secret: str, *, timeout: float) -> None:
        self.database, self.uid, self.secret = database, uid, secret
        transport = _keep_alive(destination, timeout)
        # Odoo refuses None over XML-RPC, so nothing Loom sends may contain it (send False instead).
        self.proxy = xmlrpc.client.ServerProxy(f"{destination.base}/xmlrpc/2/object", transport=transport, allow_none=False)

    def execute(self, model: str, method: str, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        """Call `model.method(*args, **kwargs)` through XML-RPC's `execute_kw` and return its answer.

        Raises OdooCallError (judged by `erp_connector.errors`) when Odoo answers an error or does not answer.
        """
        try:
            return self.proxy.execute_kw(self.database, self.uid, self.secret, model, method, list(args), kwargs)
        except xmlrpc.client.Fault as fault:
            raise xmlrpc_error(fault) from fault
        except xmlrpc.client.ProtocolError as error:
            raise _http_status_error(error.errcode) from error
        except (xmlrpc.client.ResponseError, ExpatError) as error:
            raise _not_odoo() from error
        except (OSError, http.client.HTTPException, ValueError) as error:  # ValueError: an address xmlrpc.client cannot use
            raise _transport_error(error) from error

    def close(self) -> None:
        """Close the kept-alive connection."""
        self.proxy("close")()


class Json2Transport:
    """Odoo 19's `/json/2/<model>/<method>`: named arguments, an API key, HTTP statuses for errors."""

    POSITIONAL = {
        "read": ("ids",),
        "write": ("ids", "vals"),
        "unlink": ("ids",),
        "create": ("vals_list",),
        "search": ("domain",),
        "search_read": ("domain",),
        "search_count": ("domain",),
    }

    def __init__(self, destination: Destination, database: str, api_key: str, *, timeout: float) -> None:
        self.url, self.timeout = destination.base, timeout
        self.session = pinned_session(destination)
        self.session.headers.update({"Authorization": f"bearer {api_key}", "X-Odoo-Database": database})

    def execute(self, model: str, method: str, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        """Call `model.method` through JSON-2 (`/json/2/<model>/<method>`, positional arguments named) and return its answer.
        Raises OdooCallError (judged by `erp_connector.errors`) when Odoo answers an error or does not answer."""
        names = self.POSITIONAL.get(method, ("ids",))
        body = {**dict(zip(names, args, strict=False)), **kwargs}
        try:
            response = self.session.post(f"{self.url}/json/2/{model}/{method}", json=body, timeout=self.timeout)
        except requests.RequestException as error:
            raise _transport_error(error) from error
        if response.status_code == 200:
            return _json_of(response)
        try:
            payload = response.json()
        except ValueError:
            raise _http_status_error(response.status_code) from None
        if not isinstance(payload, dict):
            raise _http_status_error(response.status_code)
        raise json2_error(response.status_code, payload)

    def close(self) -> None:
        """Close the kept-alive HTTP session."""
        self.session.close()


@dataclass
class ServerInfo:
    major: int
    version: str

    def __post_init__(self) -> None:
        # Shown to people and stored (20 characters): only what a version string is made of.
        self.version = re.sub(r"[^0-9A-Za-z.+~-]", "", self.version)[:20]


def _not_odoo() -> OdooCallError:
    return OdooCallError("The server at that address is not an Odoo server.", name="not-odoo", verdict=Verdict.PERMANENT)


def _json_of(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise _not_odoo() from None


def _refused(error: OutboundRefused) -> OdooCallError:
    return OdooCallError(error.message, name="refused", verdict=Verdict.PERMANENT)


def probe(destination: Destination, *, timeout: float = 10) -> ServerInfo:
    """Which Odoo is this? `/web/version` exists from 19 on; older servers answer version_info over JSON-RPC.

    Raises OdooCallError: `transport` when nothing answers, `not-odoo` when something else does.

    `timeout` is in seconds, per request.
    """
    url = destination.base
    try:
        with pinned_session(destination) as session:
            response = session.get(f"{url}/web/version", timeout=timeout)
            if response.status_code == 200 and "json" in response.headers.get("Content-Type", ""):
                info = response.json()
                return ServerInfo(int(info["version_info"][0]), str(info["version"]))
            response = session.post(
                f"{url}/web/webclient/version_info", json={"jsonrpc": "2.0", "method": "call", "params": {}}, timeout=timeout
            )
            if response.status_code != 200 or "json" not in response.headers.get("Content-Type", ""):
                raise _not_odoo()
            info = response.json()["result"]
            return ServerInfo(int(info["server_version_info"][0]), str(info["server_version"]))
    except (KeyError, IndexError, ValueError, TypeError) as error:  # first: a body that is not JSON is also a RequestException
        raise _not_odoo() from error
    except requests.RequestException as error:
        raise _transport_error(error) from error


class OdooClient:
    """The calls the connector makes, the same on every protocol and version."""

    def __init__(self, transport: Transport, server: ServerInfo, protocol: str, *, key_tag: str = "") -> None:
        self.transport = transport
        self.server = server
        self.protocol = protocol
        self.calls = 0  # round trips, for the benchmark and the tests
        # Put before every natural key Loom writes (refs, codes, order numbers), so that two Loom instances —
        # or two runs of the contract tests — sharing one Odoo never find each other's records.
        self.key_tag = key_tag
        self.uid: int | None = None  # the logged-in user, once known

    def execute(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call `method` of `model` in Odoo; raise OdooCallError (see erp_connector.errors for which are retried).

        Control characters are removed from every string sent: XML-RPC cannot carry them (Odoo's
        parser refuses the whole call, every time), and in a note or a name no reader wants them.
        """
        self.calls += 1
        return self.transport.execute(model, method, clean_values(list(args)), clean_values(kwargs))

    def press(self, model: str, method: str, ids: list[int], **kwargs: Any) -> Any:
        """Call a button method of records (`action_lock`, `action_unlock`, ...) whose answer may be None; return the answer.

        Many of Odoo's buttons return None, which XML-RPC cannot carry: the server commits the call,
        then answers fault 1 "cannot marshal None" (seen on real 17, 18 and 19). For a button that
        fault means done, so None is returned. Raises OdooCallError otherwise.
        """
        try:
            return self.execute(model, method, ids, **kwargs)
        except OdooCallError as error:
            if error.name == "xmlrpc.none":
                return None
            raise

    def search_read(self, model: str, domain: list[Any], fields: list[str], **kwargs: Any) -> list[dict[str, Any]]:
        # One round trip (odoo-client-lib's search_read makes two: search, then read).
        """Return the `fields` of the `model` records matching `domain`, in one call. Raises OdooCallError."""
        return self.execute(model, "search_read", domain, fields=fields, **kwargs)

    def create(self, model: str, values: list[dict[str, Any]], *, context: dict[str, Any] | None = None) -> list[int]:
        """Create records from a list of values; always return a list of ids (JSON-2 does, the others may not)."""
        result = self.execute(model, "create", values, **({"context": context} if context else {}))
        return result if isinstance(result, list) else [result]

    def close(self) -> None:
        """Close the client's transport."""
        self.transport.close()


def connect(
    url: str,
    database: str,
    login: str,
    secret: str,
    *,
    protocol: str = "auto",
    timeout: float = 10,
    policy: OutboundPolicy | None = None,
    key_tag: str = "",
) -> OdooClient:
    """Log in with the API key (or password) on the protocol the server's version calls for.

    The address is vetted against `policy` first (https, public addresses only by default; see
    marketplace.outbound) and every call goes to the address it resolved to then. Raises
    OdooCallError (name `refused` when the policy refuses the address).

    `timeout` is in seconds, per call.
    """
    try:
        destination = vet(url, policy or OutboundPolicy())
    except OutboundRefused as error:
        raise _refused(error) from error
    server = probe(destination, timeout=timeout)
    if protocol == "auto":
        protocol = "json2" if server.major >= 19 else "jsonrpc"
    if protocol == "json2":
        if server.major < 19:
            raise OdooCallError(
                f"JSON-2 needs Odoo 19 or later; this server is {server.version}.", name="protocol", verdict=Verdict.PERMANENT
            )
        client = OdooClient(Json2Transport(destination, database, secret, timeout=timeout), server, protocol, key_tag=key_tag)
        client.uid = client.execute("res.users", "context_get")["uid"]  # proves the key and the database
        return client
    common = JsonRpcTransport(destination, database, 0, secret, timeout=timeout)
    try:
        uid = common.call("common", "authenticate", [database, login, secret, {}])
    finally:
        common.close()
    if not uid:
        raise OdooCallError("Odoo refused the login and API key.", name="odoo.exceptions.AccessDenied", verdict=Verdict.PERMANENT)
    transport: Transport = (XmlRpcTransport if protocol == "xmlrpc" else JsonRpcTransport)(
        destination, database, uid, secret, timeout=timeout
    )
    client = OdooClient(transport, server, protocol, key_tag=key_tag)
    client.uid = uid
    return client


def encode(values: Any) -> Any:
    """Replace None with False throughout: Odoo's way of saying 'no value', and all XML-RPC can carry."""
    if values is None:
        return False
    if isinstance(values, dict):
        return {k: encode(v) for k, v in values.items()}
    if isinstance(values, (list, tuple)):
        return [encode(v) for v in values]
    return values


__all__ = ["OdooCallError", "OdooClient", "ServerInfo", "connect", "encode", "probe"]
