"""Which Odoo failures are worth another try: one table, read from the recordings of real Odoo 17, 18 and 19.

Every failure the client sees — an error Odoo answered (JSON-RPC `error.data.name`, an XML-RPC fault's
traceback, a JSON-2 error body) or no answer at all (the transport) — is looked up here once, and the
outbox acts on the verdict: retry later, retry after looking (the call may have committed), or give
up at once with words a group admin can act on. See tests/data/odoo-wire/README.md for the recordings.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
from dataclasses import dataclass
from enum import Enum

import requests


class Verdict(Enum):
    RETRY = "retry"  # Odoo changed nothing; the same call later may work (a busy server, a concurrent update)
    MAYBE_DONE = "maybe-done"  # the call may have committed before the answer was lost: look before retrying
    PERMANENT = "permanent"  # the same call will fail the same way until a person changes something


@dataclass(frozen=True)
class Rule:
    """One row of the table: an error name (exactly, or as a prefix ending in '.'), optionally words in its text."""

    name: str
    verdict: Verdict
    text: str | None = None  # a regular expression the message must contain (case-insensitive)
    advice: str = ""  # what the group's admin can do, shown with Odoo's own message

    def matches(self, name: str, message: str) -> bool:
        """Tell whether an error named `name` with `message` is this row's (a name ending in "." covers a module.

        `text` is a regex).
        """
        named = name == self.name or (self.name.endswith(".") and name.startswith(self.name))
        return named and (self.text is None or re.search(self.text, message, re.IGNORECASE) is not None)


CONCURRENCY = r"could not serialize access|concurrent update|deadlock detected|could not obtain lock|lock_not_available"

# First match wins; an Odoo error no row names is permanent (a traceback Loom does not know will not go away by itself).
ODOO_ERRORS: tuple[Rule, ...] = (
    # Connecting to a database the server does not have: Odoo's psycopg2 fails to connect (recorded: authenticate on "nodb").
    Rule(
        "psycopg2.OperationalError",
        Verdict.PERMANENT,
        r'database "[^"]*" does not exist',
        "Odoo has no database of that name: check the database on Loom's Odoo page.",
    ),
    # Odoo's own database restarting or out of connections: it comes back.
    Rule("psycopg2.OperationalError", Verdict.RETRY),
    # Two transactions wrote the same row; Odoo retries these itself a few times, then gives up and says so.
    Rule("psycopg2.errors.SerializationFailure", Verdict.RETRY),
    Rule("psycopg2.extensions.TransactionRollbackError", Verdict.RETRY),
    Rule("psycopg2.errors.DeadlockDetected", Verdict.RETRY),
    Rule("psycopg2.errors.LockNotAvailable", Verdict.RETRY),
    Rule("odoo.exceptions.ConcurrencyError", Verdict.RETRY),
    # A traceback (XML-RPC fault 1) whose cause is one of those, whatever class carried it.
    Rule("xmlrpc.fault", Verdict.RETRY, CONCURRENCY),
    Rule(
        "odoo.exceptions.AccessDenied",
        Verdict.PERMANENT,
        None,
        "Odoo refused the login or API key: enter a valid key on Loom's Odoo page.",
    ),
    Rule(
        "werkzeug.exceptions.Unauthorized",
        Verdict.PERMANENT,
        None,
        "Odoo refused the API key: enter a valid key on Loom's Odoo page.",
    ),
    Rule(
        "odoo.exceptions.AccessError",
        Verdict.PERMANENT,
        None,
        "The Odoo user Loom logs in as lacks a right: in Odoo, open Settings › Users and give it the rights Loom's Odoo "
        "page lists.",
    ),
    Rule("odoo.exceptions.UserError", Verdict.PERMANENT),
    Rule("odoo.exceptions.ValidationError", Verdict.PERMANENT),
    Rule("odoo.exceptions.MissingError", Verdict.PERMANENT, None, "A record Loom wrote was deleted in Odoo."),
    Rule("odoo.exceptions.RedirectWarning", Verdict.PERMANENT),
    Rule(
        "werkzeug.exceptions.NotFound",
        Verdict.PERMANENT,
        None,
        "This Odoo lacks a model or method Loom needs: check its version and apps.",
    ),
    Rule("builtins.", Verdict.PERMANENT),  # ValueError, AttributeError, KeyError, TypeError: a call Odoo cannot do
    Rule("xmlrpc.fault", Verdict.PERMANENT),
)


def judge(name: str, message: str) -> tuple[Verdict, str]:
    """Return the verdict on an error Odoo answered and the advice for it ("" when none).

    `name` is Odoo's exception class as the protocol gives it (`odoo.exceptions.UserError`,
    `psycopg2.OperationalError`, `xmlrpc.fault` for an XML-RPC fault 1 traceback); `message` its text
    (for a traceback, the whole of it).
    """
    for rule in ODOO_ERRORS:
        if rule.matches(name, message):
            return rule.verdict, rule.advice
    return Verdict.PERMANENT, ""


def fault_cause(traceback: str) -> tuple[str, str]:
    """Return the exception class an XML-RPC fault 1 traceback ends with and its message.

    ('psycopg2.errors.SerializationFailure', 'could not serialize access due to concurrent update');
    ('xmlrpc.fault', the last line) when no line names an exception.
    """
    lines = traceback.strip().splitlines() or [""]
    for at in range(len(lines) - 1, -1, -1):
        found = re.match(r"^([A-Za-z_][\w.]*(?:Error|Exception|Failure|Warning|Denied|Unauthorized|NotFound)): ?(.*)$", lines[at])
        if found:
            name = found.group(1)
            message = "\n".join([found.group(2), *lines[at + 1 :]]).strip()
            return (name if "." in name else f"builtins.{name}"), message
    return "xmlrpc.fault", lines[-1]


def judge_transport(error: BaseException) -> tuple[Verdict, str]:
    """Return the verdict on a call that got no answer from Odoo, and what to tell the admin.

    A certificate Loom cannot verify and an address that is no URL stay so until someone fixes them;
    a refused connection was never sent; a timeout or a connection lost mid-call may have committed.
    """
    if isinstance(error, (requests.exceptions.SSLError, ssl.SSLError)):
        return Verdict.PERMANENT, "Loom cannot verify the TLS certificate of this Odoo: check its https address and certificate."
    if isinstance(
        error,
        (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
            requests.exceptions.URLRequired,
            http.client.InvalidURL,
        ),
    ):
        return Verdict.PERMANENT, "The Odoo address is not a valid URL: correct it on Loom's Odoo page."
    if isinstance(error, (requests.exceptions.ConnectTimeout, ConnectionRefusedError, socket.gaierror)):
        return Verdict.RETRY, ""
    if isinstance(error, requests.exceptions.ConnectionError) and _refused(error):
        return Verdict.RETRY, ""
    if isinstance(
        error,
        (requests.Timeout, socket.timeout, TimeoutError, requests.ConnectionError, http.client.HTTPException, ConnectionError),
    ):
        return Verdict.MAYBE_DONE, ""
    if isinstance(error, ValueError):  # xmlrpc.client's "unknown url type" and the like
        return Verdict.PERMANENT, "The Odoo address is not a valid URL: correct it on Loom's Odoo page."
    return Verdict.RETRY, ""


def _refused(error: requests.exceptions.ConnectionError) -> bool:
    # requests wraps urllib3's NewConnectionError (refused, unknown host): the request never left.
    text = str(error)
    return "NewConnectionError" in text or "Name or service not known" in text or "Connection refused" in text


def judge_http(status: int) -> Verdict:
    """Return the verdict on an HTTP status that is not Odoo's own answer (a proxy in front of it, Odoo restarting).

    A gateway timeout (504) let the call run on behind the proxy: it may have committed.
    """
    if status in (408, 504):
        return Verdict.MAYBE_DONE
    return Verdict.RETRY if status >= 500 or status == 429 else Verdict.PERMANENT


__all__ = ["ODOO_ERRORS", "Rule", "Verdict", "fault_cause", "judge", "judge_http", "judge_transport"]
