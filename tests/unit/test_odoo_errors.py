"""The table of Odoo failures, row by row: what real Odoo 17/18/19 answered (the recordings in
tests/data/odoo-wire/) and what the transports raise, judged retryable, "maybe done" or permanent."""

from __future__ import annotations

import http.client
import json
import ssl
import xmlrpc.client
from pathlib import Path

import pytest
import requests

from erp_connector.client import OdooCallError, _http_status_error, _transport_error, json2_error, jsonrpc_error, xmlrpc_error
from erp_connector.errors import ODOO_ERRORS, Verdict, fault_cause, judge

WIRE = Path(__file__).parents[1] / "data" / "odoo-wire"


def recorded(step: str) -> list[tuple[str, OdooCallError]]:
    """Each recording of that step (every version and protocol), as the client turns its answer into an error."""
    errors = []
    for path in sorted(WIRE.glob("odoo-*.jsonl")):
        for line in path.read_text().splitlines():
            exchange = json.loads(line)
            if exchange["step"] != step:
                continue
            response = exchange["response"]
            if response["body"].startswith("<?xml"):
                body = response["body"]
                for placeholder in ("<odoo>", "<python>", "<site-packages>"):  # the recordings' path redactions are not XML
                    body = body.replace(placeholder, placeholder.replace("<", "&lt;").replace(">", "&gt;"))
                try:
                    xmlrpc.client.loads(body)
                except xmlrpc.client.Fault as fault:
                    errors.append((path.name, xmlrpc_error(fault)))
            elif path.name.endswith("json2.jsonl"):
                errors.append((path.name, json2_error(response["status"], json.loads(response["body"]), response["body"])))
            else:
                errors.append((path.name, jsonrpc_error(json.loads(response["body"])["error"])))
    assert errors, f"no recording of {step!r}"
    return errors


SERIALIZATION_TRACEBACK = """Traceback (most recent call last):
  File "<odoo>/odoo/service/model.py", line 156, in retrying
    result = func()
  File "<site-packages>/psycopg2/extras.py", line 236, in execute
    return super().execute(query, vars)
psycopg2.errors.SerializationFailure: could not serialize access due to concurrent update
"""


def test_every_row_of_the_table_is_reachable() -> None:
    # A row after one of the same name that matches any text would never decide anything.
    for at, rule in enumerate(ODOO_ERRORS):
        assert not any(earlier.name == rule.name and earlier.text is None for earlier in ODOO_ERRORS[:at]), rule


def test_a_wrong_database_name_is_permanent_on_every_version_and_protocol() -> None:
    for name, error in recorded("authenticate on a database that does not exist"):
        assert error.name == "psycopg2.OperationalError", name
        assert not error.retryable and error.verdict == Verdict.PERMANENT, name
        assert "no database of that name" in str(error), name


def test_another_operational_error_of_odoos_database_is_retried() -> None:
    error = jsonrpc_error(
        {"code": 200, "data": {"name": "psycopg2.OperationalError", "message": "server closed the connection unexpectedly"}}
    )
    assert error.retryable and error.verdict == Verdict.RETRY


def test_an_xmlrpc_fault_1_whose_traceback_is_a_serialization_failure_is_retried() -> None:
    error = xmlrpc_error(xmlrpc.client.Fault(1, SERIALIZATION_TRACEBACK))
    assert error.name == "psycopg2.errors.SerializationFailure" and error.retryable
    assert str(error) == "could not serialize access due to concurrent update"


def test_jsonrpc_names_the_serialization_failure_and_it_is_retried() -> None:
    error = jsonrpc_error(
        {
            "code": 200,
            "data": {
                "name": "psycopg2.errors.SerializationFailure",
                "message": "could not serialize access",
                "debug": SERIALIZATION_TRACEBACK,
            },
        }
    )
    assert error.retryable


@pytest.mark.parametrize(
    "name",
    [
        "odoo.exceptions.ConcurrencyError",
        "psycopg2.errors.DeadlockDetected",
        "psycopg2.errors.LockNotAvailable",
        "psycopg2.extensions.TransactionRollbackError",
    ],
)
def test_other_concurrency_failures_are_retried(name: str) -> None:
    assert judge(name, "")[0] == Verdict.RETRY


def test_a_fault_1_that_only_mentions_a_concurrent_update_is_retried() -> None:
    assert judge("xmlrpc.fault", "Traceback ...\ncould not serialize access due to concurrent update")[0] == Verdict.RETRY


