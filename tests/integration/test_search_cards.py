"""The search results page's cards, facet fieldsets and the measured record, written in Python
(`marketplace.discovery.results`, `marketplace.reputation.record`), show exactly what the templates showed (issue 19).

The oracles are the template code as it was, frozen here: the loop over a page's hits of templates/discovery/search.html,
its loop over the facets, and the `track_record` and `dimension_averages` macros of templates/_reputation.html. Each is
rendered against the new code in every locale, byte for byte, for hits with and without a photo, highlights, place,
distance, certifications (checked, claimed, unknown), self-declared claims, records, drafts and reasons for the match, and
for values that need escaping wherever a value is shown.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import jinja2
import pytest
from flask import Flask
from flask_babel import force_locale, lazy_gettext

from marketplace.discovery.results import facet_fieldsets, facet_label, hit_cards
from marketplace.discovery.snippets import marked
from marketplace.i18n import LOCALES
from marketplace.reputation.record import track_record_html
from marketplace.reputation.signals import Reputation
from search.query import CapabilityMatch, FacetValue, Hit

# templates/discovery/search.html's loop over a page's hits before the cards were written in Python: the oracle.
HITS_ORACLE = """{% from "_reputation_oracle.html" import track_record %}{% for hit in hits %}
        <article class="card hit">
          {{ cover_picture(hit.photo.path if hit.photo else none, hit.photo.width if hit.photo else 0, hit.photo.height if hit.photo else 0, hit.photo.alt if hit.photo else "", hit.name, hit.categories) }}
          <label class="pick"><input type="checkbox" name="group" value="{{ hit.slug }}"> {{ _("Ask for a quote") }}</label>
          <h2><a href="{{ url_for('discovery.profile', slug=hit.slug) }}">{{ marked(hit.highlights.name) if hit.highlights.name else hit.name }}</a>
            {% if hit.verified %}<span class="badge verified">{{ _("Verified") }}</span>{% endif %}</h2>
          <p class="meta">{% trans trimmed value=[hit.city, hit.region, country_name(hit.country)]|select|unique|join(", "), hit_artisan_count=hit.artisan_count|number %}{{ value }} · {{ hit_artisan_count }} artisans{% endtrans %}
            {% if hit.distance_km is not none %} {% trans trimmed distance=hit.distance_km|round|int|number %}· {{ distance }} km away{% endtrans %}{% endif %}</p>
          {% if hit.certifications %}<p class="certifications">{% for scheme in hit.certifications %}
            {% if scheme in hit.verified_certifications %}<span class="badge verified" title="{{ _("An operator checked the evidence") }}">{% trans trimmed facet_label=facet_label('certification', scheme) %}{{ facet_label }} ✓ verified{% endtrans %}</span>
            {% else %}<span class="badge claimed" title="{{ _("Claimed by the group; not yet checked by an operator") }}">{% trans trimmed facet_label=facet_label('certification', scheme) %}{{ facet_label }} (claimed){% endtrans %}</span>{% endif %}
          {% endfor %}</p>{% endif %}
          {% if hit.self_declared_certifications %}<p class="certifications">{% for name in hit.self_declared_certifications %}
            <span class="badge claimed" title="{{ _("The group's own claim; not a scheme Loom checks") }}" dir="auto">{% trans %}{{ name }} (self-declared · unverified){% endtrans %}</span>
          {% endfor %}</p>{% endif %}
          {{ track_record(hit.reputation, compact=True) }}
          {% if drafts %}<p class="to-draft">{% for draft, slugs in drafts %}
            {% if hit.slug in slugs %}<span class="badge">{% trans title=draft.title %}In your draft “<span dir="auto">{{ title }}</span>” ✓{% endtrans %}</span>
            {% else %}<button type="submit" form="add-to-draft" name="target" value="{{ draft.id }}:{{ hit.slug }}" class="secondary small">{% trans title=draft.title %}Add to draft “<span dir="auto">{{ title }}</span>”{% endtrans %}</button>{% endif %}
          {% endfor %}</p>{% endif %}
          {% if hit.highlights.story %}<p class="snippet">{{ marked(hit.highlights.story) }}</p>{% endif %}
          {% if hit.highlights.capabilities %}<p class="snippet">{% trans trimmed marked=marked(hit.highlights.capabilities) %}Materials and techniques: {{ marked }}{% endtrans %}</p>{% endif %}
          <ul class="why">
            {% for m in hit.matches[:3] %}
              {% set m_label = categories[m.category].label if m.category in categories else m.label %}
              <li>{% if m.title %}<strong dir="auto">{{ m.title }}</strong> ({{ m_label }}){% else %}<strong>{{ m_label }}</strong>{% endif %}{% if m.materials %} {% trans trimmed m_materials=m.materials|join(", ") %}in {{ m_materials }}{% endtrans %}{% endif %}:
                {% if m.units_by_date is not none %}<span class="fit">{% trans trimmed m_units_by_date=m.units_by_date, args_get=args.get('by') %}{{ m_units_by_date }} units by {{ args_get }}{% endtrans %}</span> · {% endif %}
                {% trans trimmed m_moq=m.moq, m_lead_time_days=m.lead_time_days, m_price_min=m.price_min|amount(m.currency), m_price_max=m.price_max|money(m.currency) %}MOQ {{ m_moq }} · {{ m_lead_time_days }} days · {{ m_price_min }}–{{ m_price_max }}{% endtrans %}</li>
            {% endfor %}
          </ul>
        </article>
      {% endfor %}"""  # noqa: E501 - the loop as it was, line for line

# templates/_reputation.html's record macros before `track_record_html`: the oracle.
RECORD_ORACLE = """{% macro track_record(r, compact=False) %}
  {% if not r or r.is_new %}
    <p class="reputation new"><span class="badge">{{ _("New group") }}</span>
      {% if r and r.orders_completed %}{% trans trimmed count=r.orders_completed %}Too few orders and requests on Loom yet to measure ({{ count }} order completed).{% pluralize count %}Too few orders and requests on Loom yet to measure ({{ count }} orders completed).{% endtrans %}
      {% else %}{{ _("Too few orders and requests on Loom yet to measure.") }}{% endif %}</p>
  {% else %}
    <ul class="reputation{% if compact %} inline{% endif %}">
      {% if r.on_time_rate is not none %}<li>{% trans trimmed rate=(r.on_time_rate * 100)|number("0"), count=r.on_time_basis %}Ships on time: <strong>{{ rate }} %</strong> (based on {{ count }} order){% pluralize count %}Ships on time: <strong>{{ rate }} %</strong> (based on {{ count }} orders){% endtrans %}</li>{% endif %}
      {% if r.response_rate is not none %}<li>{% trans trimmed rate=(r.response_rate * 100)|number("0") %}Answers requests: <strong>{{ rate }} %</strong>{% endtrans %}{% if r.median_response_hours is not none %}{% trans trimmed hours=[r.median_response_hours, 1]|max|number("0") %}, typically within <strong>{{ hours }} h</strong>{% endtrans %}{% endif %}
        {% trans trimmed count=r.rfqs_received %}(based on {{ count }} request){% pluralize count %}(based on {{ count }} requests){% endtrans %}</li>{% endif %}
      {% if r.review_average is not none %}<li>{% trans trimmed average=r.review_average|number("0.0"), count=r.review_count %}Reviews: <strong>{{ average }} / 5</strong> (based on {{ count }} review){% pluralize count %}Reviews: <strong>{{ average }} / 5</strong> (based on {{ count }} reviews){% endtrans %}</li>{% endif %}
      {% if r.quality_average is not none or r.communication_average is not none or r.on_time_rating_average is not none %}<li class="dimensions">{{ dimension_averages(r) }}</li>{% endif %}
      {% if not compact %}<li>{% trans trimmed completed=r.orders_completed, repeat=r.repeat_buyers %}Orders completed: <strong>{{ completed }}</strong> · repeat buyers: <strong>{{ repeat }}</strong>{% endtrans %}</li>{% endif %}
    </ul>
  {% endif %}
{% endmacro %}
{% macro dimension_averages(r) -%}
  {%- set parts = [] -%}
  {%- if r.quality_average is not none %}{% set appended = parts.append(_("Quality %(stars)s", stars=r.quality_average|number("0.0"))) %}{% endif -%}
  {%- if r.communication_average is not none %}{% set appended = parts.append(_("Communication %(stars)s", stars=r.communication_average|number("0.0"))) %}{% endif -%}
  {%- if r.on_time_rating_average is not none %}{% set appended = parts.append(_("On time %(stars)s", stars=r.on_time_rating_average|number("0.0"))) %}{% endif -%}
  {{ parts|join(" · ") }} <span class="meta">{{ _("(of 5, from the buyers' ratings)") }}</span>
{%- endmacro %}
"""  # noqa: E501 - the macros as they were, line for line

# templates/discovery/search.html's loop over the facets before `facet_fieldsets`: the oracle.
FACETS_ORACLE = """{% for facet, values in result.facets.items() if values %}
        <fieldset>
          <legend>{{ facet_titles[facet] }}</legend>
          {% for value in values %}
            <label class="choice">
              {% if facet == 'verified' %}
                <input type="radio" name="verified" value="{{ value.value }}"{% if value.selected %} checked{% endif %}>
              {% else %}
                <input type="checkbox" name="{{ facet }}" value="{{ value.value }}"{% if value.selected %} checked{% endif %}>
              {% endif %}
              {% if facet in ('certification', 'verified_certification') %}<span translate="no">{{ facet_label(facet, value.value) }}</span>{% else %}{{ facet_label(facet, value.value) }}{% endif %} <span class="count">{{ value.count }}</span>
            </label>
          {% endfor %}
        </fieldset>
      {% endfor %}"""  # noqa: E501 - the loop as it was, line for line

FACET_TITLES = {  # as the view gave them to the template
    "category": lazy_gettext("Category"),
    "material": lazy_gettext("Material"),
    "country": lazy_gettext("Country"),
    "certification": lazy_gettext("Certification (claimed or verified)"),
    "verified_certification": lazy_gettext("Certification verified by Loom"),
    "verified": lazy_gettext("Verified by Loom"),
}

MEASURED = Reputation(
    orders_completed=1234,
    on_time_basis=8,
    on_time_rate=0.875,
    rfqs_received=1,
    response_rate=0.665,
    median_response_hours=0.4,
    repeat_buyers=2,
    review_count=3,
    review_average=4.25,
    quality_count=3,
    quality_average=4.5,
    communication_count=3,
    communication_average=3.0,
    on_time_count=3,
    on_time_rating_average=4.95,
)
RECORDS: list[Any] = [
    None,
    Reputation(),
    Reputation(orders_completed=1),
    Reputation(orders_completed=2500),
    MEASURED,
    dataclasses.replace(MEASURED, on_time_basis=1, median_response_hours=None, rfqs_received=3500),
    dataclasses.replace(MEASURED, response_rate=None, quality_average=None, on_time_rating_average=None),
    dataclasses.replace(MEASURED, on_time_rate=None, review_average=None, communication_average=None, median_response_hours=30.5),
    dataclasses.replace(MEASURED, review_count=1, quality_average=None, communication_average=None, on_time_rating_average=None),
    dataclasses.replace(MEASURED, on_time_rate=None, response_rate=None, orders_completed=0, repeat_buyers=0),
]


def _match(**changes: Any) -> CapabilityMatch:
    plain = CapabilityMatch("baskets.market", "Baskets › Market baskets", ["sisal"], 60, 59, 13.225, 37.8, "USD", None)
    return dataclasses.replace(plain, **changes)


def _hit(**changes: Any) -> Hit:
    plain = Hit(
        id=1,
        slug="aba-weavers",
        name="Aba Weavers",
        country="NG",
        region="",
        city="Aba",
        verified=False,
        rating=None,
        artisan_count=1200,
        certifications=[],
        verified_certifications=[],
        score=1.0,
        distance_km=None,
        highlights={},
        matches=[_match()],
    )
    return dataclasses.replace(plain, **changes)


HITS = [
    _hit(),
    _hit(
        slug="bolga-baskets-co",
        name='Bolga "Baskets" & <Co>',
        verified=True,
        city="Bolgatanga",
        region="BOLGATANGA",
        country="GH",
        artisan_count=25000,
        distance_km=2.5,
        photo={"path": "photos/6/a b.jpg", "width": 640, "height": 360, "alt": 'Baskets "drawn" <by> A&B'},
        highlights={
            "name": "Bolga \x02Baskets\x03 & <Co>",
            "story": "We weave <b>\x02baskets\x03</b> & more…",
            "capabilities": "\x02basket\x03 weaving, a&b",
        },
        certifications=["wfto", "fairtrade", "no-such-scheme", "fair<trade>"],
        verified_certifications=["wfto", "fair<trade>"],
        self_declared_certifications=["Ghana Craft Mark", "Craft <Mark> & Co"],
        reputation=MEASURED.as_document(),
        matches=[
            _match(title="Kiondo <market> bag", materials=["sisal", "a&b <c>"], units_by_date=12000),
            _match(category="no.such", label="Odd & <label>", materials=[], price_min=1500.0, price_max=2000.5, currency="JPY"),
            _match(category="baskets", title="Totes", units_by_date=0, price_min=0.5, price_max=1.005, currency="EUR"),
            _match(title="Never shown: only three reasons are"),
        ],
    ),
    _hit(
        slug="cusco-knitters",
        name="ñandutí tejedoras",
        country="PE",
        city="",
        region="",
        distance_km=3.5,
        reputation=Reputation(orders_completed=1).as_document(),
        categories=["textiles.rugs", "baskets.storage", "no.such"],
        matches=[],
    ),
    _hit(slug="near-by", distance_km=0.4, country="XX", city="Kitui", region="kitui", reputation={}, categories=[]),
    _hit(slug="far-away", distance_km=12345.5, reputation=dataclasses.replace(MEASURED, response_rate=None).as_document()),
]
DRAFTS = [
    (SimpleNamespace(id=7, title='Spring <order> & "more"'), {"bolga-baskets-co", "aba-weavers"}),
    (SimpleNamespace(id=8, title="Second draft"), {"cusco-knitters"}),
]


def _render(app: Flask, source: str, locale: str, **values: Any) -> str:
    with app.test_request_context("/search"), force_locale(locale):
        return app.jinja_env.from_string(source).render(**values)


@pytest.fixture
def oracle_macros(app: Flask) -> Iterator[None]:
    """The frozen record macros, loadable as "_reputation_oracle.html" by the frozen loop over the hits."""
    loader = app.jinja_env.loader
    app.jinja_env.loader = jinja2.ChoiceLoader([jinja2.DictLoader({"_reputation_oracle.html": RECORD_ORACLE}), loader])
    yield
    app.jinja_env.loader = loader


@pytest.mark.parametrize("locale", list(LOCALES))
@pytest.mark.parametrize("drafts", [[], DRAFTS], ids=["anonymous", "drafts"])
@pytest.mark.parametrize("by", [None, "2027-03-22", "<b>&"])
def test_hit_cards_are_what_the_template_wrote(app: Flask, oracle_macros: None, locale: str, drafts: list[Any], by: Any) -> None:
    given = {"hits": HITS, "drafts": drafts, "by": by, "args": {"by": by} if by is not None else {}}
    expected = _render(app, HITS_ORACLE, locale, facet_label=facet_label, marked=marked, **given)
    assert expected.count('<article class="card hit">') == len(HITS) and "&lt;Co&gt;" in expected
    assert _render(app, "{{ hit_cards(hits, drafts, by) }}", locale, hit_cards=hit_cards, **given) == expected


@pytest.mark.parametrize("locale", list(LOCALES))
def test_a_record_is_what_the_macro_wrote(app: Flask, oracle_macros: None, locale: str) -> None:
    oracle = '{% from "_reputation_oracle.html" import track_record %}{{ track_record(r, compact) }}'
    written = "{{ record_html(r, compact) }}"
    through_macro = '{% from "_reputation.html" import track_record %}{{ track_record(r, compact) }}'  # the profile's way
    for record in RECORDS:
        for compact in (False, True):
            for shown in (record, record.as_document() if record is not None else {}):
                given = {"r": shown, "compact": compact}
                expected = _render(app, oracle, locale, **given)
                assert _render(app, written, locale, record_html=track_record_html, **given) == expected, (record, compact)
                assert _render(app, through_macro, locale, **given) == expected, (record, compact)


FACETS = {
    "category": [FacetValue("baskets.market", 6, True), FacetValue("food.honey", 1, False), FacetValue("no.such<x>", 2, False)],
    "material": [FacetValue("sisal", 1234, False), FacetValue('a&b "c" <d>', 1, True)],
    "country": [FacetValue("KE", 3, False), FacetValue("XX", 1, False)],
    "certification": [FacetValue("wfto", 2, True), FacetValue("fair<trade>", 1, False)],
    "verified_certification": [],
    "verified": [FacetValue("true", 5, True), FacetValue("false", 7, False)],
    "unknown<facet>": [FacetValue("v", 1, False)],
}


@pytest.mark.parametrize("locale", list(LOCALES))
def test_facet_fieldsets_are_what_the_template_wrote(app: Flask, locale: str) -> None:
    result = SimpleNamespace(facets=FACETS)
    expected = _render(app, FACETS_ORACLE, locale, result=result, facet_titles=FACET_TITLES, facet_label=facet_label)
    assert expected.count("<fieldset>") == 6
    assert _render(app, "{{ facet_fieldsets(facets) }}", locale, facet_fieldsets=facet_fieldsets, facets=FACETS) == expected
