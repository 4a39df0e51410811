"""What a buyer asks for, and what comes back: the query model both backends answer."""

from __future__ import annotations

import base64
import datetime as dt
import enum
import json
import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from marketplace.i18n import N_
from marketplace.producers.taxonomy import CATEGORIES
from search.analysis import Highlighter, analyze, edit_distance, max_edits
from search.documents import units_by
from search.materials import shown

FACETS = ("category", "material", "country", "certification", "verified_certification", "verified")


class Sort(enum.StrEnum):
    RELEVANCE = "relevance"
    RATING = "rating"
    LEAD_TIME = "lead_time"
    DISTANCE = "distance"


@dataclass(frozen=True)
class CapacityNeed:
    units: int
    by: dt.date
    # Only documents still fresh at this UTC instant are trusted: a document built on a day that has
    # ended in its group's calendar counts weeks that have begun and a lead time from that day, so it
    # overstates what can be made by `by`. The app always sets it (now); None trusts any document.
    as_of: dt.datetime | None = None


@dataclass(frozen=True)
class Near:
    lat: float
    lon: float
    km: float | None = None  # None: sort or show distance without limiting it


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    categories: tuple[str, ...] = ()  # leaf or top-level codes; a top-level code covers its children
    materials: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    certifications: tuple[str, ...] = ()  # claimed or verified
    verified_certifications: tuple[str, ...] = ()  # only certifications an operator has verified
    verified: bool | None = None
    capacity: CapacityNeed | None = None
    max_lead_time: int | None = None
    max_moq: int | None = None  # groups that accept an order of this size
    price_min: float | None = None  # unit price range, in `currency`
    price_max: float | None = None
    currency: str = "USD"
    near: Near | None = None
    sort: Sort = Sort.RELEVANCE
    size: int = 20
    after: str | None = None  # cursor from the previous page
    # Set by the backend when it plans the search (see `binds_capabilities_to_words`): one entry per
    # product word of the query (a term some capability in the index holds); a capability meets the
    # capability filters only if it holds one of the alternatives of every entry. Each entry starts with
    # the query's term; the embedded backend adds its typo variants, Elasticsearch applies the typo rule itself.
    capability_words: tuple[tuple[str, ...], ...] = ()

    @property
    def terms(self) -> list[str]:
        """Return the query's words as the index analyzes them (folded, stemmed), each once, in order."""
        return list(dict.fromkeys(analyze(self.text)))

    @property
    def has_capability_filter(self) -> bool:
        """Tell whether any filter applies to a group's capabilities (category, material, capacity, lead time, MOQ or price)."""
        return bool(
            self.categories
            or self.materials
            or self.capacity
            or self.max_lead_time is not None
            or self.max_moq is not None
            or self.price_min is not None
            or self.price_max is not None
        )

    @property
    def binds_capabilities_to_words(self) -> bool:
        """Must the capability filters be met by a capability the words describe?

        Units by a date (and lead time, MOQ, price) are a property of one product: a group whose
        baskets match the words must not pass on the capacity of its placemats. A chosen category names
        the product; without one, the words do: the capability must hold every product word of the
        query (a word some capability in the index holds; places and group names are not product words,
        so a query made only of them binds nothing).
        """
        return bool(self.terms) and not self.categories and self.has_capability_filter

    def without(self, facet: str) -> SearchQuery:
        """The same query with one facet's selection cleared (for that facet's counts): this very query when nothing of
        that facet is selected (a frozen value; a copy made field by field cost a search page 30 µs). Raises KeyError for
        an unknown facet."""
        clear = _CLEARED[facet]
        if all(getattr(self, name) == value for name, value in clear.items()):
            return self
        return replace(self, **clear)


# Each facet's fields of a `SearchQuery` as `without` clears them.
_CLEARED: dict[str, dict[str, Any]] = {
    "category": {"categories": ()},
    "material": {"materials": ()},
    "country": {"countries": ()},
    "certification": {"certifications": ()},
    "verified_certification": {"verified_certifications": ()},
    "verified": {"verified": None},
}


