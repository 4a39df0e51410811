"""Every page, e-mail, form error and API problem in a pseudo-locale: any English left on them was never marked.

The pseudo-locale is built now, from the strings marked in the sources (what `make i18n-extract` collects): each
translation is its English with every letter accented and the whole bracketed ("Search" → "[Šéáŕçĥ]"), placeholders
and markup kept. Served under the code `ar`, it also makes every page right-to-left (CLDR's direction for Arabic).
A page's visible text is then read node by node; after the people's own words (what the database holds) and a few
names that read the same everywhere are taken out, any plain Latin word left is a string nobody marked.

The pages are every GET route of the app's URL map (a new route fails here until it has an argument below), for an
anonymous visitor, a buyer, a producer group's owner and the operator, on the demo marketplace; the forms are each
posted empty, so their error messages (Loom's and WTForms' own) show; the e-mails are those the demo's flows send.
"""

from __future__ import annotations

import csv
import html
import html.parser
import io
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import get_domain
from sqlalchemy import JSON, String, Text, select
from sqlalchemy.orm import Session

from marketplace import create_app, i18n, notifications
from marketplace.cli import upgrade_database
from marketplace.demo import DEMO_PASSWORD, seed_marketplace
from tests.unit.test_catalogs import extracted
from tests.web import submit

PSEUDO = "ar"
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ACCENTED = "áƀçđéƒĝĥíĵķĺɱñóþʠŕšţúṽŵẋýžÁƁÇĐÉƑĜĤÍĴĶĹṀÑÓÞǪŔŠŢÚṼŴẊÝŽ"
_PSEUDO_TABLE = str.maketrans(_LETTERS, _ACCENTED)
# Kept as they are: placeholders (%(name)s, %s, {name}), markup and entities.
_KEPT = re.compile(r"%\([A-Za-z0-9_]+\)[sd]|%[sd%]|\{[A-Za-z0-9_]*\}|<[^>]*>|&[#A-Za-z0-9]+;")


def pseudo(text: str) -> str:
    """Accent every letter of `text` outside placeholders and markup, and bracket it."""
    parts, last = [], 0
    for match in _KEPT.finditer(text):
        parts += [text[last : match.start()].translate(_PSEUDO_TABLE), match.group(0)]
        last = match.end()
    parts.append(text[last:].translate(_PSEUDO_TABLE))
    return "[" + "".join(parts) + "]"


def write_pseudo_catalog(folder: Path) -> None:
    catalog = Catalog(locale=PSEUDO)
    for msgid in extracted():
        if isinstance(msgid, tuple):
            catalog.add(msgid, tuple(pseudo(msgid[0] if n == 0 else msgid[1]) for n in range(catalog.num_plurals)))
        else:
            catalog.add(msgid, pseudo(msgid))
    target = folder / PSEUDO / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog)


# Names that read the same in every language, and what a page shows of codes and formats.
PROPER_NAMES = re.compile(
    r"\b(Loom|Odoo|Stripe|Stripe Connect|EPCIS|GS1|CBV|JSON(-LD)?|XML-RPC|JSON-RPC|JSON-2|API|OpenAPI|QR|SVG|PNG|CSV|"
    r"xlsx|SKU|URL|IBAN|SWIFT|M-Pesa|WhatsApp|sha-256|ni:///\S*|https?://\S+|\S+@\S+)\b"
)
ENGLISH = re.compile(r"[A-Za-z]*[a-z][A-Za-z]*")  # a word with a lowercase Latin letter: written, not a code like KES


