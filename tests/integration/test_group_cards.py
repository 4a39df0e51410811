"""The home page's and the directory's group cards, read as plain rows (`marketplace.producers.cards`), show exactly what
the cards rendered from ORM entities with their capabilities and certifications loaded showed (issue 19).

The oracle is the card macro as it was, frozen here, rendered from `ProducerGroup` entities; the cards of
`first_groups` and of `list_groups` must render byte for byte the same in every locale, for groups with
repeated and unordered categories and every kind of certification (listed, checked, claimed, an "other" claim with and
without its own name, an "other" claim an operator marked verified).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from marketplace.i18n import LOCALES
from marketplace.producers import services
from marketplace.producers.counts import listing_counts, shown_counts
from marketplace.producers.covers import covers
from marketplace.producers.models import Certification, Photo, ProducerGroup, Product
from marketplace.producers.taxonomy import OTHER_CLAIM
from tests import factories

# templates/_groups.html's group_card before the cards were read as rows: the oracle.
ORACLE = """{% from "_groups.html" import cover %}
{% macro group_card(group, photo=none) %}
<article class="card">
  {{ cover(photo.path if photo else none, photo.width if photo else 0, photo.height if photo else 0, photo.alt if photo else "", group.name, group.capabilities|map(attribute='category')|list) }}
  <h3><a href="{{ url_for('discovery.profile', slug=group.slug) }}"><span dir="auto">{{ group.name }}</span></a>
    {% if group.verified %}<span class="badge verified" title="{{ _("Checked by Loom") }}">{{ _("Verified") }}</span>{% endif %}</h3>
  <p class="meta">{% trans trimmed value=[group.city, group.region]|select|unique|join(", ")|isolate ~ (", " if group.city or group.region else "") ~ country_name(group.country), group_artisan_count=group.artisan_count|number %}{{ value }} · {{ group_artisan_count }} artisans{% endtrans %}</p>
  <p class="tags">
    {% for code in group.capabilities|map(attribute='category')|unique %}<span class="tag">{{ categories[code].title }}</span>{% endfor %}
  </p>
  {% if group.certifications %}
    <p class="certs">{% for c in group.certifications %}<span class="badge{% if c.checked %} verified{% elif c.self_declared %} claimed{% endif %}" ><span dir="auto">{{ c.title }}</span>{% if c.self_declared %} {{ _("(self-declared)") }}{% endif %}</span>{% endfor %}</p>
  {% endif %}
