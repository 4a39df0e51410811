"""A product story from a phone without JavaScript: the group and the buyer publish it, a shopper scans its QR code."""

from __future__ import annotations

import io
import re

import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from marketplace.demo import BUYERS, DEMO_PASSWORD

PHONE = {"width": 390, "height": 844}


def _sign_in(page: Page, live_url: str, email: str) -> None:
    page.goto(f"{live_url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_buyer_and_group_publish_a_story_a_shopper_opens_by_its_qr_code(browser: Browser, live_url: str) -> None:
    group_side = browser.new_context(viewport=PHONE, java_script_enabled=False, is_mobile=True)
    page = group_side.new_page()
    _sign_in(page, live_url, "producer@demo.loom")
    page.goto(f"{live_url}/orders")
    page.locator("a[href^='/orders/']").first.click()
    order_url = page.url
    buyer_name = next(name for name, _, _, _ in BUYERS if name in page.locator("p.meta").first.inner_text())
    expect(page.get_by_text(re.compile(r"Order confirmed · .+ · \w{3} \d{1,2}, \d{4}"))).to_be_visible()
    page.get_by_role("button", name="Agree to publish the story").click()
    expect(page.get_by_text("You agree to publish the product story.")).to_be_visible()
    expect(page.get_by_text("The buyer has not agreed yet.")).to_be_visible()

    buyer_side = browser.new_context(viewport=PHONE, java_script_enabled=False, is_mobile=True)
    page = buyer_side.new_page()
    _sign_in(page, live_url, next(email for name, _, email, _ in BUYERS if name == buyer_name))
    page.goto(order_url)
    page.get_by_role("button", name="Agree to publish the story").click()
    png = page.request.get(live_url + page.get_by_role("link", name="PNG").get_attribute("href"))
    assert png.ok and png.headers["content-type"] == "image/png"
    story_url = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.body())))][0]
    assert story_url.startswith(f"{live_url}/stories/")

    shopper = browser.new_context(viewport=PHONE, java_script_enabled=False, is_mobile=True)  # nobody signed in
    page = shopper.new_page()
    assert page.goto(story_url).status == 200
    expect(page.get_by_role("heading", name=re.compile("^Made by "))).to_be_visible()
    expect(page.get_by_role("heading", name="Verify this story")).to_be_visible()
    assert buyer_name not in page.content() and DEMO_PASSWORD not in page.content()
    page.get_by_role("link", name="Recompute every hash now").click()
    expect(page.get_by_text(re.compile(r"All \d+ events recomputed just now"))).to_be_visible()
    assert page.goto(f"{live_url}/stories/not-a-published-story").status == 404

    measuring = browser.new_context(viewport=PHONE, is_mobile=True)  # JavaScript on, only to measure the layout
    page = measuring.new_page()
    for path in ("", "/verify", "/tags"):
        page.goto(story_url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    for context in (group_side, buyer_side, shopper, measuring):
        context.close()
