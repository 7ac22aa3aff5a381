"""Looking inside an uploaded .xlsx before anything loads it.

python-calamine materialises a sheet as a dense range from its first to its last used cell, so its
memory is (rows x columns of the used extent) x ~32 bytes whatever the file size: a 2 KB file with a
cell at A1 and another at BH1048576 costs ~2 GB. The `<dimension>` element is only a claim, so the
extent is measured from the cell references themselves by streaming the sheet part out of the zip
(`sheet_extent`), in bounded memory, and the caller refuses or defers the file before calamine sees it.

Formula cells are found by a real XML parse with namespaces (`has_formula`): an `<f>` element is a
formula whatever prefix the file binds to the SpreadsheetML namespace. Documents with a DTD are
refused outright (no entity tricks).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO
from xml.parsers import expat

SPREADSHEETML = frozenset({
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",  # transitional (what Excel writes)
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # strict
})

NOT_XLSX = "不是有效的 .xlsx 文件（缺少工作簿结构） / not a valid .xlsx workbook"
NO_SHEET = "工作簿结构不完整：找不到第一个工作表 / the workbook has no readable first sheet"
DAMAGED = "工作表数据已损坏 / the sheet data is damaged"
HAS_DTD = "工作表中含有文档类型声明（DTD），已拒绝"


class XlsxError(Exception):
    """The workbook is refused; the message is shown to staff as is."""


_REF = re.compile(r"\s*([A-Za-z]+)\s*(\d+)\s*$")


def col_number(letters: bytes | str) -> int:
    if isinstance(letters, str):
        letters = letters.encode()
    n = 0
    for c in letters.upper():
        n = n * 26 + (c - 64)
    return n


@dataclass
class Extent:
    """The used part of a sheet as a reader will allocate it: last row and last column (1-based,
    counted from A1) and how many cell elements there are. Past a stop bound the scan ends early
    and the numbers are only known to be above it."""

    rows: int = 0
    columns: int = 0
    cells: int = 0
    formula: bool = False  # a formula element was seen (only meaningful when the scan ran to the end)

    @property
    def area(self) -> int:
        return self.rows * self.columns


def sheet_extent(fh: BinaryIO, *, stop_rows: int | None = None, stop_columns: int | None = None) -> Extent:
    """Parses a worksheet part as a stream (expat, one pass, bounded memory) and measures its real
    extent from every <row r> and <c r> as a reader places them: by local name, whatever the
    namespace; a row or cell without a reference follows the previous one. Also notes formula
    elements (Extent.formula). Stops early past a bound. Raises XlsxError for a DTD or bad XML."""
    ext = Extent()
    formulas = {f"{ns}\x01f" for ns in SPREADSHEETML}
    state = [0, 0]  # current row, current column

    def start(name, attrs):
        local = name[name.rfind("\x01") + 1:]
        if local == "c":
            ext.cells += 1
            ref = attrs.get("r")
            m = _REF.match(ref) if ref else None
            if m:
                col, row = col_number(m.group(1)), int(m.group(2))
            else:
                col, row = state[1] + 1, state[0]
            state[1] = col
            if col > ext.columns:  # noqa: PLR1730 - once per cell: cheaper than max()
                ext.columns = col
            if row > ext.rows:  # noqa: PLR1730
                ext.rows = row
        elif local == "row":
            ref = attrs.get("r")
            state[0] = int(ref) if ref and ref.strip().isdigit() else state[0] + 1
            state[1] = 0
            if state[0] > ext.rows:  # noqa: PLR1730
                ext.rows = state[0]
            if (stop_rows is not None and ext.rows > stop_rows) or \
                    (stop_columns is not None and ext.columns > stop_columns):
                raise _Stop
        elif name in formulas:
            ext.formula = True

    parser = expat.ParserCreate(namespace_separator="\x01")
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = _dtd
    parser.EntityDeclHandler = _dtd
    try:
        parser.ParseFile(fh)
    except _Stop:
        pass
    except expat.ExpatError:
        raise XlsxError(DAMAGED) from None
    return ext


class _Stop(Exception):
    pass


def _dtd(*_args) -> None:
    raise XlsxError(HAS_DTD)


def has_formula(fh: BinaryIO) -> bool:
    """True when the sheet has a formula element, by namespace URI (not by prefix)."""
    return sheet_extent(fh).formula


# ---------------------------------------------------------------- the first sheet's part name

_SHEET_RE = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\b(?:r|\w+):id=\"([^\"]+)\"", re.DOTALL)


def small_member(zf: zipfile.ZipFile, name: str, limit: int = 2 * 1024 * 1024, *, too_big: str = DAMAGED) -> bytes:
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise XlsxError(NOT_XLSX) from None
    if info.file_size > limit:
        raise XlsxError(too_big)
    try:
        return zf.read(name)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        raise XlsxError(DAMAGED) from None


def first_sheet_member(zf: zipfile.ZipFile, *, too_big: str = DAMAGED) -> zipfile.ZipInfo:
    """The zip entry of the workbook's first sheet (what calamine's get_sheet_by_index(0) reads)."""
    workbook = small_member(zf, "xl/workbook.xml", too_big=too_big)
    m = _SHEET_RE.search(workbook)
    if not m:
        raise XlsxError("工作簿中没有工作表 / the workbook has no sheet")
    rid = m.group(1)
    rels = small_member(zf, "xl/_rels/workbook.xml.rels", too_big=too_big)
    for tag in re.finditer(rb"<(?:\w+:)?Relationship\b[^>]*>", rels):
        if re.search(rb"\bId=\"" + re.escape(rid) + rb"\"", tag.group(0)):
            target = re.search(rb"\bTarget=\"([^\"]+)\"", tag.group(0))
            if target:
                t = target.group(1).decode("utf-8", "replace")
                name = t.lstrip("/") if t.startswith("/") else "xl/" + t
                try:
                    return zf.getinfo(name)
                except KeyError:
                    break
    raise XlsxError(NO_SHEET)


def measure_first_sheet(zf: zipfile.ZipFile, **stops) -> tuple[zipfile.ZipInfo, Extent]:
    info = first_sheet_member(zf)
    try:
        with zf.open(info) as fh:
            return info, sheet_extent(fh, **stops)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        raise XlsxError(DAMAGED) from None
