"""On a 390 px phone with JavaScript off, a producer group whose buyer paid into the group's own account sees Loom's fee
it owes and the refund it owes the buyer, and marks the refund sent; the fee on the refunded part is given back. The
operator voids a fee statement with a reason, and both past-statement lists say who voided it, when and why."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from marketplace.accounts.models import Membership, User
from marketplace.billing.models import Invoice, InvoiceStatus
from marketplace.demo import DEMO_PASSWORD
from marketplace.money import format_money, round_money
from marketplace.producers.models import ProducerGroup
from marketplace.secrets import SecretBox
from payments import fees, refunds, settlement
from payments.models import CollectingAccount, FeeEntry, FeeEntryKind
from payments.settings import Settings
from tests.e2e.conftest import page_width, save_screenshot

PHONE = {"width": 390, "height": 844}


def _paid_into_the_groups_account_then_partly_refunded(app: Flask) -> tuple[Invoice, Decimal, Decimal]:
    """The demo producer's group gets its own account; an open invoice is paid into it and 10 % of it is refunded."""
    from marketplace.db import db

    with app.app_context():
        session = db.session
        user = session.scalar(select(User).where(User.email == "producer@demo.loom"))
        operator = session.scalar(select(User).where(User.email == "operator@demo.loom"))
        membership = session.scalar(select(Membership).where(Membership.user_id == user.id))
        group = session.scalar(select(ProducerGroup).where(ProducerGroup.organization_id == membership.organization_id))
        invoice = session.scalar(
            select(Invoice).where(Invoice.group_id == group.id, Invoice.status == InvoiceStatus.OPEN).order_by(Invoice.id)
        )
        assert invoice is not None, "the demo producer's group has no open invoice to pay"
        box = SecretBox(app.config["SECRETS_KEY"])
        session.add(
            CollectingAccount(
                group_id=group.id,
                details_secret=box.seal("Equity Bank\nCooperative\n0180 2993 4471 23"),
                details_hint="Equity Bank ···7123",
            )
        )
        session.commit()
        settings = Settings.from_config(app.config)
        settlement.record_bank_transfer(
            session, operator.id, invoice.id, amount=invoice.amount, reference="EQ-77120", settings=settings
        )
        refund = (invoice.amount / 10).quantize(Decimal("0.01"))
        refunds.refund_part(session, operator.id, invoice.id, amount=refund, reason="Ten pieces arrived torn", settings=settings)
        owed = sum((a for _i, a in fees.owed_per_invoice(session, group.id, invoice.currency)), Decimal(0))
        session.expunge(invoice)
        session.commit()
        return invoice, refund, owed