class VisibleText(html.parser.HTMLParser):
    """The text nodes a reader sees, less people's own words (`dir="auto"` or `<bdi>`), names marked `translate="no"`,
    and the language switcher's names (each in its own language, marked with `lang`)."""

    SKIP = {"script", "style", "template", "code"}  # code: identifiers and samples, the same in every language
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, *, titles: bool = True) -> None:
        super().__init__(convert_charrefs=True)
        self.titles = titles
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        names = dict(attrs)
        hidden = (
            tag in self.SKIP
            or (tag == "title" and not self.titles)
            or tag == "bdi"  # an isolate: people's words inside a sentence
            or names.get("dir") == "auto"
            or names.get("translate") == "no"
            or (tag != "html" and "lang" in names)
        )
        self.stack.append((tag, hidden or any(h for _t, h in self.stack[-1:])))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1][1]) and data.strip():
            self.texts.append(" ".join(data.split()))


def english_left(texts: list[str], people_words: list[str]) -> list[str]:
    """The texts still holding a written Latin word once pseudo-translated parts, people's words and names are out."""
    left = []
    for text in texts:
        rest = re.sub(r"\[[^\[\]]*\]", " ", text)
        rest = re.sub(r"\[[^\[\]]*\]", " ", rest)  # a translation holding another one
        for words in people_words:
            if words in rest:
                rest = rest.replace(words, " ")
        rest = PROPER_NAMES.sub(" ", rest)
        if ENGLISH.search(rest):
            left.append(text)
    return left


@pytest.fixture(scope="module")
def pseudo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The demo marketplace, its e-mails written in the pseudo-locale, served with the pseudo catalog first."""
    folder = tmp_path_factory.mktemp("loom-pseudo")
    write_pseudo_catalog(folder / "translations")
    url = f"sqlite:///{folder / 'pseudo.db'}"
    upgrade_database(url)
    patch = pytest.MonkeyPatch()
    patch.setitem(i18n.LOCALES, PSEUDO, "Pseudo")
    # People who chose no language are written to in the default: the pseudo-locale here, so every e-mail shows.
    patch.setattr(notifications, "DEFAULT_LOCALE", PSEUDO)
    patch.setattr(i18n, "DEFAULT_LOCALE", PSEUDO)
    app = create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(folder / "instance"),
            "SECRET_KEY": "pseudo",
            "TESTING": True,
            "WTF_CSRF_ENABLED": True,
            "BASE_URL": "https://loom.test",
        }
    )
    app.extensions["babel"].translation_directories.insert(0, str(folder / "translations"))
    with app.app_context():
        from marketplace.db import db

        # Flask-Babel keeps one translations cache per process, keyed by locale: an earlier app of this run that
        # served `ar` (the right-to-left e2e) left an entry without the pseudo catalog.
        get_domain().cache.clear()

        seed_marketplace(db.session, groups=6, seed=7)
        add_what_the_demo_lacks(db.session)
    upload_a_spreadsheet_with_errors(app)
    try:
        yield app
    finally:
        patch.undo()
        with app.app_context():
            get_domain().cache.clear()  # the pseudo catalog's entry must not outlive this app
        app.extensions["loom.db"]["engine"].dispose()


def add_what_the_demo_lacks(session: Session) -> None:
    """A review with the group's answer, and a product story both parties agreed to publish."""
    from marketplace.accounts.models import Membership
    from marketplace.orders.models import Order, OrderStatus
    from marketplace.reputation.services import leave_review, reply_to_review
    from marketplace.trace.story import set_story_consent

    order = session.scalars(select(Order).where(Order.status.in_([OrderStatus.DELIVERED, OrderStatus.CLOSED]))).first()
    assert order is not None, "the demo has a delivered order"
    buyer = session.scalars(select(Membership).where(Membership.organization_id == order.buyer_id)).first()
    group = session.scalars(select(Membership).where(Membership.organization_id == order.group.organization_id)).first()
    review = leave_review(
        session, buyer, order.id, rating=4, quality=5, communication=4, on_time=4, text="Lovely baskets, packed with care."
    )
    reply_to_review(session, group, review.id, text="Thank you, we enjoyed making them.")
    for party in (buyer, group):
        set_story_consent(session, party, order.id, agree=True)
    session.commit()


