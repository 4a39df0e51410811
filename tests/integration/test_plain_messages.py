"""Templates' `_()` in one call, a message without variables filled once per catalog, one with variables filled without
Markup's wrapper object per value (issue 19).

Jinja's `_` is an alias that takes the template context and calls `gettext` through it again; from inside a loop or a
block that sets a variable (`{% set %}`, as a search result's reasons do), a call that takes the context first copies it
(`Context.derived`). Loom's `_` is its `gettext` itself. A message
without variables fills to the same text every time in a catalog, so it is remembered on the catalog object.
"""

from __future__ import annotations

from typing import Any

import markupsafe
import pytest
from flask import Flask
from flask_babel import force_locale, get_domain, lazy_gettext
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from markupsafe import Markup

from marketplace import i18n
from marketplace.i18n import LOCALES

MESSAGES = ["Search", "Producer groups", "Find producer groups", "100%% sure"]
LOOP = "{% for i in range(3) %}{% set shown = i %}" + "".join(f'{{{{ _("{m}") }}}}|' for m in MESSAGES) + "{% endfor %}"


@pytest.mark.parametrize("locale", list(LOCALES))
def test_a_plain_message_is_looked_up_once_per_catalog_and_fills_as_before(
    app: Flask, monkeypatch: pytest.MonkeyPatch, locale: str
) -> None:
    with app.test_request_context("/"), force_locale(locale):
        catalog = i18n._translations()
        expected = "".join(str(Markup(catalog.ugettext(m)) % {}) + "|" for m in MESSAGES) * 3
        looked_up: list[str] = []
        ugettext = catalog.ugettext

        def counted(message: str) -> str:
            looked_up.append(message)
            return ugettext(message)

        monkeypatch.setattr(catalog, "ugettext", counted)
        monkeypatch.setattr(catalog, i18n._PLAIN, {}, raising=False)  # whatever other tests remembered in this catalog
        template = app.jinja_env.from_string(LOOP)
        assert template.render() == expected
        assert template.render() == expected
        assert sorted(looked_up) == sorted(MESSAGES)  # once each, over six renderings
        assert "100% sure" in expected  # filled as before: `%%` is a percent sign


def test_a_reloaded_catalog_is_looked_up_afresh(app: Flask) -> None:
    with app.app_context(), app.test_request_context("/"), force_locale("fr"):  # a request of its own (its own `g`)
        first = i18n._translations()
        app.jinja_env.from_string('{{ _("Search") }}').render()
        assert "Search" in getattr(first, i18n._PLAIN)
    with app.app_context():
        get_domain().cache.clear()  # as after new .mo files: Flask-Babel reads the catalogs again
    with app.app_context(), app.test_request_context("/"), force_locale("fr"):
        second = i18n._translations()
        assert second is not first and getattr(second, i18n._PLAIN, None) is None
        assert app.jinja_env.from_string('{{ _("Search") }}').render() == str(Markup(second.ugettext("Search")) % {})


def test_underscore_in_a_loop_does_not_copy_the_template_context(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    copies: list[Any] = []
    derived = Context.derived

    def counted(context: Context, locals: dict[str, Any] | None = None) -> Context:
        copies.append(locals)
        return derived(context, locals)

    monkeypatch.setattr(Context, "derived", counted)
    with app.test_request_context("/"), force_locale("sw"):
        app.jinja_env.from_string(LOOP).render()
    assert copies == []


TEXTS = [
    "%(a)s and %(b)s",
    "100%% of <b>%(a)s</b>",
    "no fields at all",
    "%(a)s%%(b)s",
    "%(num)d items",  # not text fields: through Markup's `%`
    "%(a)r",
    "%(a)8s|",
    "%(a)s — %(missing)s",
]
VALUES: list[Any] = ["<b>&'\"", Markup("<i>kept</i>"), 1234567, None, 2.5, True, lazy_gettext("Search"), (1, "<x>")]


@pytest.mark.parametrize("text", TEXTS)
def test_a_message_fills_as_markups_own_percent_does(app: Flask, text: str) -> None:
    autoescaped = EvalContext(app.jinja_env)
    assert autoescaped.autoescape  # Flask's templates
    with app.test_request_context("/"), force_locale("fr"):
        for a in VALUES:
            for b in (VALUES[0], 7, Markup("&amp;")):
                given = {"a": a, "b": b, "num": 3}
                try:
                    expected: Any = Markup(text) % {key: i18n._grouped(value) for key, value in given.items()}
                except (KeyError, TypeError, ValueError) as error:
                    expected = type(error)
                try:
                    filled: Any = i18n._filled(autoescaped, text, given)
                except (KeyError, TypeError, ValueError) as error:
                    filled = type(error)
                assert filled == expected and type(filled) is type(expected), (text, given)


def test_text_fields_are_filled_without_markups_wrapper_per_value(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    wrapped: list[Any] = []

    class Counted(markupsafe._MarkupEscapeHelper):
        def __init__(self, obj: Any, escape: Any) -> None:
            wrapped.append(obj)
            super().__init__(obj, escape)

    monkeypatch.setattr(markupsafe, "_MarkupEscapeHelper", Counted)
    source = "{% trans trimmed a='<x>', n=1200 %}{{ a }} and {{ n }} units{% endtrans %}|{{ _('%(a)s at 100%%', a='&') }}"
    with app.test_request_context("/"), force_locale("en"):
        assert app.jinja_env.from_string(source).render() == "&lt;x&gt; and 1,200 units|&amp; at 100%"
    assert wrapped == []
