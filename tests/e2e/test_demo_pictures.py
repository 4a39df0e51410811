"""The demo's pictures at 390 px, JavaScript off: every group card on home, search and a profile shows one."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import save_screenshot
from tests.e2e.test_flows import fits, phone


def test_every_group_card_of_the_demo_shows_a_picture(
    browser: Browser, live_url: str, screenshots, pytestconfig: pytest.Config
) -> None:
    context = phone(browser)
    page = context.new_page()
    for name, path in (("home", "/"), ("search", "/search?q=baskets"), ("directory", "/groups")):
        page.goto(f"{live_url}{path}")
        cards = page.locator("article.card")
        assert cards.count() > 0, path
        expect(page.locator(".cover.placeholder")).to_have_count(0)
        expect(page.locator("article.card img.cover")).to_have_count(cards.count())
        assert all(page.locator("article.card img.cover").evaluate_all("els => els.map(e => e.naturalWidth > 0)")), path
        assert fits(page)
        save_screenshot(pytestconfig, page, screenshots / f"demo-pictures-{name}-390.png")
    page.locator("article.card h3 a").first.click()
    expect(page.locator(".cover.placeholder")).to_have_count(0)
    expect(page.locator('img[alt^="Illustration of "]').first).to_be_visible()
    save_screenshot(pytestconfig, page, screenshots / "demo-pictures-profile-390.png")
    context.close()
