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
_BLOCK = 4 << 20
_MAX_TAG = 1 << 20  # a single start tag longer than this is not a spreadsheet

NOT_XLSX = "不是有效的 .xlsx 文件（缺少工作簿结构） / not a valid .xlsx workbook"
NO_SHEET = "工作簿结构不完整：找不到第一个工作表 / the workbook has no readable first sheet"
DAMAGED = "工作表数据已损坏 / the sheet data is damaged"
HAS_DTD = "工作表中含有文档类型声明（DTD），已拒绝"


class XlsxError(Exception):
    """The workbook is refused; the message is shown to staff as is."""


# A start tag of a row or cell, any namespace prefix; '<' never occurs inside a tag (not even in an
# attribute value), so [^<]* spans exactly the tag. Over-matching (e.g. a prefixed x:r attribute)
# can only make the extent larger, i.e. refuse more, never less.
_P = rb"<(?:[A-Za-z_][\w.\-]*:)?"
_CELL_TAG = re.compile(_P + rb"c(?=[\s/>])")
_CELL_REF = re.compile(_P + rb"c[\s/>][^<]*?\br\s*=\s*[\"']\s*([A-Za-z]+)\s*(\d+)")
_ROW_TAG = re.compile(_P + rb"row(?=[\s/>])")
_ROW_REF = re.compile(_P + rb"row[\s/>][^<]*?\br\s*=\s*[\"']\s*(\d+)")


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

    @property
    def area(self) -> int:
        return self.rows * self.columns


def sheet_extent(fh: BinaryIO, *, stop_rows: int | None = None, stop_columns: int | None = None) -> Extent:
    """Streams a worksheet part and measures its real extent from every `<row r>` and `<c r>`
    (rows and cells without a reference are counted by position, as readers place them).
    Memory is one block; time is one pass of C regexes over the decompressed XML."""
    ext = Extent()
    max_ref_row = 0
    rows_without_ref = 0
    max_col_ref = b""
    tail = b""
    while True:
        block = fh.read(_BLOCK)
        buf = tail + block
        if block:
            cut = buf.rfind(b"<")
            if cut <= 0:
                if len(buf) > _MAX_TAG:
                    raise XlsxError(DAMAGED)
                tail = buf
                continue
            chunk, tail = buf[:cut], buf[cut:]
            if len(tail) > _MAX_TAG:
                raise XlsxError(DAMAGED)
        else:
            chunk, tail = buf, b""
        if chunk:
            refs = _CELL_REF.findall(chunk)
            n_cells = len(_CELL_TAG.findall(chunk))
            ext.cells += n_cells
            if refs:
                letters, digits = zip(*refs)
                widest = max(set(letters), key=lambda s: (len(s), s.upper()))
                if (len(widest), widest.upper()) > (len(max_col_ref), max_col_ref.upper()):
                    max_col_ref = widest
                max_ref_row = max(max_ref_row, max(map(int, digits)))
            if n_cells > len(refs):
                # Some cells carry no reference: a reader places them after the previous cell of
                # their row, so the row's cell count bounds their column.
                widest_row = max(len(_CELL_TAG.findall(part)) for part in _ROW_TAG.split(chunk))
                ext.columns = max(ext.columns, widest_row)
            row_refs = _ROW_REF.findall(chunk)
            max_ref_row = max(max_ref_row, max(map(int, row_refs), default=0))
            rows_without_ref += len(_ROW_TAG.findall(chunk)) - len(row_refs)
            ext.columns = max(ext.columns, col_number(max_col_ref))
            ext.rows = max_ref_row + rows_without_ref
            if (stop_rows is not None and ext.rows > stop_rows) or \
                    (stop_columns is not None and ext.columns > stop_columns):
                return ext
        if not block:
            return ext


def _dtd(*_args) -> None:
    raise XlsxError(HAS_DTD)


class _Found(Exception):
    pass


def has_formula(fh: BinaryIO) -> bool:
    """True when the sheet has a formula element, by namespace URI (not by prefix). Raises
    XlsxError for a document with a DTD or that is not well-formed XML."""
    parser = expat.ParserCreate(namespace_separator="\x01")
    formulas = {f"{ns}\x01f" for ns in SPREADSHEETML}

    def start(name, _attrs):
        if name in formulas:
            raise _Found

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = _dtd
    parser.EntityDeclHandler = _dtd
    try:
        parser.ParseFile(fh)
    except _Found:
        return True
    except expat.ExpatError:
        raise XlsxError(DAMAGED) from None
    return False


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
