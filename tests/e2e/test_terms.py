"""Delivery terms in a real browser at 390 px, JavaScript off: asked, quoted differently, seen in the compare table."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import save_screenshot
from tests.e2e.test_flows import fits, group_slug, phone, sign_in


def test_a_group_quotes_other_delivery_terms_and_the_buyer_sees_them_marked_in_the_compare_table(
    browser: Browser, live_url: str, screenshots, pytestconfig: pytest.Config
) -> None:
    slug = group_slug(browser, live_url)
    title = "Baskets delivered to Rotterdam, or not"
    buyer = phone(browser)
    buyer_page = buyer.new_page()
    sign_in(buyer_page, live_url, "buyer@demo.loom")
    buyer_page.goto(f"{live_url}/groups/{slug}")
    buyer_page.get_by_role("link", name="Request a quote").first.click()
    buyer_page.get_by_label("Title").fill(title)
    buyer_page.get_by_label("What you need").fill("Three nested sizes, natural and indigo.")
    buyer_page.get_by_label("Category").select_option("baskets.storage")
    buyer_page.get_by_label("Quantity (units)").fill("40")
    buyer_page.get_by_label("Needed by").fill((dt.date.today() + dt.timedelta(weeks=26)).isoformat())
    buyer_page.get_by_label("Currency").select_option("USD")
    buyer_page.get_by_label("Delivery terms (Incoterms® 2020)").select_option("DAP")
    buyer_page.get_by_label("Named place (optional)").fill("Rotterdam")
    buyer_page.get_by_role("button", name=re.compile("^Send to 1 group")).click()
    send_anyway = buyer_page.get_by_role("button", name="Send anyway")
    if send_anyway.count():
        send_anyway.click()
    expect(buyer_page.get_by_text("Request sent.")).to_be_visible()
    expect(buyer_page.get_by_text("DAP Rotterdam — delivered to the door; the buyer pays import duties")).to_be_visible()
    rfq_url = buyer_page.url

    group = phone(browser)
    page = group.new_page()
    sign_in(page, live_url, "producer@demo.loom")
    page.goto(f"{live_url}/manage/rfqs")
    page.get_by_role("link", name=title).click()
    terms = page.get_by_label("Delivery terms you quote (Incoterms® 2020)")
    expect(terms).to_have_value("DAP")  # the buyer's, chosen already
    expect(page.get_by_label("Named place", exact=True)).to_have_value("Rotterdam")
    page.get_by_label("Unit price (USD)").fill("11.40")
    terms.select_option("FOB")
    page.get_by_label("Named place", exact=True).fill("Mombasa")
    page.get_by_role("button", name=re.compile("^Send the quote")).click()
    anyway = page.get_by_role("button", name="Send the quote anyway")
    if anyway.count():
        anyway.click()
    expect(page.get_by_text("Quote sent.")).to_be_visible()
    assert fits(page)
    group.close()

    buyer_page.goto(rfq_url)
    row = buyer_page.locator("table.compare tbody tr", has_text="FOB Mombasa")
    expect(row).to_have_count(1)
    expect(row.get_by_text("FOB Mombasa — loaded on board the buyer's ship at the port")).to_be_visible()
    expect(row.get_by_text("differs from what you asked")).to_be_visible()
    assert fits(buyer_page)
    save_screenshot(pytestconfig, buyer_page, screenshots / "compare-other-delivery-terms-390.png")
    buyer_page.get_by_role("link", name="Accept and order…").click()
    expect(
        buyer_page.get_by_text("You asked for DAP Rotterdam — delivered to the door; the buyer pays import duties.")
    ).to_be_visible()
    buyer.close()
