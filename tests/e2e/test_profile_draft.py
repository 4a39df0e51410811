"""On a phone with JavaScript off, a buyer adds a group to a saved draft from the group's profile with one button."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Browser, expect

from tests.e2e.test_flows import fits, phone, sign_in


def test_a_buyer_adds_a_group_to_a_draft_from_its_profile_with_a_button(browser: Browser, live_url: str) -> None:
    context = phone(browser)
    page = context.new_page()
    sign_in(page, live_url, "buyer@demo.loom")
    page.goto(f"{live_url}/rfqs/new")
    page.get_by_label("Title").fill("Bread baskets for spring")
    page.get_by_label("Category").select_option("baskets.storage")
    page.get_by_label("What you need").fill("Round bread baskets, 30 cm, natural sisal.")
    page.get_by_label("Quantity (units)").fill("300")
    page.get_by_label("Needed by").fill((dt.date.today() + dt.timedelta(weeks=20)).isoformat())
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_text("Draft saved")).to_be_visible()

    page.goto(f"{live_url}/groups")
    page.locator(".card h3 a").first.click()
    profile = page.url
    name = page.get_by_role("heading", level=1).inner_text().replace("Verified", "").strip()
    old_tab = context.new_page()  # the same profile open in another tab: its button is pressed later, a second time
    old_tab.goto(profile)
    button = page.get_by_role("button", name="Add to draft “Bread baskets for spring”")
    expect(button).to_be_visible()
    assert fits(page)
    button.click()
    assert page.url == profile  # back on the profile, which now says so
    expect(page.get_by_text(re.compile(rf"{re.escape(name)} added to your draft"))).to_be_visible()
    expect(page.get_by_text("In your draft “Bread baskets for spring” ✓")).to_be_visible()
    expect(page.get_by_role("button", name="Add to draft “Bread baskets for spring”")).to_have_count(0)
    old_tab.get_by_role("button", name="Add to draft “Bread baskets for spring”").click()
    expect(old_tab.get_by_text(re.compile(rf"{re.escape(name)} is already in your draft"))).to_be_visible()
    context.close()
