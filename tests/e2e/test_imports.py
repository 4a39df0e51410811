"""An operator imports a federation's spreadsheets from a phone with JavaScript off: a real .xlsx and a
Spanish Excel CSV, each previewed with its rejected row, confirmed, watched to the end on the page that
reloads itself, and the imported groups are then found in search."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import Workbook
from playwright.sync_api import Browser, Page, expect

from marketplace.bootstrap import worker_for
from marketplace.demo import DEMO_PASSWORD
from marketplace.outbox import topics
from marketplace.outbox.worker import Worker

PHONE = {"width": 390, "height": 844}
HEADER = [
    "external_ref",
    "name",
    "country",
    "city",
    "artisan_count",
    "languages",
    "category",
    "capability_title",
    "materials",
    "moq",
    "lead_time_days",
    "price_min",
    "price_max",
    "currency",
    "weekly_capacity",
]


def workbook(rows: list[list[object]]) -> bytes:
    """A real Excel workbook (openpyxl writes what Excel reads): numbers as numbers, not text."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def spanish_excel_csv(rows: list[list[object]]) -> bytes:
    """What Excel's "CSV (delimitado por comas)" writes on a Spanish Windows: `;`, decimal commas, a BOM."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(row)
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


@pytest.fixture
def import_worker(live_app: Flask) -> Iterator[threading.Event]:
    """A worker for imports and search updates only, started by the test when it has seen the job queued."""
    stop = threading.Event()
    worker: Worker = worker_for(live_app)
    worker.topics = frozenset({topics.IMPORT_GROUPS, topics.INDEX_GROUP})
    started = threading.Event()

    def run() -> None:
        started.wait()
        if not stop.is_set():
            worker.run_forever(poll_seconds=0.2, stop=stop)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield started
    stop.set()
    started.set()
    thread.join(timeout=30)


def upload(page: Page, live_url: str, path: Path) -> None:
    page.goto(f"{live_url}/operator/imports")
    page.get_by_label("Spreadsheet").set_input_files(str(path))
    page.get_by_role("button", name="Read the file and preview").click()


def found_in_search(page: Page, live_url: str, query: str, name: str) -> None:
    """Search until the group is there: the worker indexes it just after the import commits."""
    for _ in range(60):
        page.goto(f"{live_url}/search?q={query}")
        if page.get_by_role("link", name=name).count():
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"{name} was not found by {query!r}")


def test_an_operator_imports_an_xlsx_and_a_spanish_csv_from_a_phone_and_finds_the_groups(
    browser: Browser, live_url: str, tmp_path: Path, import_worker: threading.Event
) -> None:
    xlsx = tmp_path / "federation.xlsx"
    xlsx.write_bytes(
        workbook(
            [
                [
                    "IN-SIT-1",
                    "Sitapur Handloom Weavers",
                    "IN",
                    "Sitapur",
                    85,
                    "Hindi",
                    "textiles.throws",
                    "Handloom cotton throws, 130 × 170 cm",
                    "cotton",
                    40,
                    35,
                    11.5,
                    19.0,
                    "USD",
                    250,
                ],
                [
                    "SN-KAO-1",
                    "Kaolack Raffia Weavers",
                    "SN",
                    "Kaolack",
                    60,
                    "Wolof;French",
                    "baskets.storage",
                    "Raffia storage baskets, set of three",
                    "raffia",
                    30,
                    40,
                    7.25,
                    12.0,
                    "USD",
                    180,
                ],
                [
                    "SN-KAO-2",
                    "Kaolack Rope Makers",
                    "SN",
                    "Kaolack",
                    12,
                    "Wolof",
                    "baskets.nonsense",
                    "",
                    "rope",
                    10,
                    20,
                    3,
                    5,
                    "USD",
                    50,
                ],
            ]
        )
    )
    spanish = tmp_path / "grupos.csv"
    spanish.write_bytes(
        spanish_excel_csv(
            [
                [
                    "GT-NAH-1",
                    "Tejedoras de Nahualá",
                    "GT",
                    "Nahualá",
                    48,
                    "K'iche';Español",
                    "textiles.scarves",
                    "Bufandas de algodón tejidas en telar de cintura",
                    "algodón",
                    50,
                    30,
                    "8,50",
                    "1.234,50",
                    "USD",
                    120,
                ],
                [
                    "PE-CHU-1",
                    "Ceramistas de Chulucanas",
                    "PE",
                    "Chulucanas",
                    25,
                    "Español",
                    "home.ceramics",
                    "Jarrones de cerámica negra",
                    "arcilla",
                    20,
                    45,
                    "20,00",
                    "10,00",
                    "USD",
                    90,
                ],
            ]
        )
    )

    context = browser.new_context(viewport=PHONE, java_script_enabled=False, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_url}/login")
    page.get_by_label("E-mail").fill("operator@demo.loom")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # The workbook: a preview with the row to fix, then the import, watched on the self-reloading page.
    upload(page, live_url, xlsx)
    expect(page.get_by_text("2 of 3 groups", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="Sitapur Handloom Weavers")).to_be_visible()
    expect(page.get_by_text("Handloom cotton throws, 130 × 170 cm", exact=True)).to_be_visible()  # its capability's own title
    rejected = page.get_by_role("row").filter(has_text="baskets.nonsense")
    expect(rejected).to_contain_text("category")
    page.get_by_role("button", name="Import 2 groups").click()
    expect(page.get_by_text("Importing: 0 of 3 groups processed.")).to_be_visible()
    import_worker.set()  # the worker starts; the page reloads itself (a meta refresh, no script) until it is done
    expect(page.get_by_text("2 created, 0 updated, 0 unchanged, 1 rejected.")).to_be_visible(timeout=60_000)

    # The Spanish Excel CSV: semicolons, decimal commas and a BOM, read as they are; one row's prices are the wrong way round.
    upload(page, live_url, spanish)
    expect(page.get_by_text("1 of 2 groups", exact=True)).to_be_visible()
    expect(page.get_by_text("semicolons", exact=False).first).to_be_visible()
    expect(page.get_by_text("decimal commas", exact=False).first).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="price_min is above price_max")).to_be_visible()
    expect(page.get_by_role("cell", name="Tejedoras de Nahualá")).to_be_visible()
    page.get_by_role("button", name="Import 1 groups").click()
    expect(page.get_by_text("1 created, 0 updated, 0 unchanged, 1 rejected.")).to_be_visible(timeout=60_000)

    # The imported groups are found, by their own capability titles too, and "why it matched" names them.
    found_in_search(page, live_url, "handloom+throws", "Sitapur Handloom Weavers")
    expect(page.get_by_text("Handloom cotton throws, 130 × 170 cm", exact=True)).to_be_visible()  # why it matched
    found_in_search(page, live_url, "raffia", "Kaolack Raffia Weavers")
    found_in_search(page, live_url, "telar+de+cintura", "Tejedoras de Nahualá")
    page.goto(f"{live_url}/search?q=chulucanas")
    expect(page.get_by_role("link", name="Ceramistas de Chulucanas")).to_have_count(0)  # its row was rejected
    context.close()
