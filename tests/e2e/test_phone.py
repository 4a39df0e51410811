"""In a real browser on a phone-sized screen: the pages fit, and a producer group can get listed with
JavaScript turned off."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import mailed_link, page_width

PHONE = {"width": 390, "height": 844}


def test_a_producer_group_gets_listed_from_a_phone_without_javascript(browser: Browser, live_app: Flask, live_url: str) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, is_mobile=True)
    page = context.new_page()

    page.goto(f"{live_url}/signup")
    page.get_by_label("A producer group").check()
    page.get_by_label("Organization name").fill("Huye Agaseke Weavers")
    page.get_by_label("Country").select_option("RW")
    page.get_by_label("Your name").fill("Claudine Uwase")
    page.get_by_label("E-mail").fill("claudine@example.org")
    page.get_by_label("Password", exact=True).fill("sweetgrass and sisal")
    page.get_by_label("Repeat the password").fill("sweetgrass and sisal")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    page.goto(mailed_link(live_app, "claudine@example.org", "/email/confirm/"))
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_text("Your e-mail address is confirmed.")).to_be_visible()
    page.get_by_label("E-mail").fill("claudine@example.org")
    page.get_by_label("Password").fill("sweetgrass and sisal")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Huye Agaseke Weavers")).to_be_visible()

    page.get_by_role("link", name="Add a capability").click()
    page.get_by_label("Category").select_option("baskets.wall")
    page.get_by_label("Materials").fill("sisal, sweetgrass")
    page.get_by_label("Minimum order (units)").fill("30")
    page.get_by_label("Lead time (days)").fill("45")
    page.get_by_label("Lowest unit price").fill("12")
    page.get_by_label("Highest unit price").fill("9")  # a slip of the thumb
    page.get_by_label("Units you can make in a usual week").fill("60")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The highest price cannot be below the lowest.")).to_be_visible()
    expect(page.get_by_label("Materials")).to_have_value("sisal, sweetgrass")  # nothing typed is lost

    page.get_by_label("Highest unit price").fill("40")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("Capacity"))).to_be_visible()

    page.get_by_role("link", name="Back").click()
    page.get_by_role("link", name="See your public profile").click()
    expect(page.get_by_role("heading", name="Baskets › Wall baskets & plates")).to_be_visible()
    expect(page.get_by_text("12.00–$40.00")).to_be_visible()
    context.close()


@pytest.mark.parametrize("path", ["/", "/groups", "/signup", "/login", "/groups?category=baskets"])
def test_public_pages_fit_a_phone_screen(browser: Browser, live_url: str, path: str) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_url}{path}")
    assert page_width(page) <= PHONE["width"]
    context.close()


def test_a_producer_profile_and_the_management_pages_fit_a_phone_screen(browser: Browser, live_url: str) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_url}/login")
    page.get_by_label("E-mail").fill("producer@demo.loom")
    page.get_by_label("Password").fill("loom-demo-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Requests for quotation")).to_be_visible()  # a group starts at its inbox
    page.goto(f"{live_url}/manage/")
    expect(page.get_by_role("link", name="See your public profile")).to_be_visible()

    for link in ("See your public profile",):
        page.get_by_role("link", name=link).click()
        page.wait_for_url(re.compile("/groups/"))
        assert page_width(page) <= PHONE["width"]
    for path in (
        "/manage/",
        "/manage/profile",
        "/manage/certifications",
        "/manage/products",
        "/manage/photos",
        "/manage/payouts",
        "/team",
    ):
        page.goto(f"{live_url}{path}")
        assert page_width(page) <= PHONE["width"], path
    page.goto(f"{live_url}/manage/")
    page.get_by_role("link", name="Capacity calendar").first.click()
    page.wait_for_url(re.compile("/capacity$"))
    assert page_width(page) <= PHONE["width"], "capacity calendar"
    context.close()


def test_a_buyer_reads_an_invoice_on_a_phone_and_its_print_shows_the_invoice_only(browser: Browser, live_url: str) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_url}/login")
    page.get_by_label("E-mail").fill("buyer@demo.loom")
    page.get_by_label("Password").fill("loom-demo-password")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_url}/orders")
    page.locator("a[href^='/orders/']").first.click()
    page.locator("a[href^='/invoices/']").first.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Invoice "))).to_be_visible()
    expect(page.get_by_text("Order total")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    page.emulate_media(media="print")
    expect(page.locator("header.site")).to_be_hidden()
    expect(page.get_by_text("print this page or save it as PDF")).to_be_hidden()
    expect(page.get_by_text("Order total")).to_be_visible()
    context.close()


def test_the_home_page_example_is_understood_and_results_come_first_on_a_phone(browser: Browser, live_url: str) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_url}/")
    page.get_by_label("I need").fill("2,000 sisal baskets, fair trade")
    page.get_by_role("button", name="Find producer groups").click()
    page.wait_for_url(re.compile(r"/search\?.*units=2000"))
    chips = page.locator(".understood .chip")
    expect(chips.filter(has_text="2,000 units")).to_be_visible()
    expect(chips.filter(has_text="sisal")).to_be_visible()
    expect(chips.filter(has_text="Fair Trade")).to_be_visible()
    expect(page.get_by_label("What do you need?")).to_have_value("baskets")
    results, filters = page.locator("section.results").bounding_box(), page.locator("aside.facets").bounding_box()
    assert results is not None and filters is not None and results["y"] < filters["y"]  # the results first, the filters after
    assert results["y"] < PHONE["height"]  # and within the first screen
    assert page_width(page) <= PHONE["width"]
    page.get_by_role("link", name="Remove Fair Trade").click()
    expect(chips.filter(has_text="Fair Trade")).to_have_count(0)
    expect(chips.filter(has_text="sisal")).to_be_visible()
    context.close()


def test_a_buyer_reads_on_a_phone_what_accepting_a_quote_with_tax_on_top_costs(
    browser: Browser, live_app: Flask, live_url: str
) -> None:
    """The demo buyer's open request; the quoting group adds 16 % VAT on top: the compare table and the page before the click."""
    from decimal import Decimal

    from sqlalchemy import select

    from marketplace.accounts.models import Membership, User
    from marketplace.billing.services import set_sales_tax
    from marketplace.billing.taxes import TaxRule
    from marketplace.db import db
    from marketplace.money import format_money, round_money
    from marketplace.sourcing.models import Quote, QuoteStatus, Rfq, RfqStatus

    with live_app.app_context():
        buyer = db.session.scalar(select(Membership).join(User).where(User.email == "buyer@demo.loom"))
        quote = db.session.scalars(
            select(Quote)
            .join(Rfq)
            .where(Rfq.buyer_id == buyer.organization_id, Rfq.status == RfqStatus.OPEN, Quote.status == QuoteStatus.SUBMITTED)
            .order_by(Quote.id)
        ).first()
        rfq_id, quote_id, group_id, currency = quote.rfq_id, quote.id, quote.group_id, quote.currency
        # By hand: the lines, 16 % on top, half of the lines now with the tax on that half.
        before = round_money(quote.unit_price * quote.quantity, currency)
        tax = round_money(before * Decimal("0.16"), currency)
        half = round_money(before / 2, currency)
        deposit = half + round_money(half * Decimal("0.16"), currency)
        shown = {
            name: format_money(value, currency)
            for name, value in {"before": before, "tax": tax, "total": before + tax, "deposit": deposit}.items()
        }
        set_sales_tax(db.session, group_id, TaxRule("VAT", Decimal(16), included=False))
        db.session.commit()
    context = browser.new_context(viewport=PHONE, is_mobile=True, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_url}/login")
        page.get_by_label("E-mail").fill("buyer@demo.loom")
        page.get_by_label("Password").fill("loom-demo-password")
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_url}/rfqs/{rfq_id}")
        row = page.locator("table.compare tr", has=page.locator(f"a[href='/quotes/{quote_id}/accept']"))
        expect(row).to_contain_text(f"{shown['total']} for")
        expect(row).to_contain_text(f"(before tax {shown['before']} + VAT 16 %)")
        row.get_by_role("link", name="Accept and order…").click()
        expect(page.locator("dl.facts")).to_contain_text(f"Before tax{shown['before']}")
        expect(page.locator("dl.facts")).to_contain_text(f"VAT (16 %), added to the prices{shown['tax']}")
        expect(page.locator("dl.facts")).to_contain_text(f"Total, tax included{shown['total']}")
        expect(page.get_by_text(f"You pay a deposit of {shown['deposit']} (50 %) now")).to_be_visible()
        expect(page.get_by_role("button", name=f"Confirm the order and the {shown['deposit']} deposit")).to_be_visible()
        assert page_width(page) <= PHONE["width"]
        page.screenshot(path="build/screenshots/phone-accept-quote-tax-on-top.png", full_page=True)
    finally:
        context.close()
        with live_app.app_context():
            set_sales_tax(db.session, group_id, None)  # the other tests' demo groups charge no tax
            db.session.commit()