def _sign_in(page: Page, live_url: str) -> None:
    page.goto(f"{live_url}/login")
    page.get_by_label("E-mail").fill("producer@demo.loom")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_a_group_sees_the_fee_and_the_refund_it_owes_and_marks_the_refund_sent_from_a_phone(
    browser: Browser, live_app: Flask, live_url: str, screenshots: Path, pytestconfig: pytest.Config
) -> None:
    invoice, refund, owed = _paid_into_the_groups_account_then_partly_refunded(live_app)
    context = browser.new_context(viewport=PHONE, is_mobile=True, java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, live_url)
    page.goto(f"{live_url}/manage/payouts")

    expect(page.get_by_role("heading", name="Refunds you owe buyers")).to_be_visible()
    expect(
        page.get_by_role("heading", name=re.compile(rf"^Send {re.escape(format_money(refund, invoice.currency))} back to"))
    ).to_be_visible()
    expect(page.get_by_text("EQ-77120")).to_be_visible()  # the buyer's own transfer, to match them by
    expect(page.get_by_role("heading", name="Fees owed to Loom")).to_be_visible()
    expect(page.get_by_text(f"You owe {format_money(owed, invoice.currency)}")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    save_screenshot(pytestconfig, page, screenshots / "producer-manage-payouts-fees-and-refunds-due.png")
    with_js = browser.new_context(viewport=PHONE, is_mobile=True)  # axe-core runs in the page: it needs JavaScript
    checked = with_js.new_page()
    _sign_in(checked, live_url)
    checked.goto(f"{live_url}/manage/payouts")
    violations = Axe().run(checked).response["violations"]
    with_js.close()
    assert violations == [], [f"{v['id']}: {v['help']}" for v in violations]

    card = page.locator("#refunds-due li").first
    card.get_by_label("Amount sent back").fill(str(refund))
    card.get_by_label("Bank reference of the transfer back").fill("EQ-REF-4410")
    card.get_by_role("button", name="I sent it back").click()
    expect(page.get_by_text("the refund is recorded as sent")).to_be_visible()
    expect(page.get_by_role("heading", name="Refunds you owe buyers")).to_have_count(0)
    with live_app.app_context():
        from marketplace.db import db

        now_owed = sum((a for _i, a in fees.owed_per_invoice(db.session, invoice.group_id, invoice.currency)), Decimal(0))
        db.session.commit()
    assert now_owed == round_money((invoice.amount - refund) * owed / invoice.amount, invoice.currency)  # the fee on 9/10 stays
    expect(page.get_by_text(f"You owe {format_money(now_owed, invoice.currency)}")).to_be_visible()
    save_screenshot(pytestconfig, page, screenshots / "producer-manage-payouts-refund-sent.png")
    context.close()


def _a_fee_statement_issued_to_the_demo_group(app: Flask) -> tuple[str, str]:
    """A fee owed on one of the demo producer's invoices (paid into its own account), billed by a statement."""
    from marketplace.db import db

    with app.app_context():
        session = db.session
        user = session.scalar(select(User).where(User.email == "producer@demo.loom"))
        operator = session.scalar(select(User).where(User.email == "operator@demo.loom"))
        membership = session.scalar(select(Membership).where(Membership.user_id == user.id))
        group = session.scalar(select(ProducerGroup).where(ProducerGroup.organization_id == membership.organization_id))
        charged = set(session.scalars(select(FeeEntry.invoice_id).where(FeeEntry.kind == FeeEntryKind.CHARGED)))
        invoice = next(i for i in session.scalars(select(Invoice).where(Invoice.group_id == group.id)) if i.id not in charged)
        fees.charge_direct_fee(session, invoice, round_money(invoice.amount / 20, invoice.currency))
        session.commit()
        statement = fees.issue_statement(
            session, operator.id, group.id, invoice.currency, instructions="Loom Ltd, IBAN GB33", base_url=app.config["BASE_URL"]
        )
        return statement.number, operator.name


def _signed_in(browser: Browser, live_url: str, email: str, *, javascript: bool = False) -> Page:
    context = browser.new_context(viewport=PHONE, is_mobile=True, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{live_url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


def _axe_violations(browser: Browser, live_url: str, email: str, path: str) -> list[str]:
    checked = _signed_in(browser, live_url, email, javascript=True)  # axe-core runs in the page: it needs JavaScript
    checked.goto(f"{live_url}{path}")
    violations = Axe().run(checked).response["violations"]
    checked.context.close()
    return [f"{v['id']}: {v['help']}" for v in violations]


def test_the_operator_voids_a_fee_statement_with_a_reason_and_both_past_statement_lists_say_who_and_why_on_a_phone(
    browser: Browser, live_app: Flask, live_url: str, screenshots: Path, pytestconfig: pytest.Config
) -> None:
    number, operator_name = _a_fee_statement_issued_to_the_demo_group(live_app)
    page = _signed_in(browser, live_url, "operator@demo.loom")
    page.goto(f"{live_url}/operator/payouts")
    card = page.locator("#fees li.card").filter(has_text=f"Statement {number} of")
    expect(card).to_be_visible()
    card.get_by_text("Void this statement").click()  # <details>: opens without JavaScript
    card.get_by_role("button", name="Void statement").click()  # no reason: refused, nothing voided
    expect(page.get_by_text("Say why the statement is voided.")).to_be_visible()
    card = page.locator("#fees li.card").filter(has_text=f"Statement {number} of")
    card.get_by_text("Void this statement").click()
    card.get_by_label("Why void it").fill("Billed twice: the fee was netted already")
    card.get_by_role("button", name="Void statement").click()
    expect(page.get_by_text("Statement voided; its fees are open again and the group is told why.")).to_be_visible()
    past = page.locator("#closed-statements li").filter(has_text=f"statement {number},")
    expect(past).to_contain_text(
        re.compile(rf"Voided by {re.escape(operator_name)} on .+: Billed twice: the fee was netted already")
    )
    expect(past).to_contain_text(f"Issued by {operator_name} on ")
    assert page_width(page) <= PHONE["width"]
    save_screenshot(pytestconfig, page, screenshots / "operator-payouts-statement-voided.png")
    assert _axe_violations(browser, live_url, "operator@demo.loom", "/operator/payouts") == []
    page.context.close()

    group = _signed_in(browser, live_url, "producer@demo.loom")
    group.goto(f"{live_url}/manage/payouts")
    expect(group.get_by_role("heading", name="Past fee statements")).to_be_visible()
    mine = group.locator("#past-statements li").filter(has_text=f"Statement {number},")
    expect(mine).to_contain_text("cancelled by Loom; do not pay it.")
    expect(mine).to_contain_text(
        re.compile(rf"Voided by {re.escape(operator_name)} on .+: Billed twice: the fee was netted already")
    )
    assert page_width(group) <= PHONE["width"]
    save_screenshot(pytestconfig, group, screenshots / "producer-manage-payouts-past-statements.png")
    assert _axe_violations(browser, live_url, "producer@demo.loom", "/manage/payouts") == []
    group.context.close()
