"""Checking a group's Odoo connection before it is saved: reachable, Odoo, the right database and key, the apps and rights sync
needs."""

from __future__ import annotations

from dataclasses import dataclass

from erp_connector.access_rights import missing_rights
from erp_connector.client import OdooCallError, connect
from marketplace.outbound import OutboundPolicy

REQUIRED_MODULES = ("sale", "account")


PROTOCOLS = ("auto", "jsonrpc", "xmlrpc", "json2")


@dataclass
class ConnectionCheck:
    ok: bool
    message: str
    server_version: str | None = None
    protocol: str | None = None
    refused: bool = False  # the address itself is not allowed: nothing was called, nothing should be saved


def check_connection(
    url: str, database: str, login: str, api_key: str, protocol: str, *, policy: OutboundPolicy, timeout: float = 10
) -> ConnectionCheck:
    """Try the connection as a person would want it explained: unreachable, not Odoo, wrong database, bad key, missing modules.

    The messages are Loom's own words: nothing the remote server sent is repeated (it could be any
    service the address leads to).

    `timeout` is in seconds, per call. Raises nothing: every failure comes back as a ConnectionCheck that is not `ok`.
    """
    try:
        client = connect(url, database, login, api_key, protocol=protocol, timeout=timeout, policy=policy)
    except OdooCallError as error:
        if error.name == "refused":
            return ConnectionCheck(False, str(error), refused=True)
        if error.name == "transport":
            return ConnectionCheck(
                False, "Loom could not connect to the server at that address: check the address and that the server is running."
            )
        if error.name == "not-odoo" or error.name.startswith("http."):
            return ConnectionCheck(
                False, "The server at that address is not an Odoo server. Check the address (the one you open Odoo at)."
            )
        if error.name == "protocol":
            return ConnectionCheck(False, f"{error} Choose another protocol.")
        if error.name == "psycopg2.OperationalError" or "database" in str(error).lower():
            return ConnectionCheck(
                False,
                f"Wrong database: the server has no database called {database!r}. Check the name on Odoo's database "
                "manager page.",
            )
        return ConnectionCheck(False, "Odoo refused the login or API key. Check the login and make a new API key if needed.")
    version, used = client.server.version, client.protocol
    try:
        installed = {
            row["name"]
            for row in client.search_read(
                "ir.module.module", [["name", "in", list(REQUIRED_MODULES)], ["state", "=", "installed"]], ["name"]
            )
        }
        missing = [m for m in REQUIRED_MODULES if m not in installed]
        if missing:
            return ConnectionCheck(
                False,
                f"Connected, but these Odoo apps are not installed: {', '.join(missing)}. Install them, then test again.",
                version,
                used,
            )
        client.search_read("sale.order", [], ["id"], limit=1)
        lacking = missing_rights(client)
    except OdooCallError:
        return ConnectionCheck(
            False,
            "Connected, but this user may not read sales orders. Give the user Sales / Administrator rights.",
            version,
            used,
        )
    finally:
        client.close()
    if lacking:
        return ConnectionCheck(
            False,
            f"Connected to Odoo {version}, but the user {login!r} cannot "
            + "; cannot ".join(lacking)
            + ". Every order would fail to sync until it can: in Odoo, open Settings › Users, give this user those rights, "
            "then press Test again.",
            version,
            used,
        )
    return ConnectionCheck(True, f"Connected to Odoo {version} over {used}.", version, used)
