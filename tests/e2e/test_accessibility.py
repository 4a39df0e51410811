"""axe-core on every main page, as a visitor, a buyer, a producer group and an operator, on a 390 px phone:
any violation fails. Each page's screenshot is kept in build/screenshots/ and listed at the end of the run (conftest)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from marketplace.demo import DEMO_PASSWORD
from tests.e2e.conftest import save_screenshot

PHONE = {"width": 390, "height": 844}
AXE = Axe()


def _sign_in(page: Page, live_url: str, email: str) -> None:
    page.goto(f"{live_url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _first_link(page: Page, live_url: str, listing: str, pattern: str) -> str:
    page.goto(f"{live_url}{listing}")
    hrefs = [
        h
        for h in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
        if re.fullmatch(pattern, h)
    ]
    assert hrefs, f"no link like {pattern} on {listing}"
    return hrefs[0]


def _pages(page: Page, live_url: str, who: str) -> list[str]:
    if who == "visitor":
        return [
            "/",
            "/groups",
            "/search?q=baskets",
            "/search?q=2%2C000+sisal+baskets%2C+fair+trade",
            "/login",
            "/signup",
            _first_link(page, live_url, "/groups", r"/groups/[a-z0-9-]+"),
        ]
    if who == "buyer@demo.loom":
        order = _first_link(page, live_url, "/orders", r"/orders/[0-9]+")
        return [
            "/rfqs",
            "/rfqs/new",
            _first_link(page, live_url, "/rfqs", r"/rfqs/[0-9]+"),
            "/orders",
            order,
            _first_link(page, live_url, order, r"/invoices/[0-9]+"),
        ]
    if who == "producer@demo.loom":
        return [
            "/manage/",
            "/manage/rfqs",
            "/manage/profile",
            "/manage/certifications",
            "/manage/payouts",
            "/manage/odoo/",
            _first_link(page, live_url, "/manage/", r"/manage/capabilities/[0-9]+/capacity"),
            "/orders",
        ]
    return ["/operator/", "/operator/payouts"]


@pytest.mark.parametrize("who", ["visitor", "buyer@demo.loom", "producer@demo.loom", "operator@demo.loom"])
def test_every_main_page_passes_axe_on_a_phone(
    browser: Browser, live_url: str, who: str, screenshots: Path, pytestconfig: pytest.Config
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    if who != "visitor":
        _sign_in(page, live_url, who)
    found: dict[str, list[str]] = {}
    for path in _pages(page, live_url, who):
        page.goto(f"{live_url}{path}")
        name = f"{who.split('@')[0]}{re.sub(r'[^a-z0-9]+', '-', path.lower()).rstrip('-') or '-home'}.png"
        save_screenshot(pytestconfig, page, screenshots / name)
        violations = AXE.run(page).response["violations"]
        if violations:
            found[path] = [
                f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(str(n['target']) for n in v['nodes'][:3])}"
                for v in violations
            ]
    context.close()
    assert found == {}