@lru_cache(maxsize=1024)
def category_codes(codes: tuple[str, ...]) -> tuple[str, ...]:
    """Leaf codes covered by the selection (top-level codes expand to their children; memoised, as every hit asks)."""
    leaves: list[str] = []
    for code in codes:
        category = CATEGORIES.get(code)
        if category is None:
            continue
        if category.parent is None:
            leaves.extend(c for c, v in CATEGORIES.items() if v.parent == code)
        else:
            leaves.append(code)
    return tuple(dict.fromkeys(leaves))


def encode_cursor(values: list[Any]) -> str:
    """Encode the last hit's sort values as an opaque, URL-safe cursor for the next page (base64 of compact JSON, no padding)."""
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


MAX_CURSOR_LENGTH = 200


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and abs(value) < 1e15


def decode_cursor(cursor: str) -> list[Any]:
    """Read a page cursor back: exactly [sort value, group id], both numbers, as `encode_cursor` wrote them.

    Anything else (another shape, a string, a huge or deeply nested value, an overlong cursor) raises
    InvalidQuery, which the pages and the API answer with a 400.
    """
    invalid = InvalidQuery(N_("The page cursor is not valid; start again from the first page."))
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, RecursionError):
        raise invalid from None
    if not (
        isinstance(values, list)
        and len(values) == 2
        and _is_number(values[0])
        and isinstance(values[1], int)
        and not isinstance(values[1], bool)
        and 0 <= values[1] < 2**63
    ):
        raise invalid
    return values


# ----- ranking, the same for both backends ---------------------------------------------------------

# Where a word is found, and what that is worth; a word found only within its typo allowance is worth half.
FIELD_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("name_terms", 3.0),
    ("capability_terms", 2.0),
    ("story_terms", 1.0),
    ("place_terms", 1.0),
)
FUZZY_SHARE = 0.5


