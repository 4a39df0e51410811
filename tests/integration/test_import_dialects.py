"""Spreadsheets as federations really send them: Excel's Spanish CSV, Windows-1252, .xlsx, broken JSON.

Every file is made here, in the test, the way the tool that writes it would: no binary is committed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.producers.importer import CSV_COLUMNS, RecordError, import_groups, parse_upload
from marketplace.producers.models import ProducerGroup

HEADER = [
    "external_ref",
    "name",
    "country",
    "city",
    "latitude",
    "longitude",
    "artisan_count",
    "languages",
    "certifications",
    "category",
    "materials",
    "moq",
    "lead_time_days",
    "price_min",
    "price_max",
    "currency",
    "weekly_capacity",
    "capacity_overrides",
]


def row(ref: str, name: str, **cells: object) -> list[object]:
    values = {
        "country": "GT",
        "city": "Sololá",
        "artisan_count": 40,
        "languages": "Kaqchikel;Spanish",
        "category": "textiles.scarves",
        "materials": "cotton;natural dyes",
        "moq": 50,
        "lead_time_days": 30,
        "price_min": "8.50",
        "price_max": "1234.50",
        "currency": "USD",
        "weekly_capacity": 1200,
        "external_ref": ref,
        "name": name,
    } | cells
    return [values.get(column, "") for column in HEADER]


def spanish_excel_csv(rows: list[list[object]]) -> bytes:
    """What Excel's "CSV (delimitado por comas)" writes on a Spanish Windows: `;`, decimal commas, a BOM."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for values in rows:
        writer.writerow([_es(v) for v in values])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def _es(value: object) -> object:
    if isinstance(value, str) and re.fullmatch(r"-?\d+\.\d+", value):
        whole, _, fraction = value.partition(".")
        grouped = f"{int(whole):,}".replace(",", ".") if not whole.startswith("-") else whole
        return f"{grouped},{fraction}"
    return value


def group(session: Session, ref: str) -> ProducerGroup:
    found = session.scalar(select(ProducerGroup).where(ProducerGroup.external_ref == ref))
    assert found is not None, f"{ref} was not imported"
    return found


def test_a_spanish_excel_export_is_read_with_its_delimiter_bom_and_decimal_commas(session: Session) -> None:
    data = spanish_excel_csv([row("GT-1", "Tejedoras de Sololá", latitude="14.7730", longitude="-91.1830")])

    parsed = parse_upload(data, "grupos.csv")
    report = import_groups(session, parsed.records)

    assert report.errors == [] and report.created == 1
    scarves = group(session, "GT-1").capabilities[0]
    assert (scarves.price_min, scarves.price_max) == (Decimal("8.50"), Decimal("1234.50"))
    assert group(session, "GT-1").latitude == pytest.approx(14.773)
    assert any("semicolons" in note for note in parsed.notes) and any("decimal commas" in note for note in parsed.notes)


def test_french_grouping_by_spaces_is_read_when_declared_or_detected(session: Session) -> None:
    text = (
        ",".join(HEADER) + "\n" + ",".join(f'"{v}"' for v in row("FR-1", "Atelier", price_max="1 234,50", price_min="8,5")) + "\n"
    )
    for locale in ("fr", None):
        parsed = parse_upload(text.encode(), "groupes.csv", number_locale=locale)
        capability = parsed.records[0].data["capabilities"][0]
        assert (capability["price_min"], capability["price_max"]) == ("8.5", "1234.50")


def test_a_declared_number_format_reads_thousands_that_detection_would_call_ambiguous(session: Session) -> None:
    text = (
        ",".join(HEADER)
        + "\n"
        + ",".join(f'"{v}"' for v in row("EN-1", "Weavers", weekly_capacity="1,200", price_min="8", price_max="14"))
        + "\n"
    )

    undeclared = import_groups(session, parse_upload(text.encode(), "g.csv").records)
    assert undeclared.problems[0].column == "weekly_capacity"
    assert "could mean 1200 or 1.200" in undeclared.problems[0].reason

    declared = import_groups(session, parse_upload(text.encode(), "g.csv", number_locale="en").records)
    assert declared.errors == [] and group(session, "EN-1").capabilities[0].weekly_capacity == 1200


