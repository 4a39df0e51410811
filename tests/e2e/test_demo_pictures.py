"""The demo's pictures at 390 px, JavaScript off: every demo group's card on home, search and the directory shows one."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.producers.models import ProducerGroup
from tests.e2e.conftest import save_screenshot
from tests.e2e.test_flows import fits, phone


def test_every_demo_group_card_shows_a_picture(
    browser: Browser, live_app: Flask, live_url: str, screenshots, pytestconfig: pytest.Config
) -> None:
    with Session(live_app.extensions["loom.db"]["engine"]) as session:  # groups other tests list have no photo yet
        demo = set(session.scalars(select(ProducerGroup.name).where(ProducerGroup.external_ref.like("demo-%"))))
    context = phone(browser)
    page = context.new_page()
    for name, path in (("home", "/"), ("search", "/search?q=baskets"), ("directory", "/groups")):
        page.goto(f"{live_url}{path}")
        cards = page.locator("article.card", has=page.locator("h2 a, h3 a"))
        shown = [cards.nth(i) for i in range(cards.count()) if cards.nth(i).locator("h2 a, h3 a").inner_text() in demo]
        assert shown, path
        for card in shown:
            expect(card.locator(".cover.placeholder")).to_have_count(0)
            expect(card.locator("img.cover")).to_have_count(1)
            assert card.locator("img.cover").evaluate("e => e.naturalWidth") == 640
        assert fits(page)
        save_screenshot(pytestconfig, page, screenshots / f"demo-pictures-{name}-390.png")
    shown[0].locator("h2 a, h3 a").click()
    expect(page.locator(".cover.placeholder")).to_have_count(0)
    expect(page.locator('img[alt^="Illustration of "]').first).to_be_visible()
    save_screenshot(pytestconfig, page, screenshots / "demo-pictures-profile-390.png")
    context.close()