def upload_a_spreadsheet_with_errors(app: Flask) -> None:
    """The operator uploads a federation's file with rejected rows: its preview shows the record errors."""
    lines = (Path(__file__).parents[1] / "data" / "federation-groups.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    bad = []
    for ref, changes in (
        ("BAD-1", {"country": "XX"}),
        ("BAD-2", {"moq": "lots"}),
        ("BAD-3", {"price_min": "1,234"}),
        ("BAD-4", {"category": "nope.none"}),
    ):
        cells = dict(zip(header, next(csv.reader([lines[1]])), strict=True)) | {"external_ref": ref} | changes
        bad.append(",".join(f'"{cells[c]}"' for c in header))
    twice = dict(zip(header, next(csv.reader([lines[1]])), strict=True)) | {"external_ref": "BAD-5", "weekly_capacity": "-3"}
    bad += [
        ",".join(f'"{twice[c]}"' for c in header),
        ",".join(f'"{(twice | {"category": "baskets.market"})[c]}"' for c in header),
    ]
    data = "\n".join([*lines[:4], *bad]).encode("utf-8")
    client = app.test_client()
    sign_in_as(client, PEOPLE["operator"])
    response = submit(
        client,
        "/operator/imports",
        {"file": (io.BytesIO(data), "groups.csv"), "number_locale": ""},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def people_words(app: Flask) -> list[str]:
    """Every text the database holds that people wrote or named (not codes such as `baskets.storage`), longest first."""
    from marketplace.db import Base

    words: set[str] = set()

    def collect(value: object) -> None:  # texts inside JSON columns too (notes in a trace, a group's languages)
        if isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, str) and len(value) > 2 and not re.fullmatch(r"[a-z0-9_.\-]+", value):
            words.add(" ".join(value.split()))
            words.update(" ".join(line.split()) for line in value.splitlines() if line.strip())

    with Session(app.extensions["loom.db"]["engine"]) as session:
        for table in Base.metadata.sorted_tables:
            if table.name == "import_job":  # its report holds Loom's own sentences, not people's words
                continue
            for column in (c for c in table.columns if isinstance(c.type, JSON)):
                for value in session.scalars(select(column).where(column.is_not(None))):
                    collect(value)
            columns = [c for c in table.columns if isinstance(c.type, (String, Text)) and not hasattr(c.type, "enums")]
            for column in columns:
                for value in session.scalars(select(column).where(column.is_not(None)).distinct()):
                    if isinstance(value, str) and len(value) > 2 and not re.fullmatch(r"[a-z0-9_.\-]+", value):
                        words.add(" ".join(value.split()))
                        words.update(" ".join(line.split()) for line in value.splitlines() if line.strip())
    return sorted(words, key=len, reverse=True)


def _ids(app: Flask, statement) -> list:  # type: ignore[no-untyped-def]
    with Session(app.extensions["loom.db"]["engine"]) as session:
        return list(session.scalars(statement))


def argument_values(app: Flask) -> dict[str, list]:
    """Values to fill each route argument with, taken from the demo; one order per status."""
    from marketplace.billing.models import Invoice
    from marketplace.orders.models import Order, ProgressUpdate
    from marketplace.producers.models import Capability, Certification, ImportJob, ProducerGroup, Product
    from marketplace.sourcing.models import Quote, Rfq, RfqAttachment
    from marketplace.trace.models import ProductStory

    orders = {}
    with Session(app.extensions["loom.db"]["engine"]) as session:
        for order_id, status in session.execute(select(Order.id, Order.status).order_by(Order.id)):
            orders.setdefault(status, order_id)
    return {
        "slug": _ids(app, select(ProducerGroup.slug).order_by(ProducerGroup.id)),
        "number": _ids(app, select(Order.number).order_by(Order.id)),
        "order_id": list(orders.values()),
        "rfq_id": _ids(app, select(Rfq.id).order_by(Rfq.id)),
        "quote_id": _ids(app, select(Quote.id).order_by(Quote.id)),
        "capability_id": _ids(app, select(Capability.id).order_by(Capability.id)),
        "certification_id": _ids(app, select(Certification.id).order_by(Certification.id)),
        "product_id": _ids(app, select(Product.id).order_by(Product.id)),
        "invoice_id": _ids(app, select(Invoice.id).order_by(Invoice.id)),
        "job_id": _ids(app, select(ImportJob.id).order_by(ImportJob.id)),
        "update_id": _ids(app, select(ProgressUpdate.id).order_by(ProgressUpdate.id)),
        "attachment_id": _ids(app, select(RfqAttachment.id).order_by(RfqAttachment.id)),
        "public_id": _ids(app, select(ProductStory.public_id)),
        "token": ["not-a-valid-token"],
    }


# Routes that answer files or data, not pages: read elsewhere (the API's problems are checked below).
NOT_PAGES = re.compile(r"^/(static|media)/|\.(json|svg|png)$|/photo$|/evidence$|/attachments/|^/api/v1/(groups|search)")
PEOPLE = {"visitor": None, "buyer": "buyer@demo.loom", "group": "producer@demo.loom", "operator": "operator@demo.loom"}


def sign_in_as(client: FlaskClient, email: str | None) -> None:
    client.delete_cookie("session")
    if email:
        response = submit(client, f"/login?lang={PSEUDO}", {"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]


def pages(app: Flask) -> Iterator[tuple[str, str, bool]]:
    """(rule, path, several) for every GET route; `several` when each value of its argument is a page of its own."""
    values = argument_values(app)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or NOT_PAGES.search(rule.rule):
            continue
        unknown = set(rule.arguments) - set(values) - set(rule.defaults or {})
        assert not unknown, f"{rule.rule}: give this test values for {unknown}, so the new page is checked"
        arguments = [a for a in rule.arguments if a not in (rule.defaults or {})]
        if not arguments:
            yield rule.rule, rule.rule, False
            continue
        name = arguments[0]
        for value in values[name] or [0]:
            path = rule.rule
            for argument in arguments:
                path = re.sub(rf"<([a-z]+:)?{argument}>", str(value if argument == name else (values[argument] or [0])[0]), path)
            yield rule.rule, path, name == "order_id"


def test_every_page_in_the_pseudo_locale_shows_only_translated_text(pseudo_app: Flask) -> None:
    words = people_words(pseudo_app)
    client = pseudo_app.test_client()
    checked, problems = 0, []
    for person, email in PEOPLE.items():
        sign_in_as(client, email)
        done: set[str] = set()
        for rule, path, several in pages(pseudo_app):
            if rule in done:
                continue
            response = client.get(f"{path}{'&' if '?' in path else '?'}lang={PSEUDO}")
            if response.status_code in (301, 302, 401) or (response.status_code in (403, 404) and "<" in rule):
                continue  # a page for someone else (or another one's id): tried with another value or person
            assert response.status_code < 500, (person, path, response.status_code)
            page = response.get_data(as_text=True)
            if response.mimetype != "text/html":
                continue
            if not several and response.status_code == 200:
                done.add(rule)
            assert f'<html lang="{PSEUDO}" dir="rtl">' in page, (person, path)
            parser = VisibleText()
            parser.feed(page)
            checked += 1
            for text in english_left(parser.texts, words):
                problems.append(f"{person} {path}: {text!r}")
    assert checked > 60
    assert not problems, f"{len(problems)} texts left in English:\n" + "\n".join(dict.fromkeys(problems))


def test_no_page_gives_an_id_twice(pseudo_app: Flask) -> None:
    # Pages with several forms (an order, the payouts, the operator's desk) once repeated every form's hidden
    # id="csrf_token"; a label or aria-describedby pointing at a repeated id finds only the first.
    client = pseudo_app.test_client()
    checked, problems = 0, []
    for person, email in PEOPLE.items():
        sign_in_as(client, email)
        for _rule, path, _several in pages(pseudo_app):
            response = client.get(path)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            checked += 1
            ids = Counter(re.findall(r'\sid="([^"]+)"', response.get_data(as_text=True)))
            problems += [f"{person} {path}: id={i!r} × {n}" for i, n in ids.items() if n > 1]
    assert checked > 60
    assert not problems, "\n".join(problems)


def _quantities(app: Flask) -> set[int]:
    """The demo's quantities and counts of 1,000 and more (units asked, quoted and ordered, artisans, capacities).

    Years are left out (a quantity of 2026 reads the same as the year), so a bare number found is a quantity.
    """
    from marketplace.orders.models import OrderLine
    from marketplace.producers.models import Capability, PriceTier, ProducerGroup
    from marketplace.sourcing.models import Quote, Rfq

    columns = (
        Rfq.quantity,
        Quote.quantity,
        OrderLine.quantity,
        ProducerGroup.artisan_count,
        Capability.moq,
        Capability.weekly_capacity,
        PriceTier.min_quantity,
    )
    with Session(app.extensions["loom.db"]["engine"]) as session:
        found = {n for column in columns for n in session.scalars(select(column)) if n is not None}
    return {n for n in found if n >= 1000 and not 1900 <= n <= 2100}


_BARE = re.compile(r"(?<![\w.,/#:\-])\d{4,}(?![\w,.:/\-])")


def _bare_quantities(text: str, quantities: set[int]) -> list[str]:
    return [n for n in _BARE.findall(text) if int(n) in quantities]


def test_quantities_of_a_thousand_and_more_are_grouped_on_every_page_and_e_mail(pseudo_app: Flask) -> None:
    # "1000 × bracelets", the order-confirmed message's "1000 units", a calendar of "5262" a week: each read in the
    # locale's grouping (here the pseudo-locale's, "1,000"). Text only: ids and references inside links are not read.
    quantities = _quantities(pseudo_app)
    assert any(n < 1900 for n in quantities) and any(n > 2100 for n in quantities), quantities
    client = pseudo_app.test_client()
    checked, problems = 0, []
    for person, email in PEOPLE.items():
        sign_in_as(client, email)
        for _rule, path, _several in pages(pseudo_app):
            response = client.get(path)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            checked += 1
            page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", response.get_data(as_text=True))
            text = html.unescape(re.sub(r"<[^>]+>", " ", page))
            problems += [f"{person} {path}: {n}" for n in _bare_quantities(text, quantities)]
    from marketplace.outbox.models import OutboxMessage

    with Session(pseudo_app.extensions["loom.db"]["engine"]) as session:
        mails = [m.payload for m in session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "mail.send"))]
    grouped = 0
    for mail in mails:
        text = f"{mail['subject']}\n{mail['body']}"
        problems += [f"e-mail {mail['subject']!r}: {n}" for n in _bare_quantities(text, quantities)]
        grouped += any(f"{n:,}" in text for n in quantities)
    assert checked > 60
    assert not problems, "\n".join(dict.fromkeys(problems))
    assert grouped  # the e-mails do carry quantities of 1,000 and more


def test_every_form_posted_empty_answers_with_translated_errors(pseudo_app: Flask) -> None:
    words = people_words(pseudo_app)
    client = pseudo_app.test_client()
    problems, checked = [], 0
    for person, email in PEOPLE.items():
        if email is None:
            continue
        sign_in_as(client, email)
        for rule, path, _several in pages(pseudo_app):
            if "POST" not in _methods(pseudo_app, rule):
                continue
            page = client.get(f"{path}?lang={PSEUDO}")
            if page.status_code != 200:
                continue
            response = submit(client, f"{path}?lang={PSEUDO}", {}, follow_redirects=True)
            assert response.status_code < 500, (person, path)
            parser = VisibleText()
            parser.feed(response.get_data(as_text=True))
            checked += 1
            problems += [f"{person} POST {path}: {t!r}" for t in english_left(parser.texts, words)]
    assert checked > 10
    assert not problems, f"{len(problems)} texts left in English:\n" + "\n".join(dict.fromkeys(problems))


def _methods(app: Flask, rule: str) -> set[str]:
    return {m for r in app.url_map.iter_rules() if r.rule == rule for m in r.methods}


def test_every_e_mail_the_demo_sends_is_translated(pseudo_app: Flask) -> None:
    from marketplace.outbox.models import OutboxMessage

    words = people_words(pseudo_app)
    with Session(pseudo_app.extensions["loom.db"]["engine"]) as session:
        mails = [m.payload for m in session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "mail.send"))]
    assert len({m["subject"] for m in mails}) > 5
    problems = []
    for mail in mails:
        texts = [mail["subject"], *(line for line in mail["body"].splitlines() if line.strip())]
        problems += [f"{mail['subject']!r}: {t!r}" for t in english_left([" ".join(t.split()) for t in texts], words)]
    assert not problems, f"{len(problems)} e-mail lines left in English:\n" + "\n".join(dict.fromkeys(problems))