</article>
{% endmacro %}
{% for group in groups %}{{ group_card(group) }}{% endfor %}"""  # noqa: E501 - the macro as it was, line for line

CARDS = '{% from "_groups.html" import group_card %}{% for group in groups %}{{ group_card(group) }}{% endfor %}'


def _groups(session: Session) -> None:
    """Three listed groups with mixed capabilities and certifications, and an unlisted one no card shows."""
    plain = factories.producer_group(session, name="Aba Weavers", city="Aba", region="", artisan_count=1200)
    factories.capability(session, plain, category="textiles.rugs")
    busy = factories.producer_group(session, name="Bolga Baskets", city="", region="Upper East", verified=True, country="GH")
    for category in ("baskets.storage", "home.decor", "baskets.storage", "baskets.market"):
        factories.capability(session, busy, category=category)
    session.add_all(
        [
            Certification(group=busy, scheme="wfto", verified=True),
            Certification(group=busy, scheme="fairtrade", verified=False),
            Certification(group=busy, scheme=OTHER_CLAIM, name="Ghana Craft Mark", verified=True),
            Certification(group=busy, scheme=OTHER_CLAIM, name=""),
        ]
    )
    factories.producer_group(session, name="Cusco Knitters", country="PE", city="Cusco", region="CUSCO")  # one place, told twice
    hidden = factories.producer_group(session, name="Unlisted Group", listed=False)
    factories.capability(session, hidden, category="baskets.storage")
    session.commit()  # the directory's total is the kept count, written as the transaction commits
    session.expire_all()


def _entities(session: Session) -> list[ProducerGroup]:
    query = (
        select(ProducerGroup)
        .where(ProducerGroup.listed.is_(True))
        .options(selectinload(ProducerGroup.capabilities), selectinload(ProducerGroup.certifications))
        .order_by(ProducerGroup.verified.desc(), ProducerGroup.name, ProducerGroup.id)
    )
    return list(session.scalars(query))


def _render(app: Flask, source: str, groups: list[Any], locale: str) -> str:
    with app.test_request_context("/"), force_locale(locale):
        return app.jinja_env.from_string(source).render(groups=groups).strip()  # the macros' definitions leave blank lines


@pytest.mark.parametrize("locale", list(LOCALES))
def test_cards_read_as_rows_render_as_the_entities_did(app: Flask, session: Session, locale: str) -> None:
    _groups(session)
    entities = _entities(session)
    expected = _render(app, ORACLE, entities, locale)
    assert expected.count('class="card"') == 3 and "Ghana Craft Mark" in expected

    first = services.first_groups(session, 6)
    home = first.cards
    directory, total = services.list_groups(session, per_page=20)
    assert total == 3
    assert shown_counts(first.counts) == listing_counts(session)  # the kept counts, read with the cards
    assert shown_counts(first.counts)[0] == 3
    assert _render(app, CARDS, home, locale) == expected
    assert _render(app, CARDS, directory, locale) == expected


def test_a_directory_page_of_cards_keeps_the_listing_order_and_the_cursor(session: Session) -> None:
    _groups(session)
    entities = _entities(session)
    first, total = services.list_groups(session, per_page=2)
    rest, _total = services.list_groups(session, per_page=2, after=services.listing_key(first[-1]))
    assert total == 3
    assert [card.id for card in first + rest] == [group.id for group in entities]
    assert [services.listing_key(card) for card in first + rest] == [services.listing_key(group) for group in entities]


# templates/_groups.html's cover macro before it became `cover_picture` (marketplace.producers.covers): the oracle.
COVER_ORACLE = """{% macro cover(path, width, height, alt, name, makes=[]) %}
{% if path %}<img class="cover" src="{{ url_for('producers.media', path=path) }}" alt="{{ alt }}" width="{{ width }}" height="{{ height }}" loading="lazy">
{% else %}{% set made = what_it_makes(makes) %}<div class="cover placeholder"{% if made %} role="img" aria-label="{% trans makes=made|join(', ') %}Makes {{ makes }}{% endtrans %}"{% else %} aria-hidden="true"{% endif %}><span>{{ (name.split()|map('first')|join)[:3]|upper }}</span>{% if made %}<small aria-hidden="true">{{ made[:2]|join(' · ') }}</small>{% endif %}</div>{% endif %}
{% endmacro %}"""  # noqa: E501 - the macro as it was, line for line

COVERS: list[tuple[Any, ...]] = [
    ("groups/7/kiondo.jpg", 640, 480, 'Kiondo "market" basket <by> A&B', "Aba Weavers", ["baskets.market"]),
    ("groups/8/photo one.jpg", 0, 0, "", "x", []),
    (None, 0, 0, "", "Bolga Baskets & <Co> of the North", ["baskets.storage", "home.decor", "baskets.market", "no.such"]),
    (None, 0, 0, "", "ñandutí  tejedoras", ["textiles.rugs"]),
    (None, 0, 0, "", "Amara", []),
    (None, 0, 0, "", "Only Unknown Codes", ["no.such", "nothing"]),
]


@pytest.mark.parametrize("locale", list(LOCALES))
def test_a_cover_renders_as_the_macro_did(app: Flask, locale: str) -> None:
    arguments = "path, width, height, alt, name, makes"
    for values in COVERS:
        given = dict(zip(arguments.split(", "), values, strict=True))
        expected = _render_cover(app, COVER_ORACLE + "{{ cover(" + arguments + ") }}", given, locale)
        assert _render_cover(app, "{{ cover_picture(" + arguments + ") }}", given, locale) == expected, values
        through_macro = '{% from "_groups.html" import cover %}{{ cover(' + arguments + ") }}"  # the profile's way
        assert _render_cover(app, through_macro, given, locale) == expected, values


def _render_cover(app: Flask, source: str, values: dict[str, Any], locale: str) -> str:
    with app.test_request_context("/"), force_locale(locale):
        return app.jinja_env.from_string(source).render(**values)


def test_cards_read_with_covers_carry_the_covers_the_covers_statement_reads(session: Session) -> None:
    """The home page's and the directory's cards read their covers in their details statement (one round trip fewer,
    issue 19): each card's cover is the one `covers` reads on its own (the first gallery photo, else the first product
    photo with the product's title as alt text), None for a group without photos; the API's cards read none."""
    _groups(session)
    bolga, aba, cusco = _entities(session)  # in listing order
    product = Product(
        group=aba, sku="K-1", title="Kiondo basket", category="baskets.market", moq=10, lead_time_days=20, currency="USD"
    )
    session.add(product)
    session.flush()
    session.add_all(
        [
            Photo(
                group_id=aba.id,
                product_id=product.id,
                path="photos/a-product.jpg",
                content_type="image/jpeg",
                width=640,
                height=480,
            ),
            Photo(
                group_id=bolga.id,
                product_id=None,
                path="photos/b-gallery.jpg",
                content_type="image/jpeg",
                width=300,
                height=200,
                caption="Weavers at work",
            ),
            Photo(group_id=bolga.id, product_id=None, path="photos/b-later.jpg", content_type="image/jpeg", width=30, height=20),
        ]
    )
    session.commit()
    ids = [group.id for group in (aba, bolga, cusco)]
    expected = covers(session, ids)
    assert set(expected) == {aba.id, bolga.id} and expected[aba.id].width != expected[aba.id].height

    home = services.first_groups(session, 6).cards
    directory = services.directory_page(session, per_page=20).cards
    api, _total = services.list_groups(session, per_page=20)
    for cards in (home, directory):
        assert {card.id: card.cover for card in cards} == {i: expected.get(i) for i in ids}
    assert [card.cover for card in api] == [None, None, None]
