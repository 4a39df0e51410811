"""The shipped catalogs: every marked string is translated where it must be, and no translation loses a placeholder.

The messages are extracted from the sources now (as `make i18n-extract` does), not read from a committed template,
so a string marked and left untranslated fails here even when nobody ran the extraction.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from marketplace.i18n import LOCALES, TRANSLATIONS

ROOT = Path(__file__).resolve().parent.parent.parent
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "N_": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
# Complete catalogs; Hindi and Amharic cover what a producer group sees (the scope for them).
COMPLETE = ("es", "fr", "sw")
PRODUCER_LOCALES = ("hi", "am")
# Everything a producer group sees: its sign-up, sign-in, team and language pages; the dashboard, profile, capabilities,
# capacity calendar, certifications, photos and catalog; the RFQ inbox, answering with a quote and the pricing helper;
# orders, progress, reviews and the trace pages it shares (story, hang tags, verify); invoices and payouts; the Odoo
# pages; its own public profile and the directory; the forms, flash messages and domain errors behind them (WTForms'
# own messages included), and the e-mails a group receives.
PRODUCER_SOURCES = re.compile(
    r"^(templates/(base|_form|_pages|error|_groups|_reputation|home)\.html|templates/(accounts|manage|erp|trace)/.*\.html"
    r"|templates/sourcing/(inbox|answer|_thread)\.html|templates/orders/(list|order|review)\.html"
    r"|templates/payments/(payouts|invoice)\.html|templates/producers/(directory|profile)\.html|templates/api/tokens\.html"
    r"|marketplace/(i18n|forms|form_messages|web|notifications|guards|problems)\.py"
    r"|marketplace/(accounts|producers|sourcing|orders|trace|reputation|billing|api)/"
    r"(forms|views|token_views|services|story|vocabulary|commitments|capacity|signals|record|payouts|tokens)\.py"
    r"|erp_connector/(forms|views)\.py|payments/(forms|views|payouts)\.py)"
)
PRODUCER_EMAILS = (
    "New request for quotation: %(title)s",
    "Order %(number)s confirmed: %(title)s",
    "Your quote was not chosen: %(title)s",
    "Request cancelled: %(title)s",
    "Request closed: %(title)s",
    "New message about %(title)s",
    "%(person)s (%(organization)s) wrote:",
    "Payout sent: %(amount)s",
    "Your payout details were changed",
    "Invoice %(number)s paid: %(amount)s on its way",
    "Certification not accepted: %(scheme)s",
    "Order %(number)s is %(status)s",
)
PLACEHOLDER = re.compile(r"%\([A-Za-z0-9_]+\)[sd]|%%|\{[A-Za-z0-9_]*\}")


@functools.cache
def extracted() -> dict[object, set[str]]:
    """Every marked message in the sources: msgid (a tuple for plurals) → the files it is used in."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    messages: dict[object, set[str]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS):
        if message and (message if isinstance(message, str) else message[0]):
            key = message if isinstance(message, str) else tuple(message)
            messages.setdefault(key, set()).add(filename)
    return messages


@functools.cache
def catalog(locale: str):  # type: ignore[no-untyped-def]
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def untranslated(locale: str, wanted: dict[object, set[str]]) -> list[str]:
    missing = []
    for msgid in wanted:
        entry = catalog(locale).get(msgid)
        strings = (entry.string if isinstance(entry.string, tuple) else (entry.string,)) if entry else ("",)
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(str(msgid))
    return missing


def test_the_sources_mark_hundreds_of_strings() -> None:
    # A broken extraction (wrong keywords, a babel.cfg that matches nothing) would make every check below pass vacuously.
    assert len(extracted()) > 800


@pytest.mark.parametrize("locale", COMPLETE)
def test_complete_catalogs_translate_every_marked_string(locale: str) -> None:
    missing = untranslated(locale, extracted())
    assert not missing, (
        f"{len(missing)} strings untranslated in {locale}, e.g. {missing[:5]} — run `make i18n-update` and translate them"
    )


@pytest.mark.parametrize("locale", PRODUCER_LOCALES)
def test_hindi_and_amharic_translate_what_producer_groups_see(locale: str) -> None:
    wanted = {
        msgid: files
        for msgid, files in extracted().items()
        if any(PRODUCER_SOURCES.match(f) for f in files) or msgid in PRODUCER_EMAILS
    }
    assert len(wanted) > 900
    missing = untranslated(locale, wanted)
    assert not missing, f"{len(missing)} producer-page strings untranslated in {locale}, e.g. {missing[:5]}"


@pytest.mark.parametrize("locale", [code for code in LOCALES if code != "en"])
def test_every_translation_keeps_the_placeholders_of_its_source(locale: str) -> None:
    wrong = []
    for entry in catalog(locale):
        if not entry.id or not entry.string:
            continue
        sources = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        plural_source = sorted(PLACEHOLDER.findall(sources[-1]))
        for index, text in enumerate(strings):
            if not text:
                continue
            found = sorted(PLACEHOLDER.findall(text))
            # A singular form may leave out %(num)s ("The other group…"); it may never bring in a name the source lacks.
            expected = plural_source if len(sources) > 1 else sorted(PLACEHOLDER.findall(sources[0]))
            if found != expected and not (len(sources) > 1 and index == 0 and set(found) <= set(expected)):
                wrong.append(f"{entry.id!r} → {text!r}")
    assert not wrong, "\n".join(wrong[:10])


@pytest.mark.parametrize("locale", [code for code in LOCALES if code != "en"])
def test_no_translation_is_a_copy_of_the_english(locale: str) -> None:
    # Names that read the same in every language ("Odoo", "API", "SKU", "%(units)s units" in French…) are few.
    copies = [
        e.id
        for e in catalog(locale)
        if e.id and isinstance(e.id, str) and e.string == e.id and re.search(r"[a-z]{4,} [a-z]{4,}", e.id)
    ]
    assert len(copies) <= 5, copies


def test_every_message_of_wtforms_itself_is_in_the_catalogs() -> None:
    # WTForms ships no Swahili, Hindi or Amharic: its messages are served from Loom's catalogs (marketplace.forms), so each
    # one WTForms can show must be marked in marketplace/form_messages.py, including any a WTForms upgrade brings.
    import wtforms

    with (Path(wtforms.__file__).parent / "locale" / "wtforms.pot").open("rb") as handle:
        own = [m.id for m in read_po(handle) if m.id]
    assert len(own) > 30
    missing = [msgid for msgid in own if msgid not in extracted()]
    assert not missing, f"WTForms messages not marked in marketplace/form_messages.py: {missing}"


# What carries a message to the person: the domain's errors (shown on the page or as the API problem's detail) and the
# search layer's refusals. Their first argument is the message.
CARRIERS = {"DomainError", "NotFound", "Forbidden", "Conflict", "Unavailable", "BadGateway", "TooManyRequests", "InvalidQuery"}


def test_every_error_message_is_marked_for_translation() -> None:
    """A literal or f-string message reaches a French buyer in English: the message must be a gettext call (or N_)."""
    import ast

    unmarked = []
    for package in ("marketplace", "payments", "erp_connector", "search"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and node.args):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in CARRIERS and isinstance(node.args[0], (ast.Constant, ast.JoinedStr)):
                    unmarked.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not unmarked, unmarked
