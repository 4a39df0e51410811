"""The double's HTTP face: /xmlrpc/2/{common,object}, /jsonrpc, /json/2/<model>/<method>, version probes,
Odoo's error envelopes per protocol and version, one transaction per call, and injectable faults."""

from __future__ import annotations

import json
import threading
import time
import traceback
import xmlrpc.client
from collections import deque
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from tests.odoo_double.catalog import build
from tests.odoo_double.orm import (
    AccessError,
    Database,
    OdooAttributeError,
    OdooError,
    OdooValueError,
    UnknownModel,
    ValidationError,
)

PLAIN_METHODS = {
    "create",
    "read",
    "search",
    "search_read",
    "search_count",
    "write",
    "unlink",
    "fields_get",
    "check_access_rights",
    "has_access",
}


@dataclass
class Fault:
    """A failure to inject into the next RPC calls (see OdooDouble.inject)."""

    kind: str  # "down" | "bad_gateway" | "slow" | "refuse" | "timeout_after_commit" | "drop_after_commit"
    times: int = 1
    seconds: float = 0.0
    match: str | None = None  # only requests whose path or body contains this text


class Unauthorized(OdooError):
    name = "werkzeug.exceptions.Unauthorized"
    json2_status = 401


class NotFound(OdooError):
    name = "werkzeug.exceptions.NotFound"
    json2_status = 404


def _traceback(error: BaseException) -> str:
    return 'Traceback (most recent call last):\n  File "<odoo>/odoo/http.py", line 1783, in _serve_db\n' + "".join(
        traceback.format_exception_only(type(error), error)
    ).replace(type(error).__name__, error.name if isinstance(error, OdooError) else type(error).__name__, 1)