@dataclass(frozen=True)
class Ranking:
    """How a group's text match is scored, identically by both backends (no engine-specific BM25).

    score = exact_weight × (query words found exactly or by stem)
          + match_weight × (query words found at all, typos included)
          + Σ over words and fields of the field's weight (halved for a typo match)
          + the group's quality boost (1 to 1.25)

    The weights make it lexicographic: more exact words always first, then more words, then where
    the words were found, then quality. So an exact or stemmed match always outranks a fuzzy one,
    and groups with all the words come before groups with most of them, which come before the rest.
    Every part is a sum of small multiples of ½ plus the boost, so a 32-bit float (Elasticsearch's
    score) holds it exactly enough that both backends order hits alike.
    """

    words: int  # how many distinct terms the query has

    @property
    def match_weight(self) -> float:
        """Return the score one matched word adds.

        Above the sum of all field weights of the other words, plus the boost.
        """
        return sum(w for _, w in FIELD_WEIGHTS) * self.words + 2.0  # above any field sum plus the boost

    @property
    def exact_weight(self) -> float:
        """Return the score one exactly matched word adds: above any number of words matched otherwise."""
        return self.match_weight * (self.words + 1)  # above any number of words matched

    def words_found(self, score: float) -> tuple[int, int]:
        """Read back (exact, found at all) from a score."""
        exact = int(score // self.exact_weight)
        return exact, int((score - exact * self.exact_weight) // self.match_weight)


class InvalidQuery(ValueError):
    """A query the backend cannot run. Its message is English and marked with `N_`: the app translates it where it
    shows it (`gettext(str(error))`)."""


class SearchUnavailable(RuntimeError):
    """The search backend cannot answer right now (Elasticsearch down or unreachable)."""


@dataclass(frozen=True)
class CapabilityMatch:
    """Why a group matched: a capability that meets every capability filter of the query."""

    category: str
    label: str
    materials: list[str]
    moq: int
    lead_time_days: int
    price_min: float
    price_max: float
    currency: str
    units_by_date: int | None  # when the query asks for capacity by a date
    title: str = ""  # the group's own name for the capability, when it gave one


@dataclass
class Hit:
    id: int
    slug: str
    name: str
    country: str
    region: str
    city: str
    verified: bool
    rating: float | None
    artisan_count: int
    certifications: list[str]  # every scheme the group claims
    verified_certifications: list[str]  # those an operator has checked the evidence of
    score: float
    distance_km: float | None
    highlights: dict[str, str]
    matches: list[CapabilityMatch]
    self_declared_certifications: list[str] = field(default_factory=list)  # "other" claims by name: never verified
    reputation: dict[str, Any] = field(default_factory=dict)  # measured signals (marketplace.reputation.signals), for display
    photo: dict[str, Any] | None = None  # the cover photo: path, width, height, alt; None shows a placeholder
    categories: list[str] = field(default_factory=list)  # taxonomy codes of what the group makes (the placeholder says them)


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    selected: bool


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    next_cursor: str | None
    relaxed: bool = False  # no group on the page has every word: these have some


def is_relaxed(query: SearchQuery, hits: list[Hit]) -> bool:
    """True when no hit on the page has every word of the query (read from the scores, see Ranking)."""
    terms = query.terms
    if len(terms) < 2 or not hits:
        return False
    ranking = Ranking(len(terms))
    return all(ranking.words_found(h.score)[1] < len(terms) for h in hits)


def selected_values(query: SearchQuery, facet: str) -> set[str]:
    """The values of a facet the query has selected, as facet values are written."""
    if facet == "verified":
        return set() if query.verified is None else {"true" if query.verified else "false"}
    return set(
        {
            "category": query.categories,
            "material": query.materials,
            "country": query.countries,
            "certification": query.certifications,
            "verified_certification": query.verified_certifications,
        }[facet]
    )


# ----- explaining a hit, the same way for both backends ------------------------------------------


def capability_matches(capability: dict[str, Any], query: SearchQuery) -> bool:
    """Tell whether a capability of an indexed document passes the query's capability filters (price only in the query's
    currency)."""
    if query.categories and capability["category"] not in category_codes(query.categories):
        return False
    if query.materials and not set(query.materials) & set(capability["materials"]):
        return False
    if query.max_lead_time is not None and capability["lead_time_days"] > query.max_lead_time:
        return False
    if query.max_moq is not None and capability["moq"] > query.max_moq:
        return False
    if query.price_min is not None or query.price_max is not None:
        if capability["currency"] != query.currency:
            return False
        if query.price_max is not None and capability["price_min"] > query.price_max:
            return False
        if query.price_min is not None and capability["price_max"] < query.price_min:
            return False
    return not (
        query.capacity and units_by(capability["capacity_keys"], capability["ready_on"], query.capacity.by) < query.capacity.units
    )


def distance_km(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    """Great-circle distance on a sphere of Earth's mean radius (as Elasticsearch's arc distance)."""
    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    dp, dl = p2 - p1, math.radians(b_lon - a_lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


class TermMatcher:
    """Does an indexed word answer one of the query's terms, exactly or within its typo allowance?
    (The rule both backends search by; answers are remembered, as the same words recur across hits.)

    `highlight` marks the words of a text this matcher accepts. It is shared by every matcher of the same terms (see
    `_highlighter`): its judgement of a word as written depends on nothing else, and a search's next page, another sort
    or a facet ticked show texts it has read already. `shared=False` gives a matcher a highlighter of its own, which
    judges by this matcher's answers.
    """

    def __init__(self, terms: list[str], *, shared: bool = True) -> None:
        self.terms = terms
        self.known: dict[str, bool] = {t: True for t in terms}
        self.accepted: set[str] = set(terms)  # the words of `known` that answer
        self.by_initial: dict[str, list[str]] = {}  # a typo never touches the first letter (prefix_length 1)
        for t in terms:
            self.by_initial.setdefault(t[:1], []).append(t)
        # A subclass may judge otherwise: it highlights by its own answers.
        self.highlight = _highlighter(tuple(terms)) if shared and type(self) is TermMatcher else Highlighter(self)

    def __call__(self, word_term: str) -> bool:
        answer = self.known.get(word_term)
        if answer is None:
            alike = self.by_initial.get(word_term[:1], ())
            answer = any(edit_distance(word_term, t, max_edits(t)) <= max_edits(t) for t in alike)
            if answer:  # before `known`: a matcher may be shared between threads (see `_matcher`)
                self.accepted.add(word_term)
            self.known[word_term] = answer
        return answer

    def any_of(self, word_terms: set[str]) -> bool:
        """Tell whether one of the indexed words answers (each distinct word judged once per matcher)."""
        for word in word_terms.difference(self.known):
            self(word)
        return not self.accepted.isdisjoint(word_terms)


def described_by_words(capability: dict[str, Any], matcher: TermMatcher) -> bool:
    """Does one of the capability's indexed words answer one of the matcher's terms?"""
    return matcher.any_of(set(capability["terms"].split()))


# The highlighters of the latest searches' terms (see `_highlighter`).
_HIGHLIGHTERS: dict[tuple[str, ...], Highlighter] = {}
HIGHLIGHTERS_KEPT = 256  # term lists remembered; past it, the older half is forgotten
WORDS_JUDGED_KEPT = 20_000  # words a shared highlighter judges before the next search of its terms starts afresh


def _highlighter(terms: tuple[str, ...]) -> Highlighter:
    """Return the highlighter of a query's `terms`, shared by the searches with these terms, in every thread.

    Searches keep asking with the same words (the next page, a filter added, the same popular words), and judging each
    word of the hits' names, stories and materials was two thirds of `make_hit`'s time under cProfile (issue 19). At most
    HIGHLIGHTERS_KEPT term lists are kept, each with up to about WORDS_JUDGED_KEPT words judged.
    """
    highlighter = _HIGHLIGHTERS.get(terms)
    if highlighter is None or highlighter.words_judged > WORDS_JUDGED_KEPT:
        if len(_HIGHLIGHTERS) >= HIGHLIGHTERS_KEPT:
            for older in list(_HIGHLIGHTERS)[: HIGHLIGHTERS_KEPT // 2]:  # in the order they were added
                _HIGHLIGHTERS.pop(older, None)
        highlighter = _HIGHLIGHTERS[terms] = TermMatcher(list(terms), shared=False).highlight
    return highlighter


@lru_cache(maxsize=4096)
def _matcher(term: str) -> TermMatcher:
    return TermMatcher([term])  # remembers its answers, so shared across hits and queries


def holds_product_words(capability: dict[str, Any], words: tuple[tuple[str, ...], ...]) -> bool:
    """Does the capability hold every product word of a planned query (each within its typo allowance)?"""
    return all(described_by_words(capability, _matcher(entry[0])) for entry in words)


def make_hit(doc: dict[str, Any], query: SearchQuery, score: float, matcher: TermMatcher | None = None) -> Hit:
    """Build the hit shown for an indexed document `doc` with its `score`.

    It carries the capabilities the filters and words point to, the highlighted words and the distance in km.
    """
    capabilities = (
        [c for c in doc["capabilities"] if capability_matches(c, query)] if query.has_capability_filter else doc["capabilities"]
    )
    if query.capability_words:
        capabilities = [c for c in capabilities if holds_product_words(c, query.capability_words)]
    elif matcher is not None and matcher.terms and not query.categories:
        # Why it matched: the capabilities the words describe (all of them when the words name none).
        capabilities = [c for c in capabilities if described_by_words(c, matcher)] or capabilities
    highlights: dict[str, str] = {}
    if matcher is not None and matcher.terms:
        for name, text in (
            ("name", doc["name"]),
            ("story", doc["story"]),
            ("capabilities", ", ".join(doc["materials"] + doc["techniques"])),
        ):
            snippet = matcher.highlight(text)
            if snippet:
                highlights[name] = snippet
    location = doc.get("location")
    distance = distance_km(query.near.lat, query.near.lon, location["lat"], location["lon"]) if query.near and location else None
    return Hit(
        id=doc["id"],
        slug=doc["slug"],
        name=doc["name"],
        country=doc["country"],
        region=doc["region"],
        city=doc["city"],
        verified=doc["verified"],
        rating=doc["rating"],
        artisan_count=doc["artisan_count"],
        certifications=doc["certifications"],
        verified_certifications=doc["verified_certifications"],
        self_declared_certifications=doc.get("self_declared_certifications", []),
        reputation=doc.get("reputation", {}),
        score=score,
        distance_km=None if distance is None else round(distance, 1),
        highlights=highlights,
        photo=doc.get("photo"),
        categories=list(doc.get("categories") or []),
        matches=[
            CapabilityMatch(
                category=c["category"],
                label=c["label"],
                materials=shown(c["materials"]),
                moq=c["moq"],
                lead_time_days=c["lead_time_days"],
                price_min=c["price_min"],
                price_max=c["price_max"],
                currency=c["currency"],
                units_by_date=units_by(c["capacity_keys"], c["ready_on"], query.capacity.by) if query.capacity else None,
                title=c.get("title", ""),
            )
            for c in capabilities
        ],
    )
