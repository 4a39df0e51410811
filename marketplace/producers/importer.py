"""Bulk onboarding: load producer groups from a federation's CSV or JSON file.

The schema is documented in docs/import-schema.md. Each group is keyed by its `external_ref`, so
importing the same file again changes nothing, and a corrected file updates what it names. The
import adds and updates; it never deletes a capability or certification the file leaves out, and it
never sets verification (that is an operator's call).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import Organization, OrganizationKind
from marketplace.i18n import N_
from marketplace.money import MAX_UNIT_PRICE, round_money
from marketplace.producers import capacity
from marketplace.producers.changes import publish_group_changed, touch
from marketplace.producers.models import Capability, CapacityWindow, Certification, GroupAddress, ProducerGroup
from marketplace.producers.services import CAPABILITY_FIELDS, MAX_CAPABILITY_TITLE, PROFILE_FIELDS, follow_name
from marketplace.producers.spreadsheets import (
    BadNumber,
    Reason,
    Table,
    decode,
    normalize_numbers,
    read_csv_table,
    read_xlsx_table,
)
from marketplace.producers.taxonomy import CATEGORIES, OTHER_CLAIM, is_country, is_currency, scheme_code
from marketplace.text import clean_line, clean_text, slugify, word_list

CSV_COLUMNS = (
    "external_ref",
    "name",
    "country",
    "region",
    "city",
    "latitude",
    "longitude",
    "artisan_count",
    "women_share",
    "youth_share",
    "languages",
    "story",
    "certifications",
    "category",
    "materials",
    "techniques",
    "moq",
    "lead_time_days",
    "price_min",
    "price_max",
    "currency",
    "weekly_capacity",
    "capacity_overrides",
    "capability_title",
)
REQUIRED_CSV_COLUMNS = {"external_ref", "name", "country", "category"}
BATCH = 500


class RecordError(ValueError):
    """A record (or the whole file) cannot be imported; `column` names the cell to fix, when one does.

    `message` is a catalog message (marked with `N_`) and `values` fill its placeholders; a value may itself be a
    RecordError (a reason inside a place). `str(error)` is the English sentence (the CLI's); `reason()` keeps the
    message and values, so a page shows it in its reader's language later (`reason_text`).
    """

    def __init__(self, message: str, column: str | None = None, **values: Any) -> None:
        self.message, self.values, self.column = message, values, column
        super().__init__(message % {k: str(v) for k, v in values.items()} if values else message)

    def reason(self) -> dict[str, Any]:
        """Return the reason as JSON-ready data: {"message": msgid, "values": {...}} (nested reasons kept)."""
        return _as_reason(self).data()


def _as_reason(value: Any) -> Any:
    if isinstance(value, RecordError):
        return Reason(value.message, {k: _as_reason(v) for k, v in value.values.items()})
    return value


@dataclass(frozen=True)
class Problem:
    """One rejected record: where it is in the file, the column to fix (if one), and what to do."""

    where: str  # "row 5", "rows 2, 3", "group 4"
    column: str | None
    reason: str  # in English
    details: dict[str, Any] | None = None  # {"where_data", "reason_data"} as Reason.data, for each reader's language


@dataclass
class SourceRecord:
    """One group as the file states it, with the file rows it came from (for error messages)."""

    rows: list[int]
    data: dict[str, Any]
    unit: str = "row"  # "row" for CSV lines, "group" for entries of a JSON list

    @property
    def label(self) -> str:
        """Name where the record came from, for a person: "row 12", "rows 3, 4", "group 2"."""
        return f"{self.unit}{'s' if len(self.rows) > 1 else ''} {', '.join(map(str, self.rows))}"

    @property
    def place(self) -> dict[str, Any]:
        """Return the label as a reason (RecordError.reason) for pages in any language."""
        several = len(self.rows) > 1
        message = {
            ("row", False): N_("row %(rows)s"),
            ("row", True): N_("rows %(rows)s"),
            ("group", False): N_("group %(rows)s"),
            ("group", True): N_("groups %(rows)s"),
        }[(self.unit, several)]
        return {"message": message, "values": {"rows": ", ".join(map(str, self.rows))}}

    def problem(self, error: RecordError) -> Problem:
        """Return the record's rejection for `error`, in English and kept for each reader's language."""
        return Problem(self.label, error.column, str(error), {"where_data": self.place, "reason_data": error.reason()})


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[tuple[str, str]]:
        """(where, reason) per rejected record, in file order."""
        return [(p.where, p.reason) for p in self.problems]

    @property
    def imported(self) -> int:
        """Return how many records were written or found unchanged (created + updated + unchanged)."""
        return self.created + self.updated + self.unchanged


# ----- reading files -----------------------------------------------------------------------------


def _split(value: str) -> list[str]:
    # Only cut the cell: how many entries and how long each is gets checked when the record is validated.
    return [part.strip() for part in value.split(";") if part.strip()]


NUMBER_COLUMNS = (
    "latitude",
    "longitude",
    "artisan_count",
    "women_share",
    "youth_share",
    "moq",
    "lead_time_days",
    "price_min",
    "price_max",
    "weekly_capacity",
)


def read_table(table: Table) -> Iterator[SourceRecord]:
    """Yield one record per group; a group spans consecutive or scattered rows, one per capability."""
    missing = REQUIRED_CSV_COLUMNS - set(table.header)
    if missing:
        raise RecordError(
            N_("the header lacks the column(s) %(missing)s; it has %(header)s"),
            missing=", ".join(sorted(missing)),
            header=", ".join(c for c in table.header if c) or "—",
        )
    unknown = set(table.header) - set(CSV_COLUMNS) - {""}
    if unknown:
        raise RecordError(N_("the header has unknown column(s) %(unknown)s"), unknown=", ".join(sorted(unknown)))
    records: dict[str, SourceRecord] = {}
    for row_number, row in table.rows:
        row = {k: v if isinstance(v, BadNumber) else str(v or "").strip() for k, v in row.items() if k}
        ref = row.get("external_ref", "")
        capability = {
            "category": row.get("category", ""),
            "title": row.get("capability_title", ""),
            "materials": _split(row.get("materials", "")),
            "techniques": _split(row.get("techniques", "")),
            "moq": row.get("moq") or None,
            "lead_time_days": row.get("lead_time_days") or None,
            "price_min": row.get("price_min") or None,
            "price_max": row.get("price_max") or None,
            "currency": row.get("currency") or None,
            "weekly_capacity": row.get("weekly_capacity") or None,
            "capacity": [
                {"week": week, "units": units}
                for week, _, units in (item.partition("=") for item in _split(row.get("capacity_overrides", "")))
            ],
            "_row": row_number,
        }
        record = records.get(ref) if ref else None
        if record is None:
            group = {k: row.get(k) or None for k in CSV_COLUMNS[:12]}
            group["languages"] = _split(row.get("languages", ""))
            group["certifications"] = [{"scheme": s} for s in _split(row.get("certifications", ""))]
            group["capabilities"] = []
            record = SourceRecord([], group)
            records[ref or f"row-{row_number}"] = record
        record.rows.append(row_number)
        record.data["capabilities"].append(capability)
    yield from records.values()


def read_csv(text: str, *, number_locale: str | None = None) -> Iterator[SourceRecord]:
    """Yield the groups of delimited text (any of , ; tab |), numbers read per `number_locale` or as detected."""
    return read_table(_numbers(read_csv_table(text, CSV_COLUMNS), number_locale))


def _numbers(table: Table, number_locale: str | None) -> Table:
    normalize_numbers(table, NUMBER_COLUMNS, number_locale)
    return table


def read_json(text: str) -> Iterator[SourceRecord]:
    """Yield one record per group of a JSON document (a list of groups, or an object with a "groups" list).

    Raise RecordError otherwise.
    """
    document = json.loads(text)
    groups = document.get("groups") if isinstance(document, dict) else document
    if not isinstance(groups, list):
        raise RecordError(N_('expected a list of groups, or an object with a "groups" list'))
    for index, group in enumerate(groups, start=1):
        yield SourceRecord([index], group if isinstance(group, dict) else {"_not_an_object": group}, unit="group")


@dataclass
class ParsedFile:
    """A file read into records, with what the reader assumed about it (encoding, delimiter, numbers)."""

    records: list[SourceRecord]
    notes: list[Reason] = field(default_factory=list)


def parse_upload(data: bytes, filename: str, *, number_locale: str | None = None) -> ParsedFile:
    """Read a .csv (.tsv, .txt), .xlsx or .json file's bytes into records.

    Raises RecordError (a ValueError) when the file as a whole cannot be read: an unknown kind, a
    header without the required columns, JSON that does not parse. Bad records are not raised here:
    `validate` reports each on its own.
    """
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        table = _numbers(read_xlsx_table(data), number_locale)
        return ParsedFile(list(read_table(table)), table.notes)
    if suffix in (".xls", ".ods", ".numbers"):
        raise RecordError(N_("%(suffix)s files cannot be read; save the sheet as .xlsx or CSV and upload that"), suffix=suffix)
    text, notes = decode(data)
    if suffix == ".json":
        try:
            return ParsedFile(list(read_json(text)), notes)
        except json.JSONDecodeError as error:
            raise RecordError(N_("the JSON does not parse: %(error)s"), error=str(error)) from None
    if suffix in (".csv", ".tsv", ".txt"):
        table = _numbers(read_csv_table(text, CSV_COLUMNS), number_locale)
        return ParsedFile(list(read_table(table)), notes + table.notes)
    raise RecordError(N_("the file must end in .csv, .xlsx or .json"))


def read_file(path: Path, *, number_locale: str | None = None) -> Iterator[SourceRecord]:
    """Yield the records of the spreadsheet, CSV or JSON file at `path` (`number_locale`.

    How its numbers are written, e.g. "fr").
    """
    return iter(parse_upload(path.read_bytes(), path.name, number_locale=number_locale).records)


# ----- validating one record ---------------------------------------------------------------------


def _not_bad(value: Any, name: str) -> Any:
    if isinstance(value, BadNumber):
        raise RecordError(N_("%(name)s: %(reason)s"), column=name, name=name, reason=value.reason)
    return value


def _int(value: Any, name: str, *, low: int = 0, high: int | None = None, default: int | None = None) -> int:
    value = _not_bad(value, name)
    if value in (None, ""):
        if default is None:
            raise RecordError(N_("%(name)s is required"), column=name, name=name)
        return default
    try:
        whole = Decimal(str(value).strip())
        if not whole.is_finite() or whole != whole.to_integral_value():
            raise ValueError
        number = int(whole)
    except (InvalidOperation, ValueError):
        raise RecordError(
            N_("%(name)s must be a whole number, not %(value)s"), column=name, name=name, value=repr(value)
        ) from None
    if number < low or (high is not None and number > high):
        if high is not None:
            raise RecordError(N_("%(name)s must be between %(low)s and %(high)s"), column=name, name=name, low=low, high=high)
        raise RecordError(N_("%(name)s must be at least %(low)s"), column=name, name=name, low=low)
    return number


def _decimal(value: Any, name: str, currency: str) -> Decimal:
    value = _not_bad(value, name)
    if value in (None, ""):
        raise RecordError(N_("%(name)s is required"), column=name, name=name)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise RecordError(N_("%(name)s must be a number, not %(value)s"), column=name, name=name, value=repr(value)) from None
    if not number.is_finite() or number < 0:
        raise RecordError(N_("%(name)s must be zero or more"), column=name, name=name)
    if number >= MAX_UNIT_PRICE:
        raise RecordError(N_("%(name)s is not a plausible unit price"), column=name, name=name)
    return round_money(number, currency)


def _float(value: Any, name: str, low: float, high: float) -> float | None:
    value = _not_bad(value, name)
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RecordError(N_("%(name)s must be a number, not %(value)s"), column=name, name=name, value=repr(value)) from None
    if not low <= number <= high:
        raise RecordError(
            N_("%(name)s must be between %(low)s and %(high)s"), column=name, name=name, low=f"{low:g}", high=f"{high:g}"
        )
    return number


def _text(value: Any, name: str, *, required: bool = False, max_length: int = 200, multiline: bool = False) -> str:
    if value is not None and not isinstance(value, (str, int, float)):
        raise RecordError(N_("%(name)s must be text"), column=name, name=name)
    text = (clean_text if multiline else clean_line)(value)
    if required and not text:
        raise RecordError(N_("%(name)s is required"), column=name, name=name)
    if len(text) > max_length:
        raise RecordError(N_("%(name)s is longer than %(max)s characters"), column=name, name=name, max=max_length)
    return text


def _list(value: Any, name: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = _split(value)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RecordError(N_("%(name)s must be a list of words"), column=name, name=name)
    try:
        return word_list(value, lower=name != "languages")
    except ValueError as error:
        raise RecordError(N_("%(name)s: %(reason)s"), column=name, name=name, reason=str(error)) from None


def _capability(data: Any, where: str | None) -> dict[str, Any]:
    try:
        if not isinstance(data, dict):
            raise RecordError(N_("each capability must be an object with a category, prices and capacity"), column="capabilities")
        category = _text(data.get("category"), "category", required=True)
        if category not in CATEGORIES or CATEGORIES[category].parent is None:
            raise RecordError(
                N_("category %(category)s is not in the taxonomy (see docs/import-schema.md)"),
                column="category",
                category=repr(category),
            )
        currency = _text(data.get("currency") or "USD", "currency").upper()
        if not is_currency(currency):
            raise RecordError(N_("currency %(currency)s is not an ISO 4217 code"), column="currency", currency=repr(currency))
        values = {
            "category": category,
            "title": _text(data.get("title"), "capability_title", max_length=MAX_CAPABILITY_TITLE),
            "materials": [m.lower() for m in _list(data.get("materials"), "materials")],
            "techniques": [t.lower() for t in _list(data.get("techniques"), "techniques")],
            "moq": _int(data.get("moq"), "moq", low=1, default=1),
            "lead_time_days": _int(data.get("lead_time_days"), "lead_time_days", high=730),
            "price_min": _decimal(data.get("price_min"), "price_min", currency),
            "price_max": _decimal(data.get("price_max"), "price_max", currency),
            "currency": currency,
            "weekly_capacity": _int(data.get("weekly_capacity"), "weekly_capacity"),
        }
        if values["price_min"] > values["price_max"]:
            raise RecordError(N_("price_min is above price_max"), column="price_min")
        weeks: dict[dt.date, int] = {}
        overrides = data.get("capacity") or []
        if not isinstance(overrides, list) or not all(isinstance(e, dict) for e in overrides):
            raise RecordError(N_('capacity must be a list of {"week": "YYYY-MM-DD", "units": N}'), column="capacity_overrides")
        for entry in overrides:
            try:
                day = dt.date.fromisoformat(str(entry.get("week")))
            except ValueError:
                raise RecordError(
                    f"capacity week {entry.get('week')!r} is not a date (YYYY-MM-DD)", column="capacity_overrides"
                ) from None
            weeks[capacity.week_start(day)] = _int(entry.get("units"), "capacity units")
        values["capacity"] = weeks
    except RecordError as error:
        if where is None:
            raise
        raise RecordError(N_("%(where)s: %(reason)s"), column=error.column, where=where, reason=error) from None
    return values


def validate(record: SourceRecord) -> dict[str, Any]:
    """Return clean values for the group, or raise RecordError with the reason."""
    data = record.data
    if "_not_an_object" in data:
        raise RecordError(N_("each group must be an object"))
    ref = _text(data.get("external_ref"), "external_ref", required=True, max_length=120)
    country = _text(data.get("country"), "country", required=True).upper()
    if not is_country(country):
        raise RecordError(N_("country %(country)s is not an ISO 3166 two-letter code"), column="country", country=repr(country))
    clean: dict[str, Any] = {
        "external_ref": ref,
        "name": _text(data.get("name"), "name", required=True),
        "story": _text(data.get("story"), "story", max_length=5000, multiline=True),
        "country": country,
        "region": _text(data.get("region"), "region", max_length=120),
        "city": _text(data.get("city"), "city", max_length=120),
        "latitude": _float(data.get("latitude"), "latitude", -90, 90),
        "longitude": _float(data.get("longitude"), "longitude", -180, 180),
        "artisan_count": _int(data.get("artisan_count"), "artisan_count", default=0),
        "women_share": _int(data.get("women_share"), "women_share", high=100, default=0),
        "youth_share": _int(data.get("youth_share"), "youth_share", high=100, default=0),
        "languages": _list(data.get("languages"), "languages"),
    }
    if (clean["latitude"] is None) != (clean["longitude"] is None):
        raise RecordError(
            N_("give both latitude and longitude, or neither"),
            column="longitude" if clean["latitude"] is not None else "latitude",
        )
    certifications = []
    entries = data.get("certifications") or []
    if not isinstance(entries, list):
        raise RecordError(N_("certifications must be a list"), column="certifications")
    for entry in entries:
        entry = {"scheme": entry} if isinstance(entry, str) else entry
        if not isinstance(entry, dict):
            raise RecordError(N_("each certification must be a scheme name or an object with a scheme"), column="certifications")
        given = _text(entry.get("scheme"), "certifications", max_length=120)
        if not given:
            continue
        # A listed scheme by its code, name or a common alias; anything else is the group's own,
        # self-declared claim under its own name (never verified by an import, nor counted as verified).
        scheme = scheme_code(given) or OTHER_CLAIM
        valid_until = entry.get("valid_until")
        try:
            valid_until = dt.date.fromisoformat(str(valid_until)) if valid_until else None
        except ValueError:
            raise RecordError(
                N_("certification valid_until %(value)s is not a date"), column="certifications", value=repr(valid_until)
            ) from None
        certifications.append(
            {
                "scheme": scheme,
                "name": given if scheme == OTHER_CLAIM else "",
                "reference": _text(entry.get("reference"), "reference"),
                "valid_until": valid_until,
            }
        )
    clean["certifications"] = list({(c["scheme"], c["name"].casefold()): c for c in certifications}.values())
    capabilities = data.get("capabilities") or []
    if not isinstance(capabilities, list):
        raise RecordError(N_("capabilities must be a list of objects, not text"), column="capabilities")
    if not capabilities:
        raise RecordError(N_("a group needs at least one capability"), column="category")

    def where(index: int, capability: Any) -> RecordError | None:
        if len(capabilities) == 1:
            return None  # the record's own label says it all
        if isinstance(capability, dict) and "_row" in capability:
            return RecordError(N_("row %(rows)s"), rows=capability["_row"])
        return RecordError(N_("capability %(index)s"), index=index)

    clean["capabilities"] = [_capability(c, where(i, c)) for i, c in enumerate(capabilities, 1)]
    categories = [c["category"] for c in clean["capabilities"]]
    if len(set(categories)) != len(categories):
        raise RecordError(N_("the same category appears twice for this group; merge those capabilities"), column="category")
    return clean


# ----- writing -----------------------------------------------------------------------------------


class _Slugs:
    """Addresses handed out in this import: none a group has, nor had before a rename (old addresses keep redirecting)."""

    def __init__(self, session: Session) -> None:
        self.taken = set(session.scalars(select(ProducerGroup.slug))) | set(session.scalars(select(GroupAddress.old_slug)))

    def allocate(self, name: str) -> str:
        base = slug = slugify(name)
        n = 2
        while slug in self.taken:
            slug = f"{base}-{n}"
            n += 1
        self.taken.add(slug)
        return slug


def _apply(target: Any, values: dict[str, Any], fields: Iterable[str]) -> bool:
    changed = False
    for name in fields:
        if getattr(target, name) != values[name]:
            setattr(target, name, values[name])
            changed = True
    return changed


def _write(session: Session, group: ProducerGroup | None, clean: dict[str, Any], slugs: _Slugs) -> str:
    if group is None:
        organization = Organization(kind=OrganizationKind.PRODUCER, name=clean["name"], country=clean["country"])
        # The operator who imports a federation's list vouches for its groups: they are listed at once.
        group = ProducerGroup(
            organization=organization, slug=slugs.allocate(clean["name"]), external_ref=clean["external_ref"], listed=True
        )
        session.add(group)
        outcome = "created"
    else:
        outcome = "unchanged"
    old_name = group.name
    changed = _apply(group, clean, [f for f in PROFILE_FIELDS if f in clean])
    if group.organization.name != clean["name"]:
        group.organization.name = clean["name"]
    if outcome != "created" and group.name != old_name and follow_name(session, group):
        slugs.taken.add(group.slug)  # renamed by the file: its address moves as a rename on the profile page moves it
    by_scheme = {(c.scheme, c.name.casefold()): c for c in group.certifications}
    for cert in clean["certifications"]:
        existing = by_scheme.get((cert["scheme"], cert["name"].casefold()))
        if existing is None:
            group.certifications.append(Certification(**cert))
            changed = True
        else:
            changed |= _apply(existing, cert, ("reference", "valid_until"))
    by_category = {c.category: c for c in group.capabilities}
    for values in clean["capabilities"]:
        capability = by_category.get(values["category"])
        if capability is None:
            capability = Capability(**{k: values[k] for k in CAPABILITY_FIELDS})
            group.capabilities.append(capability)
            changed = True
        else:
            changed |= _apply(capability, values, CAPABILITY_FIELDS)
        windows = {w.week_start: w for w in capability.windows}
        for monday, units in values["capacity"].items():
            window = windows.get(monday)
            if window is None:
                capability.windows.append(CapacityWindow(week_start=monday, units_available=units))
                changed = True
            elif window.units_available != units:
                window.units_available = max(units, window.units_committed)
                changed = True
    if outcome == "created":
        return outcome
    if changed:
        touch(session, group)
        return "updated"
    return outcome


def import_groups(
    session: Session,
    records: Iterable[SourceRecord],
    *,
    progress: Callable[[int], None] | None = None,
    commit: bool = True,
    batch_size: int = BATCH,
) -> ImportReport:
    """Validate and upsert groups in batches, each batch one transaction; bad records are reported, not fatal.

    With `commit=False` the batches are only flushed: the caller's transaction holds them all, to
    commit or roll back as one (the demo generator does).
    """
    report = ImportReport()
    slugs = _Slugs(session)
    batch: list[tuple[SourceRecord, dict[str, Any]]] = []
    seen: set[str] = set()

    def flush_batch() -> None:
        refs = [clean["external_ref"] for _, clean in batch]
        existing = {
            g.external_ref: g
            for g in session.scalars(
                select(ProducerGroup)
                .where(ProducerGroup.external_ref.in_(refs))
                .options(
                    selectinload(ProducerGroup.organization),
                    selectinload(ProducerGroup.certifications),
                    selectinload(ProducerGroup.capabilities).selectinload(Capability.windows),
                )
            )
        }
        created: list[str] = []
        for _record, clean in batch:
            group = existing.get(clean["external_ref"])
            outcome = _write(session, group, clean, slugs)
            setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome == "created":
                created.append(clean["external_ref"])
        session.flush()
        for group in session.scalars(select(ProducerGroup).where(ProducerGroup.external_ref.in_(created))):
            publish_group_changed(session, group)
        if progress:
            progress(len(batch))  # before the commit, so a count kept in the database commits with its batch
        if commit:
            session.commit()
        batch.clear()

    for record in records:
        try:
            clean = validate(record)
            if clean["external_ref"] in seen:
                raise RecordError(
                    N_("external_ref %(value)s appears twice in the file"),
                    column="external_ref",
                    value=repr(clean["external_ref"]),
                )
            seen.add(clean["external_ref"])
        except RecordError as error:
            report.problems.append(record.problem(error))
            if progress:
                progress(1)
            continue
        batch.append((record, clean))
        if len(batch) >= batch_size:
            flush_batch()
    if batch:
        flush_batch()
    return report