class OdooDouble:
    """`with OdooDouble(version=17) as odoo:` serves one database `odoo` (login admin/admin) on 127.0.0.1."""

    def __init__(self, *, version: int = 17, database: str = "odoo", api_key: str = "loom-test-api-key") -> None:
        self.version = version
        self.db: Database = build(database, version)
        self.db.api_keys[api_key] = 2
        self.api_key = api_key
        self.calls: list[tuple[str, str, str]] = []  # (protocol, model, method), for tests that count round trips
        self.faults: deque[Fault] = deque()
        self.lock = threading.Lock()
        self._refusing = threading.local()  # set while a call injected with "refuse" runs
        self._server = make_server("127.0.0.1", 0, self.wsgi, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> OdooDouble:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def inject(self, kind: str, *, times: int = 1, seconds: float = 0.0, match: str | None = None) -> None:
        self.faults.append(Fault(kind, times, seconds, match))

    def _next_fault(self, path: str, body: bytes) -> Fault | None:
        if not self.faults:
            return None
        fault = self.faults[0]
        if fault.match is not None and fault.match.encode() not in path.encode() + b" " + body:
            return None
        fault.times -= 1
        if fault.times <= 0:
            self.faults.popleft()
        return fault

    # ----- calls ---------------------------------------------------------------------------------

    def _login(self, database: str, login: str, password: str) -> int | bool:
        if database != self.db.name:
            raise _DatabaseMissing(database)
        for uid, user in self.db.users.items():
            if user["login"] == login and user["password"] == password:
                return uid
        return False

    def _check(self, database: str, uid: int, password: str) -> None:
        if database != self.db.name:
            raise _DatabaseMissing(database)
        user = self.db.users.get(uid)
        if user is None or password not in (user["password"], *[k for k, u in self.db.api_keys.items() if u == uid]):
            raise AccessError("Access Denied")

    def execute(
        self, uid: int, model_name: str, method: str, args: list[Any], kwargs: dict[str, Any], *, json2: bool = False
    ) -> Any:
        """Run one model method as Odoo's ORM would, inside its own transaction."""
        self.calls.append(("json2" if json2 else "rpc", model_name, method))
        if getattr(self._refusing, "active", False):
            raise ValidationError("The operation cannot be completed: this record was refused (a fault injected by the test).")
        if method.startswith("_"):
            where = f"'{model_name}.{method}'" if json2 else method
            raise AccessError(f"Private methods (such as {where}) cannot be called remotely.")
        if json2 and model_name not in self.db.models:
            raise NotFound(f"the model '{model_name}' does not exist")
        model = self.db.model(model_name)
        db = self.db
        if method in PLAIN_METHODS and self._exists(method):
            self.db.context = kwargs.get("context") or {}  # what searches (active_test) and wizards' default_get read
            try:
                return getattr(self, f"_{method}")(uid, model_name, args, kwargs, json2)
            finally:
                self.db.context = {}
        handler = model.methods.get(method) if method not in PLAIN_METHODS else None
        if handler is None or method == "_after_create":
            if json2:
                raise NotFound(f"The method '{model_name}.{method}' does not exist")
            raise OdooAttributeError(f"The method '{method}' does not exist on the model '{model_name}'")
        ids = kwargs.pop("ids", None) if json2 else (args[0] if args else [])
        rest = [] if json2 else list(args[1:])
        return handler(db, uid, list(ids or []), *rest, **kwargs)

    def _exists(self, method: str) -> bool:
        # check_access_rights (an @api.model method) is 17's way to ask for a right; 18 adds has_access (on a
        # recordset, empty for the model's rights) and deprecates the former; 19 has only has_access.
        return {"check_access_rights": self.version < 19, "has_access": self.version >= 18}.get(method, True)

    def _allowed(self, uid: int, model: str, operation: str) -> bool:
        if operation not in ("read", "write", "create", "unlink"):
            raise OdooValueError(f"Invalid access mode {operation!r}")
        self.db.model(model)
        return operation != "create" or model not in self.db.users.get(uid, {}).get("create_forbidden", set())

    def _check_access_rights(self, uid: int, model: str, args: list[Any], kwargs: dict[str, Any], json2: bool) -> Any:
        operation = kwargs.get("operation") if json2 else (args[0] if args else kwargs.get("operation"))
        allowed = self._allowed(uid, model, operation)
        if not allowed and kwargs.get("raise_exception", True):
            self.db.check_create_rights(uid, self.db.models[model])
        return allowed

    def _has_access(self, uid: int, model: str, args: list[Any], kwargs: dict[str, Any], json2: bool) -> Any:
        operation = kwargs.get("operation") if json2 else (args[1] if len(args) > 1 else kwargs.get("operation"))
        return self._allowed(uid, model, operation)

    # generic ORM methods, with Odoo's argument conventions (positional over RPC, named over JSON-2)
    def _create(self, uid: int, model: str, args: list[Any], kwargs: dict[str, Any], json2: bool) -> Any:
        values = kwargs.pop("vals_list") if json2 else (args[0] if args else kwargs.pop("vals_list"))
        values_list = values if isinstance(values, list) else [values]
        active = (kwargs.get("context") or {}).get("active_ids")
        if model == "sale.advance.payment.inv" and active:  # the wizard invoices the orders it was opened on
            values_list = [{"sale_order_ids": [[6, 0, active]], **v} for v in values_list]
        ids = self.db.create(uid, model, values_list)
        return ids if json2 or isinstance(values, list) else ids[0]

    def _read(self, uid: int, model: str, args: list[Any], kwargs: dict[str, Any], json2: bool) -> Any:
        ids = kwargs.pop("ids") if json2 else args[0]
        fields = kwargs.get("fields") if json2 or len(args) < 2 else args[1]
        return self.db.read(model, list(ids), fields)

    def _search(self, uid: int, model: str, args: list[Any], kwargs: dict[str, Any], json2: bool) -> Any:
        domain = kwargs.get("domain", []) if json2 else (args[0] if args else kwargs.get("domain", []))
        return self.db.search(model, domain, offset=kwargs.get("offset", 0), limit=kwargs.get("limit"), order=kwargs.get("order"))

    def _search_read(self, uid: int, model: str, args: list[Any], kwargs: dict[str, Any], json2: bool) -> Any:
        domain = kwargs.get("domain", []) if json2 else (args[0] if args else kwargs.get("domain", []))
        fields = kwargs.get("fields") if json2 or len(args) < 2 else args[1]
        ids = self.db.search(model, domain, offset=kwargs.get("offset", 0), limit=kwargs.get("limit"), order=kwargs.get("order"))
        return self.db.read(model, ids, fields)

    def _search_count(self, uid: int, model: str, args: list[Any], kwargs: dict[str, Any], json2: bool) -> Any:
        domain = kwargs.get("domain", []) if json2 else (args[0] if args else kwargs.get("domain", []))
        return len(self.db.search(model, domain))

    def _write(self, uid: int, model: str, args: list[Any], kwargs: dict[str, Any], json2: bool) -> Any:
        ids, values = (kwargs.pop("ids"), kwargs.pop("vals")) if json2 else (args[0], args[1])
        return self.db.write(uid, model, list(ids), values)

    def _unlink(self, uid: int, model: str, args: list[Any], kwargs: dict[str, Any], json2: bool) -> Any:
        ids = kwargs.pop("ids") if json2 else args[0]
        for i in ids:
            self.db.models[model].records.pop(i, None)
        return True

    def _fields_get(self, uid: int, model: str, args: list[Any], kwargs: dict[str, Any], json2: bool) -> Any:
        return self.db.fields_get(model, kwargs.get("attributes"))

    def transaction(self, function, *args: Any, **kwargs: Any) -> Any:  # type: ignore[no-untyped-def]
        """Each RPC call commits alone or changes nothing."""
        with self.lock:
            state = self.db.begin()
            try:
                result = function(*args, **kwargs)
            except BaseException:
                self.db.rollback(state)
                raise
            self.db.commit()
            return result

    # ----- HTTP ----------------------------------------------------------------------------------

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self.respond(request)(environ, start_response)

    def respond(self, request: Request) -> Response:
        path = request.path
        if path == "/web/version" and request.method == "GET":
            if self.version < 19:
                return Response(
                    "<!DOCTYPE html><html><head><title>Odoo</title></head><body>404: Page not found</body></html>",
                    404,
                    content_type="text/html;charset=utf-8",
                )
            return _json({"version_info": [self.version, 0, 0, "final", 0, ""], "version": f"{self.version}.0"})
        if path == "/web/webclient/version_info":
            return _json({"jsonrpc": "2.0", "id": None, "result": self._version()})
        if path == "/jsonrpc":
            if request.method != "POST":
                status = 415 if self.version >= 19 else 400
                return Response(
                    f"<!doctype html>\n<html lang=en>\n<title>{status}</title>\n<p>Request inferred type is compatible "
                    "with ['http'] but '/jsonrpc' is type='json'.</p>\n",
                    status,
                    content_type="text/html; charset=utf-8",
                )
            return self._faulty(request, lambda: self._jsonrpc(request))
        if path in ("/xmlrpc/2/common", "/xmlrpc/2/object", "/xmlrpc/common", "/xmlrpc/object"):  # Odoo serves both paths
            return self._faulty(request, lambda: self._xmlrpc(request, path.rsplit("/", 1)[1]))
        if path.startswith("/json/2/") and self.version >= 19:
            return self._faulty(request, lambda: self._json2(request))
        return Response("Not Found", 404, content_type="text/html; charset=utf-8")

    def _faulty(self, request: Request, serve) -> Response:  # type: ignore[no-untyped-def]
        fault = self._next_fault(request.path, request.get_data())
        if fault is None:
            return serve()
        if fault.kind == "bad_gateway":
            return Response("<html><body><h1>502 Bad Gateway</h1></body></html>", 502, content_type="text/html")
        if fault.kind == "down":
            return Response("<html><body><h1>503 Service Unavailable</h1></body></html>", 503, content_type="text/html")
        if fault.kind == "refuse":  # Odoo refuses this call for good, in the protocol's own error form
            self._refusing.active = True
            try:
                return serve()
            finally:
                self._refusing.active = False
        if fault.kind == "slow":  # a busy server: the call waits before it runs (other calls run meanwhile)
            time.sleep(fault.seconds)
            return serve()
        response = serve()  # the call is served and committed...
        if fault.kind == "timeout_after_commit":
            time.sleep(fault.seconds)  # ...but the answer comes after the client gave up
            return response
        raise ConnectionAbortedError("dropped after commit")  # ...or the connection drops before the answer

    def _version(self) -> dict[str, Any]:
        return {
            "server_version": f"{self.version}.0",
            "server_version_info": [self.version, 0, 0, "final", 0, ""],
            "server_serie": f"{self.version}.0",
            "protocol_version": 1,
        }

    def _dispatch(self, service: str, method: str, args: list[Any]) -> Any:
        if service == "common":
            if method == "version":
                return self._version()
            if method in ("login", "authenticate"):
                return self._login(*args[:3])
            raise OdooAttributeError(f"The method {method!r} does not exist")
        if service == "object" and method == "execute_kw":
            database, uid, password, model, model_method, *rest = args
            self._check(database, uid, password)
            positional = rest[0] if rest else []
            keywords = dict(rest[1]) if len(rest) > 1 else {}
            return self.transaction(self.execute, uid, model, model_method, list(positional), keywords)
        raise OdooAttributeError(f"The method {method!r} does not exist on the service {service!r}")

    def _jsonrpc(self, request: Request) -> Response:
        try:
            payload = json.loads(request.get_data(as_text=True))
        except ValueError:
            return Response("Invalid JSON data", 400, content_type="text/html; charset=utf-8")
        params = payload.get("params", {})
        try:
            result = self._dispatch(params.get("service"), params.get("method"), params.get("args", []))
        except Exception as error:  # noqa: BLE001 - every error becomes Odoo's envelope
            return _json({"jsonrpc": "2.0", "id": payload.get("id"), "error": self._envelope(error)})
        # Odoo leaves `result` out when a method returned None (a button such as action_lock): as recorded on 17, 18 and 19.
        return _json({"jsonrpc": "2.0", "id": payload.get("id"), **({"result": result} if result is not None else {})})

    def _envelope(self, error: Exception) -> dict[str, Any]:
        name = error.name if isinstance(error, OdooError) else f"builtins.{type(error).__name__}"
        message = error.message if isinstance(error, OdooError) else str(error)
        return {
            "code": 0 if self.version >= 19 else 200,
            "message": "Odoo Server Error",
            "data": {"name": name, "debug": _traceback(error), "message": message, "arguments": [message], "context": {}},
        }

    def _xmlrpc(self, request: Request, service: str) -> Response:
        params, method = xmlrpc.client.loads(request.get_data())
        try:
            result = self._dispatch(service, method, list(params))
            body = xmlrpc.client.dumps((result,), methodresponse=True, allow_none=False)
        except Exception as error:  # noqa: BLE001
            # XML-RPC cannot carry None: a method that returns one fails here, after its transaction committed.
            code = error.xmlrpc_fault if isinstance(error, OdooError) else 1
            text = error.message if isinstance(error, OdooError) and code != 1 else _traceback(error)
            body = xmlrpc.client.dumps(xmlrpc.client.Fault(code, text), methodresponse=True, allow_none=False)
        return Response(body, 200, content_type="text/xml; charset=utf-8")

    def _json2(self, request: Request) -> Response:
        _, _, model, method = request.path.split("/", 4)[1:] if request.path.count("/") >= 4 else ("", "", "", "")
        authorization = request.headers.get("Authorization", "")
        key = authorization.split(" ", 1)[1] if " " in authorization else ""
        try:
            uid = self.db.api_keys.get(key)
            if uid is None:
                raise Unauthorized("Invalid apikey")
            database = request.headers.get("X-Odoo-Database", self.db.name)
            if database != self.db.name:
                raise NotFound(f"database {database!r} not found")
            body = json.loads(request.get_data(as_text=True) or "{}")
            result = self.transaction(self.execute, uid, model, method, [], body, json2=True)
        except ValueError as error:
            if not isinstance(error, OdooError):
                error = OdooValueError(str(error))
            return self._json2_error(error)
        except Exception as error:  # noqa: BLE001
            return self._json2_error(error if isinstance(error, OdooError) else OdooValueError(str(error)))
        return _json(result)

    def _json2_error(self, error: OdooError) -> Response:
        body = {
            "name": error.name,
            "message": error.message,
            "arguments": [error.message, error.json2_status] if error.json2_status == 401 else [error.message],
            "context": {},
            "debug": _traceback(error),
        }
        return _json(body, error.json2_status)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class _DatabaseMissing(OdooError):
    name = "psycopg2.OperationalError"
    xmlrpc_fault = 1
    json2_status = 404

    def __init__(self, database: str) -> None:
        super().__init__(f'connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "{database}" does not exist\n')


def _json(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value), status, content_type="application/json; charset=utf-8")


__all__ = ["OdooDouble", "UnknownModel"]
