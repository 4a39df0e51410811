"""The coordinator's phone and the buyer's RFQ, walked in a real browser at 390 px with JavaScript off."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from playwright.sync_api import Browser, BrowserContext, Page, expect

from marketplace.demo import DEMO_PASSWORD

PHONE = {"width": 390, "height": 844}


def phone(browser: Browser) -> BrowserContext:
    return browser.new_context(viewport=PHONE, java_script_enabled=False, is_mobile=True)


def sign_in(page: Page, live_url: str, email: str) -> None:
    page.goto(f"{live_url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def fits(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_coordinator_saves_a_calendar_with_zero_weeks_and_closes_a_holiday_in_one_step(browser: Browser, live_url: str) -> None:
    context = phone(browser)
    page = context.new_page()
    sign_in(page, live_url, "producer@demo.loom")
    page.goto(f"{live_url}/manage/")
    page.get_by_role("link", name="Capacity calendar").first.click()
    expect(page.get_by_role("heading", name=re.compile("^Capacity"))).to_be_visible()
    assert fits(page)

    weeks = page.locator("ol.weeks > li")
    expect(weeks).to_have_count(16)
    promised = weeks.nth(0)  # the demo's first week carries an order
    promised.locator("summary").click()  # tap a week to change it
    promised.get_by_role("spinbutton").fill("0")
    page.get_by_role("button", name="Save the calendar").click()
    expect(promised.get_by_text(re.compile("already has .* units promised"))).to_be_visible()  # beside the week, open
    promised.get_by_role("spinbutton").fill(promised.get_attribute("data-promised"))

    last = weeks.nth(15)
    last.locator("summary").click()
    last.get_by_role("spinbutton").fill("0")
    page.get_by_role("button", name="Save the calendar").click()
    expect(page.get_by_text("Capacity calendar saved.")).to_be_visible()
    expect(weeks.nth(15).locator(".figures")).to_have_text(re.compile("^closed"))

    # A holiday: two dates and one button, nothing typed per week.
    third = dt.date.fromisoformat(weeks.nth(12).get_attribute("data-week"))
    page.get_by_label("From the week of").fill(third.isoformat())
    page.get_by_label("to the week of").fill((third + dt.timedelta(days=8)).isoformat())
    page.get_by_role("button", name="Close these weeks (0 units)").click()
    expect(page.get_by_text("Capacity calendar saved.")).to_be_visible()
    for i in (12, 13, 15):
        expect(weeks.nth(i).locator(".figures")).to_have_text(re.compile("^closed"))
    expect(weeks.nth(14).locator(".figures")).to_have_text(re.compile("free"))
    expect(weeks.nth(11).locator(".figures")).to_have_text(re.compile("free"))
    assert fits(page)
    context.close()


def group_slug(browser: Browser, live_url: str) -> str:
    context = phone(browser)
    page = context.new_page()
    sign_in(page, live_url, "producer@demo.loom")
    page.get_by_role("link", name="See your public profile").click()
    page.wait_for_url(re.compile("/groups/"))
    slug = page.url.rsplit("/", 1)[-1]
    context.close()
    return slug


def send_rfq_to(page: Page, live_url: str, slug: str, title: str) -> None:
    page.goto(f"{live_url}/groups/{slug}")
    page.get_by_role("link", name="Request a quote").first.click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("What you need").fill("Three nested sizes, natural and indigo.")
    page.get_by_label("Category").select_option("baskets.storage")
    page.get_by_label("Quantity (units)").fill("40")
    page.get_by_label("Needed by").fill((dt.date.today() + dt.timedelta(weeks=26)).isoformat())
    page.get_by_label("Currency").select_option("USD")
    page.get_by_role("button", name=re.compile("^Send to 1 group")).click()
    expect(page.get_by_text("Request sent.")).to_be_visible()


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_the_pricing_helper_fills_in_the_unit_price(browser: Browser, live_url: str, javascript: bool) -> None:
    slug = group_slug(browser, live_url)
    title = f"Storage baskets priced {'with' if javascript else 'without'} JavaScript"
    buyer = phone(browser)
    page = buyer.new_page()
    sign_in(page, live_url, "buyer@demo.loom")
    send_rfq_to(page, live_url, slug, title)
    buyer.close()

    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript, is_mobile=True)
    page = context.new_page()
    sign_in(page, live_url, "producer@demo.loom")
    page.goto(f"{live_url}/manage/rfqs")
    page.get_by_role("link", name=title).click()
    page.get_by_text("Pricing helper").click()
    page.get_by_label(re.compile(r"^Materials per unit \([A-Z]{3}\)$")).fill("150")
    page.get_by_label("Artisan hours per unit (hours)").fill("2")
    page.get_by_label(re.compile(r"^Fair hourly wage \([A-Z]{3} per hour\)$")).fill("100")
    rate = page.get_by_label(re.compile(r"^[A-Z]{3} for 1 USD"))
    if rate.count():
        rate.fill("125")
    page.get_by_role("button", name="Suggest a price").click()
    expect(page.get_by_text(re.compile("is now in \"Unit price\" below"))).to_be_visible()
    price = page.get_by_label("Unit price (USD)")
    expect(price).not_to_have_value("")
    page.get_by_role("button", name=re.compile("Send the quote")).click()
    expect(page.get_by_text("Quote sent.")).to_be_visible()
    assert fits(page)
    context.close()
