"""Templates look their catalog up once per locale in force (issue 19: a fifth of a search page went to
Flask-Babel resolving it on every string), and still follow `force_locale` at once, in and out."""

from __future__ import annotations

from flask import Flask, render_template_string
from flask_babel import force_locale, gettext, ngettext

TEMPLATE = "{{ _('Not found') }}|{{ ngettext('%(num)s quote', '%(num)s quotes', 2) }}"


def _expected() -> str:
    return f"{gettext('Not found')}|{ngettext('%(num)s quote', '%(num)s quotes', 2)}"


def test_template_strings_follow_the_locale_in_force_inside_one_request(app: Flask) -> None:
    with app.test_request_context("/"):
        with force_locale("es"):
            spanish = render_template_string(TEMPLATE)
            assert spanish == _expected()
            with force_locale("fr"):  # an e-mail in its reader's language, in the middle of a Spanish page
                french = render_template_string(TEMPLATE)
                assert french == _expected()
            assert render_template_string(TEMPLATE) == spanish
        english = render_template_string(TEMPLATE)
    assert len({spanish, french, english}) == 3, (spanish, french, english)
    assert english == "Not found|2 quotes"


def test_every_template_gettext_callable_fills_its_message_as_jinja_does(app: Flask) -> None:
    # Loom's own callables replace Jinja's new-style wrappers: escaping under autoescape, `%` always applied, `num` and
    # `context` available to the message, whole numbers grouped.
    source = (
        "{{ _('100%% of <b>%(name)s</b>', name='<i>') }}|{{ ngettext('%(num)s group', '%(num)s groups', 1234) }}|"
        "{{ pgettext('menu', '%(context)s: %(n)s', n=5000) }}|{{ npgettext('menu', '%(num)s item', '%(num)s items', 1, x=2) }}"
    )
    with app.test_request_context("/"):
        assert render_template_string(source) == ("100% of <b>&lt;i&gt;</b>|1,234 groups|menu: 5,000|1 item")
