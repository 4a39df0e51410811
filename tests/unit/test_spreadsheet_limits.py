"""An .xlsx is a zip: a few kilobytes can unpack to gigabytes of XML or claim 16,384 columns × 1,048,576 rows.
Loom reads the cells a sheet really holds, within limits, and refuses a workbook past them in words."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from marketplace.producers import spreadsheets
from marketplace.producers.spreadsheets import SpreadsheetError, read_xlsx_table

ROW = b'<row><c t="inlineStr"><is><t>KE-{n}</t></is></c><c t="inlineStr"><is><t>Weavers {n}</t></is></c></row>'


def workbook(rows: int, *, dimension: str | None = None, padding: int = 0) -> bytes:
    """A workbook whose first sheet holds a header and `rows` rows, optionally claiming another size or padded with
    `padding` bytes of whitespace inside its XML (which compresses to almost nothing)."""
    book = Workbook()
    book.active.append(["external_ref", "name"])
    buffer = io.BytesIO()
    book.save(buffer)
    source, out = zipfile.ZipFile(io.BytesIO(buffer.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                head, _, tail = content.partition(b"</sheetData>")
                if dimension:
                    head = head.replace(b'<dimension ref="A1:B1"/>', f'<dimension ref="{dimension}"/>'.encode())
                body = b"".join(ROW.replace(b"{n}", str(n).encode()) for n in range(rows))
                content = head + body + b" " * padding + b"</sheetData>" + tail
            target.writestr(item, content)
    return out.getvalue()


def test_a_sheet_claiming_every_column_is_read_as_the_cells_it_holds() -> None:
    data = workbook(40, dimension="A1:XFD1048576")  # 40 rows padded to 16,384 columns would be 655,360 cells
    assert len(data) < 20_000
    table = read_xlsx_table(data)
    assert table.header == ["external_ref", "name"]
    assert [cells for _number, cells in table.rows][-1] == {"external_ref": "KE-39", "name": "Weavers 39"}
    assert len(table.rows) == 40


def test_a_sheet_claiming_fewer_rows_than_it_holds_is_read_whole() -> None:
    assert len(read_xlsx_table(workbook(30, dimension="A1:B1")).rows) == 30


def test_a_workbook_that_unpacks_past_the_limit_is_refused_before_it_is_read() -> None:
    data = workbook(1, padding=spreadsheets.MAX_XLSX_UNPACKED + 1)
    assert len(data) < spreadsheets.MAX_XLSX_UNPACKED // 100
    with pytest.raises(SpreadsheetError, match="unpacks to more than 64 MB"):
        read_xlsx_table(data)


def test_a_sheet_past_the_cell_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spreadsheets, "MAX_XLSX_CELLS", 100)
    assert len(read_xlsx_table(workbook(49)).rows) == 49  # 2 + 49 × 2 = 100 cells
    with pytest.raises(SpreadsheetError, match="more than 100 cells"):
        read_xlsx_table(workbook(50))


def test_a_file_that_is_not_a_zip_is_refused_in_words() -> None:
    with pytest.raises(SpreadsheetError, match="not an .xlsx workbook"):
        read_xlsx_table(b"PK\x03\x04 not really a zip")
