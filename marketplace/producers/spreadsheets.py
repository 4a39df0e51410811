"""Read a federation's spreadsheet as it really arrives: any delimiter, any common encoding, local numbers, .xlsx.

A Spanish-locale Excel export is `;`-separated, starts with a byte-order mark and writes `1.234,50`;
an older Windows tool writes Windows-1252; many federations keep the list in an .xlsx workbook. This
module turns each of them into the same thing — a header and numbered rows of cells, with numbers
given back in canonical form (`1234.50`) — so the importer validates one shape. It never guesses
silently: what it assumed (encoding, delimiter, number format) comes back as notes for the preview.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberFormatError, get_decimal_symbol, get_group_symbol, parse_decimal
from flask_babel import gettext

from marketplace.i18n import N_, format_number

DELIMITERS = ",;\t|"
# What a workbook may unpack to and how many cells its first sheet may hold: an .xlsx is a zip, and a few
# kilobytes can unpack to gigabytes of XML or claim 16,384 × 1,048,576 cells. A 5 MB upload of real cells
# unpacks to some 40 MB and far fewer cells.
MAX_XLSX_UNPACKED = 64 * 1024 * 1024
MAX_XLSX_CELLS = 500_000  # 25,000 groups of 20 columns
SAMPLE_BYTES = 64 * 1024

# The number formats a file may be declared in (the upload form offers these); any CLDR locale works.
NUMBER_LOCALES = {  # marked for the catalogs, translated where shown (the import page)
    "en": N_("1,234.50 (English, Kenya, India, Ghana)"),
    "es": N_("1.234,50 (Spanish, Guatemala, Peru)"),
    "de": N_("1.234,50 (German, Dutch, Italian)"),
    "fr": N_("1 234,50 (French, Swahili)"),
}

_DOT_DECIMAL = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)\.\d+$|^[+-]?\d{1,3}(,\d{3}){2,}$")
_COMMA_DECIMAL = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d{1,3}([  \u202f]\d{3})+|\d+),\d+$|^[+-]?\d{1,3}(\.\d{3}){2,}$")
_SPACE_GROUPS = re.compile(r"\d[  \u202f]\d{3}")
_SCIENTIFIC = re.compile(r"^[+-]?\d+([.,]\d+)?[eE][+-]?\d+$")
_AMBIGUOUS = re.compile(r"^[+-]?\d{1,3}[.,]\d{3}$")  # "1,234" / "1.234": a thousand, or one and a bit?


class Reason(str):
    """A sentence from the catalogs (marked with `N_`) with its values: the English text itself, any language on a page.

    Kept as data (`data()`) in an import's report, so each reader sees it in their own language (`reason_text`).
    """

    message: str
    values: dict[str, Any]

    def __new__(cls, message: str, values: dict[str, Any] | None = None) -> Reason:
        values = values or {}
        reason = super().__new__(cls, message % {k: str(v) for k, v in values.items()} if values else message)
        reason.message, reason.values = message, values
        return reason

    def data(self) -> dict[str, Any]:
        """Return {"message": msgid, "values": {...}}, nested reasons as data too (JSON-ready)."""
        return {"message": self.message, "values": {k: v.data() if isinstance(v, Reason) else v for k, v in self.values.items()}}


def reason_text(reason: Any) -> str:
    """Return a stored reason ({"message", "values"}, see Reason.data) in the language in force; plain text as it is."""
    if not isinstance(reason, dict) or "message" not in reason:
        return str(reason)
    values = {k: reason_text(v) if isinstance(v, dict) else v for k, v in (reason.get("values") or {}).items()}
    message = gettext(reason["message"])
    return message % values if values else message


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read (not a table, unknown format); nothing of it is imported."""


@dataclass(frozen=True)
class BadNumber:
    """A cell that should hold a number but does not, with what to write instead."""

    raw: str
    reason: Reason


@dataclass
class Table:
    """A header (lower-cased column names) and rows of cells, each row with its number in the file."""

    header: list[str]
    rows: list[tuple[int, dict[str, Any]]]
    notes: list[Reason] = field(default_factory=list)  # what was assumed, for the preview and the CLI
    number_locale: str | None = None


