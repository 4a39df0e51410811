"""A group's measured record as HTML: the `track_record` macro of templates/_reputation.html, written in Python.

A search results page shows the record of each of its twelve hits (issue 19): a macro called from a loop costs Jinja a
new context and its tests and filters on each call, where here it is a few dictionary reads. The macro hands over to
`track_record_html`, so the profile and the search page show the same HTML as before, byte for byte. Here `_` and
`ngettext` write as the template's own do (`marketplace.i18n.HtmlMessages`): each message comes from the catalog in
force as trusted HTML and each value is escaped, whole numbers grouped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from marketplace.i18n import HtmlMessages, formatted_decimal

# The fields of a record the HTML shows: a `Reputation` has them as attributes, a search document's record as keys.
_SHOWN = (
    "is_new",
    "orders_completed",
    "on_time_rate",
    "on_time_basis",
    "response_rate",
    "median_response_hours",
    "rfqs_received",
    "review_average",
    "review_count",
    "quality_average",
    "communication_average",
    "on_time_rating_average",
    "repeat_buyers",
)


def track_record_html(record: Any, compact: bool = False, messages: HtmlMessages | None = None) -> Markup:
    """Return a group's measured record as HTML, as the `track_record` macro of templates/_reputation.html wrote it.

    `record` is a `marketplace.reputation.signals.Reputation`, a search document's record (its `as_document()` dict), or
    None or an empty dict for a group with nothing recorded. A field a document lacks counts as not measured. `compact`
    leaves out the orders line (a search result's card). Numbers and messages are in the locale in force, or those of
    `messages` (a page writing many records looks its catalog up once).
    """
    _ = messages or HtmlMessages()
    ngettext = _.plural
    locale = _.locale
    if isinstance(record, Mapping):
        r = {name: record.get(name) for name in _SHOWN} if record else None
    else:
        r = {name: getattr(record, name) for name in _SHOWN} if record is not None else None
    if r is None or r["is_new"]:
        if r and r["orders_completed"]:
            count = r["orders_completed"]
            said = ngettext(
                "Too few orders and requests on Loom yet to measure (%(count)s order completed).",
                "Too few orders and requests on Loom yet to measure (%(count)s orders completed).",
                count,
                count=count,
            ) + Markup("\n      ")
        else:
            said = _("Too few orders and requests on Loom yet to measure.")
        new = _("New group")
        return Markup(f'\n  \n    <p class="reputation new"><span class="badge">{new}</span>\n      {said}</p>\n  \n')
    lines = []
    if r["on_time_rate"] is not None:
        count = r["on_time_basis"]
        shipped = ngettext(
            "Ships on time: <strong>%(rate)s %%</strong> (based on %(count)s order)",
            "Ships on time: <strong>%(rate)s %%</strong> (based on %(count)s orders)",
            count,
            rate=formatted_decimal(r["on_time_rate"] * 100, "0", locale),
            count=count,
        )
        lines.append(f"<li>{shipped}</li>")
    else:
        lines.append("")
    if r["response_rate"] is not None:
        rate = formatted_decimal(r["response_rate"] * 100, "0", locale)
        answers = _("Answers requests: <strong>%(rate)s %%</strong>", rate=rate)
        if r["median_response_hours"] is not None:
            hours = formatted_decimal(max(r["median_response_hours"], 1), "0", locale)
            answers += _(", typically within <strong>%(hours)s h</strong>", hours=hours)
        count = r["rfqs_received"]
        basis = ngettext("(based on %(count)s request)", "(based on %(count)s requests)", count, count=count)
        lines.append(f"<li>{answers}\n        {basis}</li>")
    else:
        lines.append("")
    if r["review_average"] is not None:
        count = r["review_count"]
        reviews = ngettext(
            "Reviews: <strong>%(average)s / 5</strong> (based on %(count)s review)",
            "Reviews: <strong>%(average)s / 5</strong> (based on %(count)s reviews)",
            count,
            average=formatted_decimal(r["review_average"], "0.0", locale),
            count=count,
        )
        lines.append(f"<li>{reviews}</li>")
    else:
        lines.append("")
    averages = [r["quality_average"], r["communication_average"], r["on_time_rating_average"]]
    lines.append(f'<li class="dimensions">{_dimension_averages(_, *averages)}</li>' if averages != [None] * 3 else "")
    if not compact:
        done = _(
            "Orders completed: <strong>%(completed)s</strong> · repeat buyers: <strong>%(repeat)s</strong>",
            completed=r["orders_completed"],
            repeat=r["repeat_buyers"],
        )
        lines.append(f"<li>{done}</li>")
    else:
        lines.append("")
    items = "\n      ".join(lines)
    return Markup(f'\n  \n    <ul class="reputation{" inline" if compact else ""}">\n      {items}\n    </ul>\n  \n')


def _dimension_averages(_: HtmlMessages, quality: float | None, communication: float | None, on_time: float | None) -> Markup:
    """Return the buyers' average rating of each dimension measured, as the `dimension_averages` macro wrote them."""
    parts = []
    if quality is not None:
        parts.append(_("Quality %(stars)s", stars=formatted_decimal(quality, "0.0", _.locale)))
    if communication is not None:
        parts.append(_("Communication %(stars)s", stars=formatted_decimal(communication, "0.0", _.locale)))
    if on_time is not None:
        parts.append(_("On time %(stars)s", stars=formatted_decimal(on_time, "0.0", _.locale)))
    return Markup(" · ").join(parts) + Markup(' <span class="meta">') + _("(of 5, from the buyers' ratings)") + Markup("</span>")
