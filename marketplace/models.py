"""Import every model module so the metadata knows every table (for Alembic and the tests)."""

from __future__ import annotations


def load_all_models() -> None:
    import erp_connector.models  # noqa: F401
    import marketplace.accounts.models  # noqa: F401
    import marketplace.api.models  # noqa: F401
    import marketplace.billing.models  # noqa: F401
    import marketplace.orders.models  # noqa: F401
    import marketplace.outbox.models  # noqa: F401
    import marketplace.pagecache  # noqa: F401 - the public generation
    import marketplace.producers.models  # noqa: F401
    import marketplace.reputation.models  # noqa: F401
    import marketplace.sourcing.models  # noqa: F401
    import marketplace.submissions.models  # noqa: F401
    import marketplace.trace.models  # noqa: F401
    import payments.models  # noqa: F401