def test_access_errors_are_permanent_and_say_what_to_do() -> None:
    for step in ("sales user creates account.move (access error)", "call a private method"):
        for name, error in recorded(step):
            assert error.name == "odoo.exceptions.AccessError" and not error.retryable, name
            assert "Settings › Users" in str(error), name


def test_a_refused_api_key_is_permanent() -> None:
    [(name, error)] = recorded("json2 with a wrong API key")
    assert error.name == "werkzeug.exceptions.Unauthorized" and not error.retryable
    assert judge("odoo.exceptions.AccessDenied", "Access Denied")[0] == Verdict.PERMANENT


@pytest.mark.parametrize(
    "step",
    [
        "action_confirm on a confirmed order",
        "create product with a barcode already used (constraint)",
        "call on a model that does not exist",
    ],
)
def test_user_and_validation_errors_are_permanent(step: str) -> None:
    for name, error in recorded(step):
        assert not error.retryable, name
        assert error.name.startswith(("odoo.exceptions.", "werkzeug.exceptions.")), name


@pytest.mark.parametrize(
    "step", ["create with an unknown field", "write commitment_date in ISO 'T' form", "call a method that does not exist"]
)
def test_value_and_attribute_errors_are_permanent(step: str) -> None:
    for name, error in recorded(step):
        assert not error.retryable, (name, error.name)


def test_the_message_of_a_multi_line_fault_is_kept_whole() -> None:
    name, message = fault_cause(
        'Traceback:\n  File "x"\nodoo.exceptions.ValidationError: Barcode(s) already assigned:\n\n- Barcode "B1"\n'
    )
    assert name == "odoo.exceptions.ValidationError" and message.startswith("Barcode(s)") and message.endswith('- Barcode "B1"')
    assert fault_cause("Traceback:\nValueError: Invalid field 'x'")[0] == "builtins.ValueError"


def test_an_answer_xmlrpc_cannot_carry_is_maybe_done() -> None:
    error = xmlrpc_error(xmlrpc.client.Fault(1, "Traceback ...\nTypeError: cannot marshal None unless allow_none is enabled"))
    assert error.retryable and error.verdict == Verdict.MAYBE_DONE


@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.SSLError("certificate verify failed"),
        ssl.SSLCertVerificationError(1, "certificate verify failed"),
        ssl.SSLError(1, "wrong version number"),
    ],
)
def test_tls_failures_are_permanent(error: BaseException) -> None:
    judged = _transport_error(error)
    assert not judged.retryable and "TLS certificate" in str(judged)


@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.InvalidURL("Invalid URL 'http://'"),
        requests.exceptions.MissingSchema("No scheme supplied"),
        requests.exceptions.InvalidSchema("No connection adapters"),
        http.client.InvalidURL("nonnumeric port"),
    ],
)
def test_an_address_that_is_no_url_is_permanent(error: BaseException) -> None:
    judged = _transport_error(error)
    assert not judged.retryable and "not a valid URL" in str(judged)


@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.ReadTimeout("read timed out"),
        TimeoutError("timed out"),
        TimeoutError(),
        ConnectionResetError(104, "reset"),
        http.client.RemoteDisconnected("closed"),
    ],
)
def test_a_call_that_timed_out_or_lost_its_answer_is_maybe_done(error: BaseException) -> None:
    judged = _transport_error(error)
    assert judged.retryable and judged.verdict == Verdict.MAYBE_DONE


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "refused"),
        requests.exceptions.ConnectTimeout("connect timed out"),
        requests.exceptions.ConnectionError("HTTPConnectionPool: NewConnectionError: Connection refused"),
    ],
)
def test_a_call_that_never_left_is_retried_without_doubt(error: BaseException) -> None:
    judged = _transport_error(error)
    assert judged.retryable and judged.verdict == Verdict.RETRY


@pytest.mark.parametrize(
    ("status", "retryable", "maybe_done"),
    [(502, True, False), (503, True, False), (429, True, False), (504, True, True), (404, False, False), (400, False, False)],
)
def test_http_statuses_from_a_proxy(status: int, retryable: bool, maybe_done: bool) -> None:
    error = _http_status_error(status, "<html>")
    assert (error.retryable, error.verdict == Verdict.MAYBE_DONE) == (retryable, maybe_done)
