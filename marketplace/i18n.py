"""Languages: which locale a request speaks, the switcher's links, the catalogs, and local formats (Flask-Babel).

A request's locale is, first found wins:
1. a choice made with the switcher (`?lang=sw`), kept in the session;
2. the signed-in person's saved preference (`User.locale`);
3. their organization's default (`Organization.locale`);
4. the browser's `Accept-Language`, best match among the shipped locales;
5. English.

E-mails are written in the recipient's locale, whoever caused them: see `recipient_locale` and
`marketplace.notifications`. Catalogs live in `translations/<locale>/LC_MESSAGES/messages.po`; their
`.mo` files are compiled when missing or older than the `.po` (at start-up, or `make i18n-compile`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import Babel, LazyString, get_locale, get_translations  # noqa: TID251 - the one place that asks Flask-Babel
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from marketplace.redirects import link_to

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
DEFAULT_LOCALE = "en"
# Every locale Loom ships, in the switcher's order; each is named in its own language.
LOCALES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "sw": "Kiswahili",
    "hi": "हिन्दी",
    "am": "አማርኛ",
}
SESSION_KEY = "locale"

babel = Babel()


def N_(message: str) -> str:  # noqa: N802 (gettext's own name for it)
    """Mark `message` for the catalogs and return it unchanged: for words kept in data and translated where shown."""
    return message


def gettext(message: str, /, **variables: Any) -> str:
    """Return `message` in the locale in force, `%`-filled with `variables` when given, as Flask-Babel's `gettext` does,
    with the catalog remembered per request (`_translations`). Raises what `%` raises for variables that do not fill it."""
    text = translate(message)
    return text % variables if variables else text


def lazy_gettext(message: str, /, **variables: Any) -> LazyString:
    """Return `message` as Flask-Babel's `lazy_gettext` does: translated (by `gettext` above) each time it is turned into
    text, in the locale then in force. A page shows such labels (a select's options) through Flask-Babel's lookup each."""
    return LazyString(gettext, message, **variables)


def locale_choices() -> list[Any]:
    """Return a select field's choice per shipped locale: its code, its name in its own language, marked with `lang`."""
    from wtforms import SelectChoice

    return [SelectChoice(code, name, render_kw={"lang": code}) for code, name in LOCALES.items()]


def supported(code: str | None) -> str | None:
    """Return `code` when Loom ships that locale (`"fr"`, `"FR"`, `"fr-CA"` → `"fr"`), else None."""
    if not code:
        return None
    base = code.strip().replace("-", "_").split("_")[0].lower()
    return base if base in LOCALES else None


def select_locale() -> str:
    """Return the locale this request speaks (see the module's docstring for the order); English outside a request."""
    if not has_request_context():
        return DEFAULT_LOCALE
    chosen = supported(request.args.get("lang")) or supported(session.get(SESSION_KEY))
    if chosen:
        return chosen
    if current_user and current_user.is_authenticated:
        own = supported(getattr(current_user, "locale", None))
        if own:
            return own
        organization_locale = current_app.extensions.get("loom.organization_locale")
        organization_default = supported(organization_locale()) if organization_locale else None
        if organization_default:
            return organization_default
    return request.accept_languages.best_match(list(LOCALES), default=DEFAULT_LOCALE)


def _remember_choice() -> None:
    """Keep a switcher choice (`?lang=`) for the rest of the visit."""
    chosen = supported(request.args.get("lang"))
    if chosen and session.get(SESSION_KEY) != chosen:
        session[SESSION_KEY] = chosen


@dataclass(frozen=True, slots=True)
class LanguageLink:
    """One entry of the language switcher: the locale's code, its name in its own language, whether it is the page's
    locale, and the page's address in it.

    Attributes, not a dict's keys: Jinja looks an attribute up first, so each of a dict's keys cost it a caught
    `AttributeError` (thirty a page, issue 19).
    """

    code: str
    name: str
    current: bool
    url: str


def language_links() -> list[LanguageLink]:
    """Return the switcher's links for this page: each keeps the page and its query, with `lang` set."""
    current = current_locale()
    here = _link_back(request.path)  # never a way off the site, whatever address a 404 page was asked for
    # The page's own query is encoded once; urlencode joins its pairs with "&", so adding `lang` after it is the same text.
    kept = urlencode([(key, value) for key, value in request.args.items(multi=True) if key != "lang"]) if request.args else ""
    start = f"{here}?{kept}&" if kept else f"{here}?"
    return [LanguageLink(code, name, code == current, start + _lang_query(code)) for code, name in LOCALES.items()]


@lru_cache(maxsize=64)
def _lang_query(code: str) -> str:
    """A locale's `lang=` query as urlencode writes it, encoded once (every page's footer links to each locale)."""
    return urlencode([("lang", code)])


@lru_cache(maxsize=1024)
def _link_back(path: str) -> str:
    """`marketplace.redirects.link_to(path)`, remembered: every page's switcher links back to it, and most pages are a few
    paths (the home page, the search page), each checked character by character."""
    return link_to(path)


def text_direction(locale: str | None = None) -> str:
    """Return "rtl" or "ltr" for `locale` (the request's when None), from CLDR's character order."""
    return _direction(str(locale or current_locale()))


@lru_cache(maxsize=64)
def _direction(code: str) -> str:
    return "rtl" if babel_locale(code).character_order == "right-to-left" else "ltr"


def current_locale() -> str:
    """Return the request's locale code, such as "sw" (English outside a request).

    Remembered on `g` while Flask-Babel's locale object for the request stays the same (see `_in_force`): templates ask
    for it for every number, amount, date and country they show.
    """
    return _in_force("_loom_locale_code", lambda: str(get_locale() or DEFAULT_LOCALE), DEFAULT_LOCALE)


@lru_cache(maxsize=64)
def babel_locale(code: str) -> Locale:
    """Return Babel's `Locale` for a locale code ("fr", "en_US"), parsed once per process; raise `ValueError` or
    `babel.UnknownLocaleError` for an unknown code, as `Locale.parse` does.

    `Locale.parse` builds a new object (and looks its data up) on every call; Babel's functions take the parsed object.
    """
    return Locale.parse(code)


def recipient_locale(user: Any, organization: Any = None) -> str:
    """Return the locale to write to `user` in: their preference, else their organization's default, else English."""
    return supported(getattr(user, "locale", None)) or supported(getattr(organization, "locale", None)) or DEFAULT_LOCALE


def compile_catalogs(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile each `.po` under `directory` whose `.mo` is missing or older; return the `.mo` files written.

    Written through a temporary file and a rename, so two processes starting at once never read half a file.
    """
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        handle, temporary = tempfile.mkstemp(dir=po_path.parent, suffix=".mo.tmp")
        with os.fdopen(handle, "wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(temporary, mo_path)
        written.append(mo_path)
    return written


# ----- labels for values the code keeps in English (statuses, roles, kinds) ------------------------
# Enum values stay stable English words in the database and the API; people read these labels.
_LABELS = {
    "draft": lazy_gettext("draft"),
    "open": lazy_gettext("open"),
    "closed": lazy_gettext("closed"),
    "cancelled": lazy_gettext("cancelled"),
    "awarded": lazy_gettext("awarded"),
    "submitted": lazy_gettext("submitted"),
    "withdrawn": lazy_gettext("withdrawn"),
    "accepted": lazy_gettext("accepted"),
    "declined": lazy_gettext("declined"),
    "expired": lazy_gettext("expired"),
    "confirmed": lazy_gettext("confirmed"),
    "in_production": lazy_gettext("in production"),
    "ready": lazy_gettext("ready"),
    "shipped": lazy_gettext("shipped"),
    "delivered": lazy_gettext("delivered"),
    "deposit": lazy_gettext("deposit"),
    "balance": lazy_gettext("balance"),
    "processing": lazy_gettext("processing"),
    "paid": lazy_gettext("paid"),
    "failed": lazy_gettext("failed"),
    "refunded": lazy_gettext("refunded"),
    "void": lazy_gettext("void"),
    "pending": lazy_gettext("pending"),
    "succeeded": lazy_gettext("succeeded"),
    "sent": lazy_gettext("sent"),
    "reversed": lazy_gettext("reversed"),
    "stripe_transfer": lazy_gettext("Stripe transfer"),
    "mobile_money": lazy_gettext("mobile money"),
    "bank_transfer": lazy_gettext("bank transfer"),
    "done": lazy_gettext("done"),
    "previewed": lazy_gettext("previewed"),
    "queued": lazy_gettext("queued"),
    "running": lazy_gettext("running"),
    "dead": lazy_gettext("dead letter"),
    "buyer": lazy_gettext("buyer"),
    "producer": lazy_gettext("producer group"),
    "owner": lazy_gettext("owner"),
    "admin": lazy_gettext("admin"),
    "member": lazy_gettext("member"),
}


def label(value: Any) -> str:
    """Return the translated label of a status, role or kind (an enum or its value); unknown values as they are."""
    key = str(getattr(value, "value", value))
    text = _LABELS.get(key)
    return str(text) if text is not None else key.replace("_", " ")


def format_day(value: Any, format: str = "medium") -> str:
    """Return a date (or a datetime's UTC date) in the locale in force: "29 nov. 2026" in French; "" for None."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC).date() if value.tzinfo else value.date()
    return _formatted_day(value, format, current_locale())


def format_moment(value: Any, format: str = "medium") -> str:
    """Return a date and time, shown in UTC, in the locale in force; "" for None."""
    if value is None:
        return ""
    return babel_dates.format_datetime(value, format=format, tzinfo=dt.UTC, locale=babel_locale(current_locale()))


def format_number(value: int | Decimal | None, format: str | None = None) -> str:
    """Return a number with the grouping of the locale in force: "1 200" in French, "1,200" in English (`format`: a CLDR
    pattern)."""
    if value is None:
        return ""
    return formatted_decimal(value, format, current_locale())


# Pages show the same few hundred numbers and days again and again (counts, rates, prices, weeks), each through Babel's
# pattern engine (tens of microseconds a value). Both memos below are keyed on everything the text depends on: the
# value's type and exact text (Decimal("1.50") is not Decimal("1.5"), -0 is not 0), the pattern and the locale.
@lru_cache(maxsize=8192)
def _formatted_decimal(kind: type, text: str, format: str | None, locale: str) -> str:
    value: Any = Decimal(text) if kind is Decimal else kind(text)
    return babel_numbers.format_decimal(value, format=format, locale=babel_locale(locale))


def formatted_decimal(value: int | float | Decimal, format: str | None, locale: str) -> str:
    """Return `babel.numbers.format_decimal(value, format, locale)`, remembered per value, pattern and locale code.

    Raises what Babel raises (an unknown locale, a bad pattern, a value that is not a number).
    """
    kind = type(value)
    if kind is bool or kind not in (int, float, Decimal):  # anything else as Babel takes it, unremembered
        return babel_numbers.format_decimal(value, format=format, locale=babel_locale(locale))
    return _formatted_decimal(kind, repr(value) if kind is float else str(value), format, locale)


@lru_cache(maxsize=4096)
def _formatted_day(value: dt.date, format: str, locale: str) -> str:
    return babel_dates.format_date(value, format=format, locale=babel_locale(locale))


def _in_force(key: str, compute: Callable[[], Any], outside: Any) -> Any:
    """Return `compute()` for the locale in force, remembered on `g` under `key` while that locale stays in force.

    Flask-Babel resolves the context, domain and locale on every call; pages ask a hundred times. The memo holds the very
    locale object Flask-Babel keeps for the request, so `force_locale` (an e-mail in its reader's language) or `refresh()`,
    which replace that object, are followed at once. Outside an app context, `outside`.
    """
    if not has_app_context():
        return outside
    state = g._get_current_object()
    babel_state = getattr(state, "_flask_babel", None)
    locale = getattr(babel_state, "babel_locale", None)
    memo = getattr(state, key, None)
    if memo is not None and locale is not None and memo[0] is locale:
        return memo[1]
    value = compute()  # asks Flask-Babel, which chooses the request's locale when it was not chosen yet
    setattr(state, key, (get_locale(), value))
    return value


def _translations() -> NullTranslations:
    """Return Flask-Babel's translations for the locale in force, remembered on `g` while that locale stays in force.

    Flask-Babel's `get_translations()` resolves the context, domain and locale on every call: a fifth
    of a search page's time went to it (issue 19).
    """
    if not has_app_context():
        return get_translations()
    return _in_force("_loom_translations", get_translations, None)


def translate(message: str) -> str:
    """Return `message` in the locale in force, as Flask-Babel's `gettext(message)` does, with the catalog remembered per
    request (`_translations`): for words kept in data and shown many times a page (category names)."""
    return _translations().ugettext(message)


def translate_plural(singular: str, plural: str, n: int) -> str:
    """Return the form of a message for `n` in the locale in force, as Flask-Babel's `ngettext` does before filling it,
    with the catalog remembered per request (`_translations`)."""
    return _translations().ungettext(singular, plural, n)


def catalog_memo(name: str) -> dict[Any, Any]:
    """Return the dictionary called `name` kept on the catalog in force (empty at first), for text made from its messages
    and shown many times a page: a catalog reloaded (Flask-Babel's cache cleared) or another locale starts afresh. Its
    keys are the caller's; keep them few (a fixed vocabulary's codes)."""
    translations = _translations()
    memo: dict[Any, Any] | None = getattr(translations, name, None)
    if memo is None:
        memo = {}
        setattr(translations, name, memo)
    return memo


def _grouped(value: object, locale: str | None = None) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return format_number(value) if locale is None else formatted_decimal(value, None, locale)
    return value


def _filled(eval_context: EvalContext, text: str, variables: dict[str, Any], locale: str | None = None) -> str:
    """Fill a translated template message as Jinja's new-style gettext does (Markup under autoescape, always `%`-formatted),
    with whole numbers in the locale's grouping.

    `{% trans units=rfq.quantity %}{{ units }} units{% endtrans %}` and `ngettext(..., n)` (its `num`) give "1,200 units"
    in English, "1 200 unités" in French, instead of "1200". Only `int` values change: ids and years never reach a message
    as numbers (links are built with url_for, references are text), and anything already formatted is text. `locale`: the
    locale code in force when the caller knows it (else it is looked up for each number).
    """
    if eval_context.autoescape:
        if _only_text_fields(text):  # the same as Markup's `%`, without its wrapper object for each value (a third the time)
            return Markup(text % _escaped_values(variables, locale))
        text = Markup(text)
    return text % {key: _grouped(value, locale) for key, value in variables.items()}


def _escaped_values(variables: dict[str, Any], locale: str | None) -> dict[str, Any]:
    """Return each value as `escape(_grouped(value, locale))` writes it: text escaped, HTML as it is, whole numbers grouped.

    A page fills a hundred messages, most with text and whole numbers: text is escaped as it comes, HTML (`Markup`)
    already is, and a whole number's escaped, grouped text is remembered per locale (`_grouped_html`); anything else
    goes the general way.
    """
    escaped: dict[str, Any] = {}
    for key, value in variables.items():
        kind = type(value)
        if kind is str:
            escaped[key] = escape(value)
        elif kind is Markup:
            escaped[key] = value  # what escape() gives back, a copy of the same text
        elif kind is int:
            escaped[key] = _grouped_html(value, locale or current_locale())
        else:
            escaped[key] = escape(_grouped(value, locale))
    return escaped


@lru_cache(maxsize=8192)
def _grouped_html(value: int, locale: str) -> Markup:
    return escape(formatted_decimal(value, None, locale))


# A message whose only conversions are `%(name)s` and `%%`: Markup's `%` turns each value into `str(escape(value))`, so
# giving `%` the escaped values writes the same text. Any other conversion (`%d`, `%r`, a width) goes through Markup.
_TEXT_FIELDS = re.compile(r"(?:[^%]|%%|%\([^()]*\)s)*", re.DOTALL)


@lru_cache(maxsize=4096)
def _only_text_fields(text: str) -> bool:
    return _TEXT_FIELDS.fullmatch(text) is not None


class _Autoescaped:
    """What `_filled` reads of an autoescaping template's evaluation context."""

    autoescape = True


_HTML = cast(EvalContext, _Autoescaped())


class HtmlMessages:
    """The catalog in force, writing messages as an autoescaping template's `_()` and `{% trans %}` write them.

    For HTML written in Python that a page repeats (a search result's card): the same text as the template wrote,
    without Jinja's calls, and with the catalog and the locale looked up once. A message is trusted HTML from the catalog,
    each value is escaped and each whole number grouped for the locale; a message without variables is remembered per
    catalog, as in templates. Calls raise what `%` raises for a message its variables do not fill (KeyError, TypeError,
    ValueError).
    """

    __slots__ = ("locale", "_translations")

    def __init__(self) -> None:
        self.locale = current_locale()
        self._translations = _translations()

    def __call__(self, message: str, /, **variables: Any) -> Markup:
        """Return `message` translated and filled with `variables`, as `{{ _(message, **variables) }}` writes it."""
        if variables:
            return cast(Markup, _filled(_HTML, self._translations.ugettext(message), variables, self.locale))
        return _plain_html(self._translations, message)

    def plural(self, singular: str, plural: str, num: int, /, **variables: Any) -> Markup:
        """Return the form of a message for `num`, filled as `{% trans %}…{% pluralize %}` writes it (`num` is also a
        variable unless given)."""
        variables.setdefault("num", num)
        return cast(Markup, _filled(_HTML, self._translations.ungettext(singular, plural, num), variables, self.locale))


# Templates' gettext callables (Jinja's new style, `jinja2.ext._make_new_gettext` and its siblings), each in one call:
# the catalog remembered for the locale in force, the message filled with grouped numbers. A page calls them a hundred
# times or more; Jinja's own wrappers would add two more calls through the template context to each. They take the
# evaluation context (for autoescape) rather than the template context, which Jinja copies for each call from a loop.
@pass_eval_context
def _template_gettext(eval_context: EvalContext, message: str, /, **variables: Any) -> str:
    translations = _translations()
    if variables or not eval_context.autoescape:
        return _filled(eval_context, translations.ugettext(message), variables)
    return _plain_html(translations, message)


def _plain_html(translations: NullTranslations, message: str) -> Markup:
    """Return a message without variables from `translations` as an autoescaping template writes it (`%%` is `%`).

    It fills to the same Markup every time, in a given catalog (most of a page's messages: labels, buttons, headings), so
    it is remembered on the catalog object, and a catalog reloaded (Flask-Babel's cache cleared) starts afresh.
    """
    plain: dict[str, Markup] | None = getattr(translations, _PLAIN, None)
    if plain is None:
        plain = {}
        setattr(translations, _PLAIN, plain)
    text = plain.get(message)
    if text is None:
        text = cast(Markup, _filled(_HTML, translations.ugettext(message), {}))
        if len(plain) >= PLAIN_MESSAGES_KEPT:
            plain.clear()
        plain[message] = text
    return text


_PLAIN = "_loom_plain_messages"
PLAIN_MESSAGES_KEPT = 10_000  # filled messages remembered per catalog: a template's literals, a few hundred in all


@pass_eval_context
def _template_ngettext(eval_context: EvalContext, singular: str, plural: str, num: int, /, **variables: Any) -> str:
    variables.setdefault("num", num)
    return _filled(eval_context, _translations().ungettext(singular, plural, num), variables)


@pass_eval_context
def _template_pgettext(eval_context: EvalContext, message_context: str, message: str, /, **variables: Any) -> str:
    variables.setdefault("context", message_context)
    return _filled(eval_context, _translations().upgettext(message_context, message), variables)


@pass_eval_context
def _template_npgettext(
    eval_context: EvalContext, message_context: str, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    variables.setdefault("context", message_context)
    variables.setdefault("num", num)
    return _filled(eval_context, _translations().unpgettext(message_context, singular, plural, num), variables)


def init_app(app: Flask, organization_locale: Callable[[], str | None] | None = None) -> None:
    """Attach Flask-Babel with Loom's locale selector and catalogs, and give templates the switcher and labels.

    `organization_locale` returns the signed-in person's organization's default locale code (or None); the
    app's wiring passes it, so this module needs no import of the accounts package.
    """
    if organization_locale is not None:
        app.extensions["loom.organization_locale"] = organization_locale
    compile_catalogs()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    babel.init_app(app, locale_selector=select_locale)
    # Templates call gettext a hundred times a page: each call looks the catalog up once per locale in force.
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.newstyle_gettext = True  # type: ignore[attr-defined]
    app.jinja_env.globals.update(
        gettext=_template_gettext, ngettext=_template_ngettext, pgettext=_template_pgettext, npgettext=_template_npgettext
    )
    # `_` too: Jinja's alias for it takes the template context and calls `gettext` through it again, and a call taking the
    # context from inside a block or a loop first copies the whole context (`Context.derived`): every `_()` of a page's
    # content did (issue 19).
    app.jinja_env.globals["_"] = _template_gettext
    app.before_request(_remember_choice)
    app.jinja_env.globals.update(
        language_links=language_links, text_direction=text_direction, current_locale=current_locale, label=label
    )
    app.jinja_env.filters.update(label=label, date=format_day, datetime=format_moment, number=format_number)


_STATUS_TITLES = {
    400: lazy_gettext("Bad request"),
    401: lazy_gettext("Sign in needed"),
    403: lazy_gettext("Not allowed"),
    404: lazy_gettext("Not found"),
    405: lazy_gettext("Not allowed this way"),
    409: lazy_gettext("Conflict"),
    413: lazy_gettext("Too much sent"),
    422: lazy_gettext("Could not be processed"),
    429: lazy_gettext("Too many requests"),
    500: lazy_gettext("Something went wrong"),
    502: lazy_gettext("Another service said no"),
    503: lazy_gettext("Not available right now"),
}


def status_title(status: int, english: str) -> str:
    """Return the translated title of an HTTP status for error pages and problem+json (`english` when unknown)."""
    title = _STATUS_TITLES.get(status)
    return str(title) if title is not None else english


# ----- values formatted when a lazy message is rendered (e-mails are rendered in each recipient's locale) -----


def lazy_money(amount: Decimal | int, currency: str) -> LazyString:
    """Return `amount` in `currency`, formatted for whichever locale is in force when it is turned into text."""
    from marketplace.money import format_money

    return LazyString(lambda: format_money(amount, currency, current_locale()))


def lazy_number(value: int | Decimal) -> LazyString:
    """Return a number with the grouping of whichever locale is in force when it is turned into text ("1,200", "1 200")."""
    return LazyString(lambda: format_number(value))


def lazy_date(value: Any, format: str = "medium") -> LazyString:
    """Return a date formatted for whichever locale is in force when it is turned into text."""
    return LazyString(lambda: format_day(value, format))


def lazy_moment(value: Any, format: str = "medium") -> LazyString:
    """Return a date and time (UTC) formatted for whichever locale is in force when it is turned into text."""
    return LazyString(lambda: format_moment(value, format))


def lazy_join(*parts: object, separator: str = "\n\n") -> LazyString:
    """Return the non-empty parts (lazy messages or plain text) joined when turned into text, each in the locale then in force.

    (`lazy + "text"` would turn the lazy message into text at once, in the sender's locale.)
    """
    return LazyString(lambda: separator.join(str(part) for part in parts if str(part)))


def lazy_label(value: Any) -> LazyString:
    """Return a status, role or kind's label in whichever locale is in force when it is turned into text."""
    return LazyString(lambda: label(value))
