"""Languages as people meet them: the browser's language, the switcher, a saved choice, local money and numbers,
e-mails in the recipient's language, and the main pages in every shipped locale with nothing left in English."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role
from marketplace.i18n import LOCALES, TRANSLATIONS, language_links
from marketplace.outbox.models import OutboxMessage
from marketplace.redirects import link_to
from marketplace.sourcing.models import Quote, Rfq
from tests import factories
from tests.integration.test_sourcing_flow import as_, market, quote, send_rfq  # noqa: F401 (fixture)
from tests.web import submit, text_of

SPACES = re.compile(r"[\u00a0\u202f]")


def plain(page: str) -> str:
    """The page's text with CLDR's no-break and narrow no-break spaces read as plain spaces."""
    return SPACES.sub(" ", html.unescape(page))


def test_a_browser_asking_for_french_gets_french_pages_and_french_money(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session, name="Coopérative Tissage")
    factories.capability(session, group, price_min=Decimal("900"), price_max=Decimal("1234.50"), currency="EUR")
    session.commit()
    page = text_of(client.get(f"/groups/{group.slug}", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"}))
    assert '<html lang="fr" dir="ltr">' in page
    assert "Groupes de producteurs" in page and "Ce que nous faisons" in page
    assert "1 234,50 €" in plain(page)  # French grouping and decimal comma, the euro after the amount
    english = text_of(client.get(f"/groups/{group.slug}", headers={"Accept-Language": "en-GB"}))
    assert '<html lang="en"' in english and "€1,234.50" in english


def test_an_unshipped_language_falls_back_to_english(client: FlaskClient) -> None:
    page = text_of(client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"}))
    assert '<html lang="en"' in page and "Producer groups" in page


def test_the_switcher_works_without_javascript_and_its_choice_outranks_the_browser(client: FlaskClient) -> None:
    page = text_of(client.get("/groups?country=KE", headers={"Accept-Language": "fr"}))
    # Every page links to itself in each language, keeping its query.
    assert 'href="/groups?country=KE&amp;lang=sw"' in page and 'hreflang="am"' in page
    swahili = text_of(client.get("/groups?country=KE&lang=sw", headers={"Accept-Language": "fr"}))
    assert '<html lang="sw"' in swahili and "Vikundi vya wazalishaji" in swahili
    later = text_of(client.get("/", headers={"Accept-Language": "fr"}))  # no ?lang=: the session remembers
    assert '<html lang="sw"' in later


def test_a_saved_language_and_an_organizations_default(client: FlaskClient, session: Session) -> None:
    group = factories.producer_group(session)
    owner = factories.member_of(session, group, role=Role.OWNER)
    member = factories.member_of(session, group, role=Role.MEMBER)
    session.commit()
    as_(client, owner)
    response = submit(client, "/language", {"locale": "es", "organization_locale": "sw"})
    assert response.status_code == 302
    assert '<html lang="es"' in text_of(client.get("/manage/", headers={"Accept-Language": "fr"}))
    as_(client, member)  # chose nothing: the organization's default speaks, over the browser
    assert '<html lang="sw"' in text_of(client.get("/manage/", headers={"Accept-Language": "fr"}))
    refused = submit(client, "/language", {"locale": "", "organization_locale": "am"})
    session.expire_all()
    assert refused.status_code == 302 and group.organization.locale == "sw"  # a member cannot change the default


def test_a_buyer_writing_in_english_reaches_a_spanish_speaking_group_in_spanish(
    client: FlaskClient, session: Session, market: dict
) -> None:  # noqa: F811
    admin = market["machakos"]["admin"]
    admin.user.locale = "es"
    session.commit()
    as_(client, market["buyer"])
    send_rfq(client, market)
    rfq = session.scalar(select(Rfq))
    group = market["machakos"]["group"]
    submit(
        client,
        f"/rfqs/{rfq.id}",
        {"body": "Can you do a darker indigo?"},
        action=f"/rfqs/{rfq.id}/messages/{group.id}",
        headers={"Accept-Language": "en-US"},
    )
    mails = [m.payload for m in session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "mail.send"))]
    to_admin = [m for m in mails if m["to"] == admin.user.email]
    message = next(m for m in to_admin if "darker indigo" in m["body"])
    assert message["subject"] == f"Nuevo mensaje sobre {rfq.title}"
    assert message["body"].startswith(f"Hola {admin.user.name}:") and "escribió:" in message["body"]
    new_rfq = next(m for m in to_admin if m is not message)
    assert new_rfq["subject"].startswith("Nueva solicitud de cotización") and "unidades" in new_rfq["body"]
    # The other group's admin chose nothing and its organization has no default: English, whatever the sender spoke.
    other = next(m for m in mails if m["to"] == market["kitui"]["admin"].user.email)
    assert other["subject"].startswith("New request for quotation")


def test_number_fields_read_the_readers_thousands_separators(client: FlaskClient, session: Session, market: dict) -> None:  # noqa: F811
    as_(client, market["buyer"])
    send_rfq(client, market)
    rfq = session.scalar(select(Rfq))
    as_(client, market["machakos"]["admin"])
    client.get("/?lang=fr")
    response = quote(client, rfq.id, "1 234,50", quantity=1200)
    assert response.status_code == 302, text_of(response)
    assert session.scalar(select(Quote.unit_price).where(Quote.rfq_id == rfq.id)) == Decimal("1234.50")
    client.get("/?lang=es")
    response = submit(
        client,
        f"/manage/rfqs/{rfq.id}",
        {
            "unit_price": "12,5",
            "quantity": "1.200",
            "lead_time_days": "30",
            "valid_until": (dt.date.today() + dt.timedelta(days=20)).isoformat(),
            "notes": "",
            "submit": "1",
        },
    )
    assert response.status_code == 302, text_of(response)
    revised = session.scalar(select(Quote).where(Quote.rfq_id == rfq.id))
    session.refresh(revised)
    assert (revised.unit_price, revised.quantity) == (Decimal("12.5"), 1200)
    refused = submit(
        client,
        f"/manage/rfqs/{rfq.id}",
        {
            "unit_price": "1e5",
            "quantity": "1.2.00",
            "lead_time_days": "30",
            "valid_until": (dt.date.today() + dt.timedelta(days=20)).isoformat(),
            "submit": "1",
        },
    )
    assert refused.status_code == 422 and "Escriba un número entero" in text_of(refused)


# ----- every main page in every shipped locale ----------------------------------------------------------------


def _english_messages_translated_in(locale: str) -> set[str]:
    """The catalog's English sentences (no placeholders, no markup) whose translation differs from the English."""
    from babel.messages.pofile import read_po

    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    return {
        m.id
        for m in catalog
        if isinstance(m.id, str) and m.string and m.string != m.id and "%" not in m.id and "<" not in m.id and len(m.id) > 3
    }


