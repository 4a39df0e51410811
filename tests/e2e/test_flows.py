"""The coordinator's phone and the buyer's RFQ, walked in a real browser at 390 px with JavaScript off."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from marketplace.demo import DEMO_PASSWORD
from tests.e2e.conftest import page_width

PHONE = {"width": 390, "height": 844}


def phone(browser: Browser) -> BrowserContext:
    return browser.new_context(viewport=PHONE, java_script_enabled=False, is_mobile=True)


def sign_in(page: Page, live_url: str, email: str) -> None:
    page.goto(f"{live_url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def fits(page: Page) -> bool:
    return page_width(page) <= PHONE["width"]


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
    promised = page.locator("ol.weeks > li:not([data-promised='0'])").first  # a week that carries an order
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
    page.goto(f"{live_url}/manage/")
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
    send_anyway = page.get_by_role("button", name="Send anyway")
    if send_anyway.count():  # under the group's minimum order: said before sending
        send_anyway.click()
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
    expect(page.get_by_text(re.compile('is now in "Unit price" below'))).to_be_visible()
    price = page.get_by_label("Unit price (USD)")
    expect(price).not_to_have_value("")
    page.get_by_role("button", name=re.compile("^Send the quote")).click()
    anyway = page.get_by_role("button", name="Send the quote anyway")
    if anyway.count():  # under the group's minimum or over its calendar: asked first
        anyway.click()
    expect(page.get_by_text("Quote sent.")).to_be_visible()
    assert fits(page)
    context.close()


def quote_as_producer(page: Page, live_url: str, title: str, price: str) -> None:
    page.goto(f"{live_url}/manage/rfqs")
    page.get_by_role("link", name=title).click()
    page.get_by_label("Unit price (USD)").fill(price)
    page.get_by_role("button", name=re.compile("^Send the quote")).click()
    anyway = page.get_by_role("button", name="Send the quote anyway")
    if anyway.count():  # under the group's minimum or over its calendar: asked first
        anyway.click()
    expect(page.get_by_text("Quote sent.")).to_be_visible()


def an_order_being_made(browser: Browser, live_url: str, title: str) -> tuple[BrowserContext, Page]:
    """Buyer asks producer@demo.loom's group, the group quotes, the buyer confirms; returns the group's page on the order."""
    slug = group_slug(browser, live_url)
    buyer = phone(browser)
    buyer_page = buyer.new_page()
    sign_in(buyer_page, live_url, "buyer@demo.loom")
    send_rfq_to(buyer_page, live_url, slug, title)
    rfq_url = buyer_page.url
    group = phone(browser)
    page = group.new_page()
    sign_in(page, live_url, "producer@demo.loom")
    quote_as_producer(page, live_url, title, "12.50")

    buyer_page.goto(rfq_url)
    buyer_page.get_by_role("link", name="Accept and order…").click()
    # Before anything is ordered: the deposit and what happens next.
    expect(buyer_page.get_by_text("You pay a deposit of $250.00 (50 %) now")).to_be_visible()  # 40 × 12.50 = 500.00
    expect(buyer_page.get_by_role("heading", name="What happens next")).to_be_visible()
    assert fits(buyer_page)
    buyer_page.get_by_role("button", name="Confirm the order and the $250.00 deposit").click()
    expect(buyer_page.get_by_text(re.compile(r"Order LM-\d{4}-\d+ is confirmed"))).to_be_visible()
    order_url = buyer_page.url
    buyer.close()
    page.goto(order_url)
    return group, page


def test_progress_is_posted_from_a_phone_without_a_photo_and_an_error_keeps_the_note(browser: Browser, live_url: str) -> None:
    context, page = an_order_being_made(browser, live_url, "Baskets whose progress is reported")
    page.get_by_label("Done (%)").fill("40")
    page.get_by_label("What happened").fill("Dyeing the sisal indigo")
    page.get_by_role("button", name="Post progress").click()  # no photo
    expect(page.get_by_text("Progress posted")).to_be_visible()
    page.get_by_label("Done (%)").fill("10")
    page.get_by_label("What happened").fill("Started the big sizes again")
    page.get_by_role("button", name="Post progress").click()
    # Lower than the last report: the reason is asked for, nothing typed is lost.
    expect(page.get_by_text("The last report said 40 %. Say why it is lower now.")).to_be_visible()
    expect(page.get_by_label("What happened")).to_have_value("Started the big sizes again")
    expect(page.get_by_label("Done (%)")).to_have_value("10")
    page.get_by_label("Why it is lower than before").fill("A batch failed the quality check")
    page.get_by_role("button", name="Post progress").click()
    expect(page.get_by_text("Progress posted")).to_be_visible()
    expect(page.get_by_text("Lower than before: A batch failed the quality check", exact=True)).to_be_visible()
    assert fits(page)
    context.close()


def test_a_buyer_sends_a_request_from_search_with_the_category_units_and_date_carried_over(
    browser: Browser, live_url: str
) -> None:
    context = phone(browser)
    page = context.new_page()
    sign_in(page, live_url, "buyer@demo.loom")
    by = (dt.date.today() + dt.timedelta(weeks=30)).isoformat()
    page.goto(f"{live_url}/search?category=baskets.storage&units=120&by={by}")
    expect(page.get_by_label("Ask for a quote").first).to_be_attached(timeout=5000)
    page.get_by_label("Ask for a quote").first.check()
    page.get_by_role("button", name="Request quotes from the ticked groups").click()
    expect(page.get_by_role("heading", name="Request quotes")).to_be_visible()
    expect(page.get_by_label("Category")).to_have_value("baskets.storage")
    expect(page.get_by_label("Quantity (units)")).to_have_value("120")
    expect(page.get_by_label("Needed by")).to_have_value(by)
    page.get_by_label("Title").fill("Storage baskets from search")
    page.get_by_role("button", name=re.compile("^Send to 1 group")).click()
    expect(page.get_by_text("Describe what you need")).to_be_visible()  # a spec is required; nothing typed is lost
    expect(page.get_by_label("Quantity (units)")).to_have_value("120")
    page.get_by_label("What you need").fill("Three nested sizes, natural sisal, swing tags.")
    page.get_by_role("button", name=re.compile("^Send to 1 group")).click()
    send_anyway = page.get_by_role("button", name="Send anyway")
    if send_anyway.count():  # the group's minimum or calendar does not fit: said before sending
        send_anyway.click()
    expect(page.get_by_text("Request sent.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"120 units · Baskets › Storage"))).to_be_visible()
    assert fits(page)
    context.close()


# 13 MB once answered a bare "Request Entity Too Large"; 70 MB, past MAX_CONTENT_LENGTH (64 MB), a "Too much sent" page.
@pytest.mark.parametrize("megabytes", [13, 70])
def test_an_oversized_photo_gets_a_field_error_and_the_progress_form_is_kept(
    browser: Browser, live_url: str, tmp_path: Path, megabytes: int
) -> None:
    context, page = an_order_being_made(browser, live_url, f"Baskets with a {megabytes} MB photo")
    page.get_by_label("Done (%)").fill("20")
    page.get_by_label("What happened").fill("First fifty woven")
    photo = tmp_path / "loom.jpg"  # a file, not a buffer: Playwright refuses buffers over 50 MB
    with photo.open("wb") as out:
        out.write(b"\xff\xd8")
        for _ in range(megabytes):
            out.write(b"0" * (1024 * 1024))
    page.get_by_label("Photo (optional)").set_input_files(photo)
    page.get_by_role("button", name="Post progress").click()
    expect(page.get_by_text("The file is larger than 5 MB")).to_be_visible()
    expect(page.get_by_label("What happened")).to_have_value("First fifty woven")
    expect(page.get_by_label("Done (%)")).to_have_value("20")
    assert fits(page)
    context.close()
