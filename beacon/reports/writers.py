"""Writing dataset rows as CSV, XLSX or Parquet in constant memory.

CSV is produced as a stream of byte chunks (one per chunk of rows). XLSX and Parquet are
container formats that need their end written last, so they go to a temporary file that is
then streamed: XlsxWriter in `constant_memory` mode flushes each row as it is written, and
Parquet is written one row group per chunk of rows.

Spreadsheet formula injection (OWASP "CSV injection"): a text cell that starts with `=`,
`+`, `-`, `@`, a tab or a carriage return would be run as a formula by Excel or LibreOffice,
so CSV and XLSX cells starting so are prefixed with an apostrophe, which makes them text.
Parquet is typed data for warehouses, not a spreadsheet, and keeps the text as it is.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

from beacon.reports.datasets import CHUNK, Column, Dataset, Row, chunked

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
# Excel's limit per cell; longer text is cut rather than refused.
XLSX_MAX_CELL = 32767


def neutralise(value: Any) -> Any:
    """A spreadsheet cell that cannot run: text starting like a formula is made text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(value)


def csv_chunks(dataset: Dataset, rows: Iterable[Row]) -> Iterator[bytes]:
    """The header, then one encoded chunk per CHUNK rows; a UTF-8 BOM so Excel reads accents."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(dataset.header)
    yield b"\xef\xbb\xbf" + buffer.getvalue().encode()
    for chunk in chunked(rows, CHUNK):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_csv_cell(v) for v in row] for row in chunk)
        yield buffer.getvalue().encode()


def write_xlsx(dataset: Dataset, rows: Iterable[Row], path: Path) -> None:
    # constant_memory: each row is flushed to a temporary file once the next row starts.
    # strings_to_*: False so text is never turned into a formula, number or link.
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "remove_timezone": True,
        },
    )
    sheet = workbook.add_worksheet(dataset.label[:31])
    bold = workbook.add_format({"bold": True})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for col, name in enumerate(dataset.header):
        sheet.write_string(0, col, name, bold)
    kinds = [c.kind for c in dataset.columns]
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None or value == "":
                continue
            if kinds[col] == "datetime":
                sheet.write_datetime(r, col, value.astimezone(dt.UTC).replace(tzinfo=None), when)
            elif kinds[col] in ("int", "float"):
                sheet.write_number(r, col, value)
            elif kinds[col] == "bool":
                sheet.write_boolean(r, col, bool(value))
            else:
                sheet.write_string(r, col, neutralise(str(value))[:XLSX_MAX_CELL])
    workbook.close()


_ARROW = {
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "str": pa.string(),
    "datetime": pa.timestamp("us", tz="UTC"),
}


def arrow_schema(columns: Iterable[Column]) -> pa.Schema:
    return pa.schema([pa.field(c.name, _ARROW[c.kind]) for c in columns])


def write_parquet(dataset: Dataset, rows: Iterable[Row], path: Path) -> None:
    """One row group per chunk of rows; the schema is fixed even when no row comes."""
    schema = arrow_schema(dataset.columns)
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        wrote = False
        for chunk in chunked(rows, CHUNK * 5):
            columns = list(zip(*chunk, strict=True))
            writer.write_batch(pa.record_batch(columns, schema=schema))
            wrote = True
        if not wrote:
            writer.write_table(schema.empty_table())


def write_file(dataset: Dataset, rows: Iterable[Row], fmt: str, path: Path) -> None:
    if fmt == "csv":
        with path.open("wb") as out:
            for part in csv_chunks(dataset, rows):
                out.write(part)
    elif fmt == "xlsx":
        write_xlsx(dataset, rows, path)
    elif fmt == "parquet":
        write_parquet(dataset, rows, path)
    else:
        raise ValueError(f"unknown format {fmt!r}")