def _visible_text(page: str) -> list[str]:
    body = re.sub(r"(?s)<(script|style|title)\b.*?</\1>", " ", page)
    body = re.sub(r"(?s)<[^>]*\bdir=\"auto\"[^>]*>.*?</[a-z0-9]+>", " ", body)  # people's own words stay as written
    return [" ".join(html.unescape(t).split()) for t in re.split(r"<[^>]+>", body) if t.strip()]


@pytest.fixture
def flow(session: Session, market: dict, client: FlaskClient) -> dict:  # noqa: F811
    """An RFQ answered with a quote and accepted into an order, so every main page has something to show."""
    as_(client, market["buyer"])
    send_rfq(client, market)
    rfq = session.scalar(select(Rfq))
    as_(client, market["machakos"]["admin"])
    quote(client, rfq.id, "9.50")
    order = factories.accepted_order(session, market["machakos"]["group"], market["buyer"])
    session.commit()
    return {"rfq": rfq, "order": order, **market}


PRODUCER_PAGES = (
    "/",
    "/groups",
    "/signup",
    "/login",
    "/manage/",
    "/manage/profile",
    "/manage/rfqs",
    "/manage/rfqs/{rfq}",
    "/orders",
    "/orders/{order}",
    "/manage/payouts",
    "/manage/odoo/",
    "/language",
    "/team",
    "/manage/certifications",
    "/manage/photos",
    "/manage/products",
    "/manage/products/new",
    "/manage/capabilities/new",
    "/api-tokens",
    "/orders/{order}/review",
    "/groups/{slug}",
    "/password/forgot",
)
BUYER_PAGES = ("/search?q=baskets", "/groups/{slug}", "/rfqs", "/rfqs/{rfq}", "/rfqs/new", "/orders/{order}")


@pytest.mark.parametrize("locale", [code for code in LOCALES if code != "en"])
def test_the_main_pages_reach_people_in_every_shipped_locale_without_english_left(
    client: FlaskClient, flow: dict, locale: str
) -> None:
    english = _english_messages_translated_in(locale)
    pages = [(flow["machakos"]["admin"], p) for p in PRODUCER_PAGES]
    if locale in ("es", "fr", "sw"):  # complete catalogs; Hindi and Amharic cover the producer group's pages
        pages += [(flow["buyer"], p) for p in BUYER_PAGES]
    signed_in = None
    for person, pattern in pages:
        if person is not signed_in:
            as_(client, person)
            signed_in = person
        path = pattern.format(rfq=flow["rfq"].id, order=flow["order"].id, slug=flow["machakos"]["group"].slug)
        response = client.get(path + ("&" if "?" in path else "?") + f"lang={locale}")
        page = text_of(response)
        assert response.status_code == 200, (path, response.status_code)
        assert f'<html lang="{locale}"' in page, path
        left = sorted({text for text in _visible_text(page) if text in english})
        assert not left, f"{path} in {locale} still shows English: {left}"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("sw", "Namba lazima iwe kati ya 0 na 100."), ("hi", "संख्या 0 और 100 के बीच होनी चाहिए।"), ("am", "ቁጥሩ ከ0 እስከ 100 መሆን አለበት።")],
)
def test_wtforms_own_messages_speak_every_shipped_language(client: FlaskClient, flow: dict, locale: str, expected: str) -> None:
    # NumberRange(0, 100) carries no message of Loom's: WTForms' own sentence, served from Loom's catalogs.
    as_(client, flow["machakos"]["admin"])
    order = flow["order"]
    page = f"/orders/{order.id}?lang={locale}"
    response = submit(client, page, {"percent": "150", "note": ""}, action=f"/orders/{order.id}/progress", follow_redirects=True)
    assert response.status_code in (200, 422)
    assert expected in plain(text_of(response)), text_of(response)[:3000]
    assert "Number must be between" not in text_of(response)


@pytest.mark.parametrize(
    "address",
    [
        "/",
        "/groups?country=KE",
        "/search?q=caf%C3%A9+%26+tea&q=2&lang=fr",
        "/search?lang=am",
        "/groups?=&page=",
        "/%C3%A9t%C3%A9?a%3Db=c",
    ],
)
def test_the_switcher_s_links_keep_the_page_s_query_as_urlencode_writes_it(app: Flask, address: str) -> None:
    """The query is encoded once for the six links (issue 19): each link is what encoding it with `lang` added writes."""
    with app.test_request_context(address):
        args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
        expected = [f"{link_to(request.path)}?{urlencode([*args, ('lang', code)])}" for code in LOCALES]
        assert [link.url for link in language_links()] == expected