def test_api_problems_are_translated(pseudo_app: Flask) -> None:
    client = pseudo_app.test_client()
    checked = 0
    for path in (
        "/api/v1/orders/LM-0/epcis",
        "/api/v1/groups/no-such-group",
        "/api/v1/search?sort=nonsense&per_page=x",
        "/api/v1/nothing-here",
    ):
        response = client.get(path, headers={"Accept-Language": "ar"})
        assert response.status_code >= 400 and response.mimetype == "application/problem+json", path
        body = response.get_json()
        for key in ("title", "detail"):
            if body.get(key):
                checked += 1
                assert not english_left([body[key]], []), (path, key, body[key])
    assert checked >= 6


def test_the_pseudo_translation_keeps_placeholders_and_markup() -> None:
    assert pseudo('Hello %(name)s, see <a href="%(url)s">this</a> &amp; {n}') == (
        '[Ĥéĺĺó %(name)s, šéé <a href="%(url)s">ţĥíš</a> &amp; {n}]'
    )
    assert english_left(["[Šéáŕçĥ] results"], []) == ["[Šéáŕçĥ] results"]
    assert english_left(["[Šéáŕçĥ] Machakos Weavers · KES 1,200"], ["Machakos Weavers"]) == []
    parser = VisibleText()
    parser.feed('<p>[Ĥí] <span dir="auto">Mary\'s text</span> <a lang="fr">Français</a></p><script>var x</script>')
    assert parser.texts == ["[Ĥí]"]