def decode(data: bytes) -> tuple[str, list[Reason]]:
    """Return the text of `data` and notes: UTF-8 (with or without a BOM), else Windows-1252 with a warning."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), [Reason(N_("The file is UTF-16 (Excel's “Unicode text”); it was read as such."))]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as error:
        where = data[: error.start].count(b"\n") + 1
    note = Reason(
        N_(
            "The file is not UTF-8 (first odd byte on line %(line)s); it was read as Windows-1252 (Western European). "
            "Check accented letters in the preview; if they look wrong, save the file as “CSV UTF-8” and upload it again."
        ),
        {"line": where},
    )
    try:
        return data.decode("cp1252"), [note]
    except UnicodeDecodeError:  # five byte values are undefined in cp1252; Latin-1 maps every byte
        return data.decode("latin-1"), [note.replace("Windows-1252", "Latin-1")]


def _normal(name: str) -> str:
    return re.sub(r"[\s-]+", "_", (name or "").strip().strip("\ufeff").lower())


def sniff_dialect(text: str, known_columns: Iterable[str]) -> type[csv.Dialect] | csv.Dialect:
    """Find the delimiter: csv.Sniffer on a sample, checked against the header; else the delimiter
    that splits the header into the most known column names."""
    known = set(known_columns)
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]

    def hits(delimiter: str) -> int:
        return len({_normal(c) for c in next(csv.reader([first_line], delimiter=delimiter), [])} & known)

    try:
        dialect = csv.Sniffer().sniff(text[:SAMPLE_BYTES], delimiters=DELIMITERS)
        if hits(dialect.delimiter) >= max(hits(d) for d in DELIMITERS):
            return dialect
    except csv.Error:
        pass
    best = max(DELIMITERS, key=hits)

    class Found(csv.excel):
        delimiter = best

    return Found


def read_csv_table(text: str, known_columns: Iterable[str]) -> Table:
    """Split delimited text into a Table (row 1 is the header, as a spreadsheet counts)."""
    known = list(known_columns)
    dialect = sniff_dialect(text, known)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), dialect)
    header = [_normal(c) for c in next(reader, [])]
    rows: list[tuple[int, dict[str, Any]]] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        rows.append((reader.line_num, dict(zip(header, (cell.strip() for cell in row), strict=False))))
    table = Table(header, rows)
    if dialect.delimiter != ",":
        name = Reason({";": N_("semicolons"), "\t": N_("tabs"), "|": N_("vertical bars")}[dialect.delimiter])
        table.notes.append(Reason(N_("Columns are separated by %(separator)s."), {"separator": name}))
    return table


def read_xlsx_table(data: bytes) -> Table:
    """Read the first worksheet of an .xlsx workbook: formulas give their saved values, dates stay dates."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())  # zipfile never reads past these sizes
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError, zipfile.BadZipFile) as error:
        raise SpreadsheetError(gettext("The file is not an .xlsx workbook Loom can read (%(error)s).", error=error)) from None
    if unpacked > MAX_XLSX_UNPACKED:
        workbook.close()
        raise SpreadsheetError(
            gettext(
                "The workbook unpacks to more than %(size)s MB; save the list as CSV or split it into smaller files.",
                size=MAX_XLSX_UNPACKED // 2**20,
            )
        )
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the size a sheet declares is a claim: read the cells it really has
        lines = sheet.iter_rows(values_only=True)
        first = next(lines, ())
        header = [_normal(str(c)) if c is not None else "" for c in first]
        rows: list[tuple[int, dict[str, Any]]] = []
        cells_left = MAX_XLSX_CELLS - len(first)
        for number, values in enumerate(lines, start=2):
            cells_left -= len(values)
            if cells_left < 0:
                raise SpreadsheetError(
                    gettext(
                        "The sheet holds more than %(cells)s cells; split it into smaller files.",
                        cells=format_number(MAX_XLSX_CELLS),
                    )
                )
            cells = {name: _xlsx_cell(value) for name, value in zip(header, values, strict=False) if name}
            if any(v != "" for v in cells.values()):
                rows.append((number, cells))
    finally:
        workbook.close()
    table = Table(header, rows, number_locale="en")
    if len(workbook.sheetnames) > 1:
        table.notes.append(Reason(N_("Only the first sheet, “%(sheet)s”, was read."), {"sheet": workbook.sheetnames[0]}))
    return table


