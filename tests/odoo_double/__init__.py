"""An Odoo double for the test suite: Odoo's own protocols over HTTP, Odoo's semantics in memory.

No Odoo can be installed here, so the connector's contract tests talk to this server instead; the
same tests run against a real Odoo when LOOM_TEST_ODOO_URL is set. It is specified by the
recordings in tests/data/odoo-wire (a replay test compares every shape), not by the connector.
"""

from tests.odoo_double.server import OdooDouble

__all__ = ["OdooDouble"]
