"""The coordinator's phone and the buyer's RFQ, walked in a real browser at 390 px with JavaScript off."""
from __future__ import annotations

import datetime as dt
import re

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