def _xlsx_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return str(Decimal(repr(value))) if value == value and value not in (float("inf"), float("-inf")) else repr(value)
    return str(value).strip()


def detect_number_locale(cells: Iterable[str]) -> str | None:
    """Say which way the file writes numbers: "en" (1,234.50), "es" (1.234,50), "fr" (1 234,50), or None
    when no cell tells (every number is whole, or only ambiguous ones like 1,234 appear)."""
    dot = comma = space = 0
    for cell in cells:
        if _AMBIGUOUS.match(cell):
            continue  # says nothing either way
        if _DOT_DECIMAL.match(cell):
            dot += 1
        elif _COMMA_DECIMAL.match(cell):
            comma += 1
            space += bool(_SPACE_GROUPS.search(cell))
    if dot and comma:
        return None  # mixed: the preview's per-cell messages ask for a declared format
    if comma:
        return "fr" if space else "es"
    return "en" if dot else None


def normalize_numbers(table: Table, columns: Iterable[str], locale: str | None) -> None:
    """Rewrite the number cells of `columns` in canonical form (``1234.50``), in place.

    `locale` is the declared number format; without one it is detected from the cells. A cell that
    does not parse in that format becomes a BadNumber saying what to write; so does an ambiguous cell
    ("1,234") when nothing in the file shows which way it writes numbers.
    """
    columns = [c for c in columns if c in table.header]
    if locale:
        try:
            Locale.parse(locale)
        except (UnknownLocaleError, ValueError):
            raise SpreadsheetError(
                gettext("%(locale)s is not a number format Loom knows (try en, es, de or fr).", locale=repr(locale))
            ) from None
        table.number_locale = locale
    elif table.number_locale is None:
        table.number_locale = detect_number_locale(str(cells.get(c, "")) for _, cells in table.rows for c in columns)
        if table.number_locale in ("es", "fr"):
            example = NUMBER_LOCALES[table.number_locale].split(" (")[0]
            table.notes.append(Reason(N_("Numbers are read with decimal commas (%(example)s)."), {"example": example}))
    for _, cells in table.rows:
        for column in columns:
            raw = str(cells.get(column, "")).strip()
            if raw:
                cells[column] = parse_number(raw, table.number_locale)


def parse_number(raw: str, locale: str | None) -> str | BadNumber:
    """Return `raw` as a canonical number string, or a BadNumber; `locale` None means "not known"."""
    if locale is None and _AMBIGUOUS.match(raw):
        return BadNumber(
            raw,
            Reason(
                N_(
                    "%(raw)s could mean %(whole)s or %(decimal)s: write it without a thousands separator, "
                    "or choose the file's number format"
                ),
                {"raw": repr(raw), "whole": raw.replace(",", "").replace(".", ""), "decimal": raw.replace(",", ".")},
            ),
        )
    if _SCIENTIFIC.match(raw):  # Excel writes huge or tiny numbers as 1,4E+31 / 1.4E+31 in any locale
        return str(Decimal(raw.replace(",", ".")))
    try:
        if locale is None or locale.startswith("en"):
            Decimal(raw)  # plain notation (12.5, 1.4E+31) needs no locale
            return raw
    except ArithmeticError:
        pass
    chosen = locale or "en"
    compact = raw.replace(" ", get_group_symbol(chosen)) if get_group_symbol(chosen) in "\u00a0\u202f" else raw
    try:
        return str(parse_decimal(compact, chosen, strict=True))
    except NumberFormatError:
        example = f"1{get_group_symbol(chosen)}234{get_decimal_symbol(chosen)}50"
        return BadNumber(
            raw,
            Reason(
                N_("%(raw)s is not a number as this file writes them (like %(example)s)"), {"raw": repr(raw), "example": example}
            ),
        )