def test_people_words_are_shown_with_dir_auto(pseudo_app: Flask) -> None:
    # A name or a note may be written in any script: each is isolated with dir="auto", so an Arabic or Amharic name in
    # a left-to-right page (or an English one in a right-to-left page) keeps its own direction and its neighbours'.
    # Codes (SKUs, invoice numbers, certificate references) read left to right everywhere; addresses and links too.
    words = [w for w in people_words(pseudo_app) if len(w) >= 6 and re.search(r"[a-z]{3}", w) and "@" not in w and "://" not in w]
    client = pseudo_app.test_client()
    problems = []
    for _person, email in PEOPLE.items():
        sign_in_as(client, email)
        done: set[str] = set()
        for rule, path, several in pages(pseudo_app):
            if rule in done:
                continue
            response = client.get(f"{path}{'&' if '?' in path else '?'}lang={PSEUDO}")
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            if not several:
                done.add(rule)
            parser = VisibleText(titles=False)  # a window's title cannot isolate part of itself
            parser.feed(response.get_data(as_text=True))
            for text in parser.texts:
                text = re.sub(r"https?://\S+", " ", text)
                found = next((w for w in words if w in text), None)
                if found:
                    problems.append(f"{rule}: {found!r} in {text[:80]!r}")
    assert not problems, f'{len(problems)} people\'s words without dir="auto":\n' + "\n".join(sorted(set(problems)))
