"""A search result's card on the results page (templates/discovery/search.html) and the sidebar's facet values, written
in Python, and the names facets show for their values.

A results page repeats its card for each of its twelve hits, and writing them through the template's tests, filters,
`{% trans %}` blocks and macro calls took 1.2-1.4 ms of a 5-6 ms page (issue 19; 0.6 ms now). `hit_cards` writes the same
HTML as the template's loop did, byte for byte: `tests/integration/test_search_cards.py` renders the loop as it was,
frozen, against it in every locale. As in the templates, `_` gives the catalog's message as trusted HTML with each value
escaped and whole numbers grouped (`marketplace.i18n.HtmlMessages`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from flask import url_for
from markupsafe import Markup, escape

from marketplace.countries import country_name
from marketplace.discovery.snippets import marked
from marketplace.i18n import N_, HtmlMessages, catalog_memo, gettext, translate
from marketplace.money import format_amount, format_money
from marketplace.producers.cards import unique_ignoring_case
from marketplace.producers.covers import cover_picture
from marketplace.producers.taxonomy import CATEGORIES, CERTIFICATION_SCHEMES
from marketplace.reputation.record import track_record_html
from search.query import FacetValue, Hit

# The title of each facet's fieldset (in the order the backends give the facets: `search.query.FACETS`).
FACET_TITLES = {
    "category": N_("Category"),
    "material": N_("Material"),
    "country": N_("Country"),
    "certification": N_("Certification (claimed or verified)"),
    "verified_certification": N_("Certification verified by Loom"),
    "verified": N_("Verified by Loom"),
}


# Each facet value's name as the sidebar writes it (escaped HTML), kept on the catalog in force (`catalog_memo`): it
# depends only on the facet, the value and the locale. Values are the index's own (codes, materials), at most a few
# thousand; past FACET_NAMES_KEPT the memo starts afresh.
_FACET_NAMES = "_loom_facet_names"
FACET_NAMES_KEPT = 5000


def facet_label(facet: str, value: str) -> str:
    """Return how the page names `value` of `facet`: a category's or country's name in the locale in force, a scheme's
    official name, "Verified" for "true"; a value it does not know as it is."""
    if facet == "category":
        return CATEGORIES[value].label if value in CATEGORIES else value
    if facet == "country":
        return country_name(value)
    if facet in ("certification", "verified_certification"):
        return CERTIFICATION_SCHEMES[value].name if value in CERTIFICATION_SCHEMES else value
    if facet == "verified":
        return gettext("Verified") if value == "true" else gettext("Not yet verified")
    return value


def facet_fieldsets(facets: dict[str, list[FacetValue]]) -> Markup:
    """Return the sidebar's fieldset of each facet with values, as HTML: a box per value (a choice of two for
    "verified"), ticked when selected, with its name in the locale in force and its count.

    A results page lists thirty values or so; the template's loop over them took 0.25 ms of a 5 ms page (0.1 ms now).
    """
    fieldsets = []
    names = catalog_memo(_FACET_NAMES)
    if len(names) >= FACET_NAMES_KEPT:
        names.clear()
    for facet, values in facets.items():
        if not values:
            continue
        choices = []
        name = escape(facet)
        schemes = facet in ("certification", "verified_certification")
        for value in values:
            checked = " checked" if value.selected else ""
            if facet == "verified":
                box = f'<input type="radio" name="verified" value="{escape(value.value)}"{checked}>'
            else:
                box = f'<input type="checkbox" name="{name}" value="{escape(value.value)}"{checked}>'
            named = names.get((facet, value.value))
            if named is None:
                named = escape(facet_label(facet, value.value))
                if schemes:
                    named = f'<span translate="no">{named}</span>'
                names[facet, value.value] = named
            choices.append(
                f'\n            <label class="choice">\n              \n                {box}\n              \n'
                f'              {named} <span class="count">{escape(value.count)}</span>\n            </label>\n          '
            )
        title = translate(FACET_TITLES[facet]) if facet in FACET_TITLES else ""
        fieldsets.append(
            f"\n        <fieldset>\n          <legend>{title}</legend>\n          {''.join(choices)}\n        </fieldset>\n      "
        )
    return Markup("".join(fieldsets))


def hit_cards(hits: Sequence[Hit], drafts: Sequence[tuple[Any, Collection[str]]], by: str | None) -> Markup:
    """Return the cards of a page of hits as HTML: each hit's picture, name, place and size, certifications, record and
    why it matched.

    `drafts` are the signed-in buyer's newest drafts, each with the slugs of the groups already in it (a button or a
    badge per draft on each card); `by` is the search's `by` parameter as given, the date the capacity of each match is
    counted by. Every value is escaped; messages come from the catalog in force.
    """
    messages = HtmlMessages()
    return Markup("".join([_hit_card(hit, drafts, by, messages) for hit in hits]))


def _hit_card(hit: Hit, drafts: Sequence[tuple[Any, Collection[str]]], by: str | None, _: HtmlMessages) -> str:
    photo = hit.photo
    picture = cover_picture(
        photo["path"] if photo else None,
        photo["width"] if photo else 0,
        photo["height"] if photo else 0,
        photo["alt"] if photo else "",
        hit.name,
        hit.categories,
    )
    slug = escape(hit.slug)
    highlights = hit.highlights
    name = marked(highlights["name"]) if highlights.get("name") else escape(hit.name)
    badge = ""
    if hit.verified:
        verified = _("Verified")
        badge = f'<span class="badge verified">{verified}</span>'
    places = ", ".join(unique_ignoring_case(place for place in (hit.city, hit.region, country_name(hit.country)) if place))
    meta = _("%(value)s · %(hit_artisan_count)s artisans", value=places, hit_artisan_count=hit.artisan_count)
    away = ""
    if hit.distance_km is not None:  # Jinja's `round`: Python's, to an even whole number at .5
        away = " " + _("· %(distance)s km away", distance=int(round(hit.distance_km)))
    ask = _("Ask for a quote")
    return (
        f'\n        <article class="card hit">\n          {picture}\n          <label class="pick"><input type="checkbox"'
        f' name="group" value="{slug}"> {ask}</label>\n'
        f'          <h2><a href="{escape(url_for("discovery.profile", slug=hit.slug))}">{name}</a>\n            {badge}</h2>\n'
        f'          <p class="meta">{meta}\n            {away}</p>\n'
        f"          {_certifications(hit, _)}\n"
        f"          {_self_declared(hit.self_declared_certifications, _)}\n"
        f"          {track_record_html(hit.reputation, True, _)}\n"
        f"          {_draft_buttons(hit.slug, slug, drafts, _)}\n"
        f"          {_snippets(highlights, _)}\n"
        f'          <ul class="why">\n            {_matches(hit, by, _)}\n          </ul>\n        </article>\n      '
    )


def _certifications(hit: Hit, _: HtmlMessages) -> str:
    if not hit.certifications:
        return ""
    badges = []
    for scheme in hit.certifications:
        named = CERTIFICATION_SCHEMES[scheme].name if scheme in CERTIFICATION_SCHEMES else scheme
        if scheme in hit.verified_certifications:
            title = _("An operator checked the evidence")
            said = _("%(facet_label)s ✓ verified", facet_label=named)
            badges.append(f'\n            <span class="badge verified" title="{title}">{said}</span>\n            \n          ')
        else:
            title = _("Claimed by the group; not yet checked by an operator")
            said = _("%(facet_label)s (claimed)", facet_label=named)
            badges.append(f'\n            <span class="badge claimed" title="{title}">{said}</span>\n          ')
    return f'<p class="certifications">{"".join(badges)}</p>'


def _self_declared(names: list[str], _: HtmlMessages) -> str:
    if not names:
        return ""
    title = _("The group's own claim; not a scheme Loom checks")
    badges = []
    for name in names:
        said = _("%(name)s (self-declared · unverified)", name=name)
        badges.append(f'\n            <span class="badge claimed" title="{title}" dir="auto">{said}</span>\n          ')
    return f'<p class="certifications">{"".join(badges)}</p>'


def _draft_buttons(slug: str, escaped_slug: str, drafts: Sequence[tuple[Any, Collection[str]]], _: HtmlMessages) -> str:
    if not drafts:
        return ""
    buttons = []
    for draft, slugs in drafts:
        if slug in slugs:
            badge = _('In your draft “<span dir="auto">%(title)s</span>” ✓', title=draft.title)
            buttons.append(f'\n            <span class="badge">{badge}</span>\n            \n          ')
        else:
            add = _('Add to draft “<span dir="auto">%(title)s</span>”', title=draft.title)
            buttons.append(
                f'\n            <button type="submit" form="add-to-draft" name="target" value="{escape(draft.id)}:{escaped_slug}"'
                f' class="secondary small">{add}</button>\n          '
            )
    return f'<p class="to-draft">{"".join(buttons)}</p>'


def _snippets(highlights: dict[str, str], _: HtmlMessages) -> str:
    story = f'<p class="snippet">{marked(highlights["story"])}</p>' if highlights.get("story") else ""
    capabilities = ""
    if highlights.get("capabilities"):
        said = _("Materials and techniques: %(marked)s", marked=marked(highlights["capabilities"]))
        capabilities = f'<p class="snippet">{said}</p>'
    return f"{story}\n          {capabilities}"


def _matches(hit: Hit, by: str | None, _: HtmlMessages) -> str:
    """Return the `<li>` of each of the first three capabilities the hit matched by (the reasons for the match)."""
    locale = _.locale
    items = []
    for m in hit.matches[:3]:
        label = escape(CATEGORIES[m.category].label if m.category in CATEGORIES else m.label)
        what = f'<strong dir="auto">{escape(m.title)}</strong> ({label})' if m.title else f"<strong>{label}</strong>"
        if m.materials:
            made_of = _("in %(m_materials)s", m_materials=", ".join(m.materials))
            what = f"{what} {made_of}"
        fit = ""
        if m.units_by_date is not None:
            counted = _("%(m_units_by_date)s units by %(args_get)s", m_units_by_date=m.units_by_date, args_get=by)
            fit = f'<span class="fit">{counted}</span> · '
        terms = _(
            "MOQ %(m_moq)s · %(m_lead_time_days)s days · %(m_price_min)s–%(m_price_max)s",
            m_moq=m.moq,
            m_lead_time_days=m.lead_time_days,
            m_price_min=format_amount(m.price_min, m.currency, locale),  # type: ignore[arg-type]  # the document's float
            m_price_max=format_money(m.price_max, m.currency, locale),  # type: ignore[arg-type]
        )
        line = f"<li>{what}:\n                {fit}\n                {terms}</li>"
        items.append(f"\n              \n              {line}\n            ")
    return "".join(items)