def test_a_windows_1252_file_is_read_with_a_warning_instead_of_a_codec_error(session: Session) -> None:
    text = ",".join(HEADER) + "\n" + ",".join(str(v) for v in row("CP-1", "Coopérative Tisserands Sololá")) + "\n"

    parsed = parse_upload(text.encode("cp1252"), "export.csv")
    import_groups(session, parsed.records)

    assert group(session, "CP-1").name == "Coopérative Tisserands Sololá"
    assert any("not UTF-8" in note and "Windows-1252" in note for note in parsed.notes)


def test_a_header_with_spaces_and_capitals_and_a_tab_delimiter_is_understood(session: Session) -> None:
    header = "\t".join(c.replace("_", " ").title() for c in HEADER)
    text = header + "\n" + "\t".join(str(v) for v in row("TAB-1", "Tab Weavers")) + "\n"
    report = import_groups(session, parse_upload(text.encode(), "list.tsv").records)
    assert report.errors == [] and group(session, "TAB-1")


def xlsx(rows: list[list[object]], *, formula_cells: dict[str, tuple[str, str]] | None = None) -> bytes:
    """An .xlsx as Excel saves it. openpyxl writes formulas without their computed value, so the
    values a spreadsheet program would have saved (`<v>`) are added to the sheet's XML by hand."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Groups"
    sheet.append(HEADER)
    for values in rows:
        sheet.append(values)
    for cell, (formula, _value) in (formula_cells or {}).items():
        sheet[cell] = formula
    book.create_sheet("Notes").append(["Exported from the federation's register"])
    buffer = io.BytesIO()
    book.save(buffer)
    if not formula_cells:
        return buffer.getvalue()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = content.decode()
                for cell, (_formula, value) in formula_cells.items():
                    xml = re.sub(rf'(<c r="{cell}"[^>]*>\s*<f>[^<]*</f>)(<v\s*/>|<v></v>)?', rf"\1<v>{value}</v>", xml)
                content = xml.encode()
            target.writestr(item, content)
    return out.getvalue()


def test_an_xlsx_workbook_is_imported_with_dates_numbers_and_the_saved_values_of_formulas(session: Session) -> None:
    rows = [
        row(
            "XL-1",
            "Kampala Bark Cloth",
            country="UG",
            price_min=3.25,
            price_max=9,
            weekly_capacity=None,
            capacity_overrides="2026-12-21=0",
        )
    ]
    column = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[HEADER.index("weekly_capacity")]
    data = xlsx(rows, formula_cells={f"{column}2": ("=40*10", "400")})

    parsed = parse_upload(data, "federation.xlsx")
    report = import_groups(session, parsed.records)

    assert report.errors == []
    capability = group(session, "XL-1").capabilities[0]
    assert capability.weekly_capacity == 400  # the formula's saved value, not "=40*10"
    assert (capability.price_min, capability.price_max) == (Decimal("3.25"), Decimal("9.00"))
    assert [(w.week_start, w.units_available) for w in capability.windows] == [(dt.date(2026, 12, 21), 0)]
    assert any("first sheet" in note for note in parsed.notes)


def test_an_xlsx_date_cell_is_read_as_a_date(session: Session) -> None:
    rows = [row("XL-2", "Date Weavers", capacity_overrides=dt.date(2026, 12, 23))]
    parsed = parse_upload(xlsx(rows), "dates.xlsx")
    # Read as the date it is (ISO), not as Excel's serial number or a timestamp.
    assert parsed.records[0].data["capabilities"][0]["capacity"] == [{"week": "2026-12-23", "units": ""}]


def test_bad_records_are_reported_each_with_row_and_column_and_the_good_rows_are_imported(session: Session) -> None:
    data = spanish_excel_csv(
        [
            row("GT-10", "Buenas Tejedoras"),
            row("GT-11", "Precio Raro", price_min="doce"),
            row("GT-12", "Sin País", country="ZZ"),
            row("GT-13", "Muy Caro", price_min="1.4E+31", price_max="1.4E+31"),
            row("GT-14", "Otras Buenas", category="textiles.throws"),
        ]
    )

    report = import_groups(session, parse_upload(data, "grupos.csv").records)

    assert report.created == 2
    assert [(p.where, p.column) for p in report.problems] == [
        ("row 3", "price_min"),
        ("row 4", "country"),
        ("row 5", "price_min"),
    ]
    assert "'doce' is not a number as this file writes them (like 1.234,50)" in report.problems[0].reason
    assert report.problems[2].reason == "price_min is not a plausible unit price"


def test_json_with_a_capability_given_as_text_is_one_bad_record_not_a_traceback(session: Session) -> None:
    document = [
        {"external_ref": "J-1", "name": "Text Caps", "country": "KE", "capabilities": '[{"category": "baskets.storage"}]'},
        {"external_ref": "J-2", "name": "String Cap", "country": "KE", "capabilities": ["baskets.storage"]},
        {
            "external_ref": "J-3",
            "name": "Fine",
            "country": "KE",
            "capabilities": [
                {
                    "category": "baskets.storage",
                    "lead_time_days": 10,
                    "price_min": 1,
                    "price_max": 2,
                    "weekly_capacity": 5,
                    "capacity": "none",
                }
            ],
        },
        {
            "external_ref": "J-4",
            "name": "Good",
            "country": "KE",
            "capabilities": [
                {"category": "baskets.storage", "lead_time_days": 10, "price_min": 1, "price_max": 2, "weekly_capacity": 5}
            ],
        },
    ]

    report = import_groups(session, parse_upload(json.dumps(document).encode(), "groups.json").records)

    assert report.created == 1
    assert [(p.where, p.column) for p in report.problems] == [
        ("group 1", "capabilities"),
        ("group 2", "capabilities"),
        ("group 3", "capacity_overrides"),
    ]


def test_a_file_without_the_required_columns_names_what_it_found() -> None:
    with pytest.raises(RecordError, match="lacks the column.*category.*it has external_ref, name"):
        parse_upload(b"external_ref;name;country\nA;B;KE\n", "short.csv")


def test_every_documented_column_is_known_to_the_reader() -> None:
    assert set(HEADER) <= set(CSV_COLUMNS)


def test_a_capability_title_is_imported_from_its_column_and_from_json(session: Session) -> None:
    data = spanish_excel_csv([row("GT-1", "Tejedoras de Sololá")]).decode("utf-8-sig")
    lines = data.splitlines()
    lines[0] += ";capability_title"
    lines[1] += ";Bufandas de algodón tejidas a mano, 180 cm"
    report = import_groups(session, parse_upload("\r\n".join(lines).encode(), "grupos.csv").records)
    assert report.errors == [] and group(session, "GT-1").capabilities[0].title == "Bufandas de algodón tejidas a mano, 180 cm"

    document = {
        "groups": [
            {
                "external_ref": "KE-1",
                "name": "Machakos Sisal Weavers",
                "country": "KE",
                "capabilities": [
                    {
                        "category": "baskets.storage",
                        "title": "Sisal market baskets, 30 cm",
                        "lead_time_days": 30,
                        "price_min": "8",
                        "price_max": "14",
                        "weekly_capacity": 300,
                    },
                    {
                        "category": "baskets.market",
                        "title": "T" * 121,
                        "lead_time_days": 30,
                        "price_min": "8",
                        "price_max": "14",
                        "weekly_capacity": 300,
                    },
                ],
            }
        ]
    }
    report = import_groups(session, parse_upload(json.dumps(document).encode(), "groups.json").records)
    assert [p.column for p in report.problems] == ["capability_title"]  # too long: the record is reported, not cut
    document["groups"][0]["capabilities"].pop()
    report = import_groups(session, parse_upload(json.dumps(document).encode(), "groups.json").records)
    assert report.errors == [] and group(session, "KE-1").capabilities[0].title == "Sisal market baskets, 30 cm"
