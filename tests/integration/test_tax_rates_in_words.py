"""A tax rate is written as the reader's locale writes numbers, wherever Loom says it: the pages (`|number`), the
Odoo tax a group picks, and the e-mails' "It includes ..." sentence. They were written with Python's `:f`, so French
read "7.5 %" beside "7,5 %" on the order page."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import Flask
from flask_babel import force_locale

from erp_connector.sale_taxes import SaleTax
from marketplace.billing.services import tax_sentence


@pytest.mark.parametrize("locale, rate", [("en", "7.5"), ("fr", "7,5"), ("es", "7,5"), ("hi", "7.5")])
def test_a_tax_rate_reads_as_the_locale_writes_numbers(app: Flask, locale: str, rate: str) -> None:
    order = SimpleNamespace(tax_rate=Decimal("7.5000"), tax_name="TVA")
    invoice = SimpleNamespace(order=order, tax_amount=Decimal("7.50"), currency="EUR")
    with app.test_request_context("/"), force_locale(locale):
        assert f"({rate} %)" in str(tax_sentence(invoice))  # type: ignore[arg-type]
        assert f"TVA — {rate} %" in SaleTax(1, "TVA", Decimal("7.5000"), included=True).label
        assert f"TVA — {rate} %" in SaleTax(1, "TVA", Decimal("7.5000"), included=False).label
