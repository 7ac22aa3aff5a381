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
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.parsers import expat

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SPREADSHEETML = frozenset({
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",  # transitional (what Excel writes)
    "http://purl.oclc.org/ooxml/spreadsheetml/main",  # strict
})

NOT_XLSX = gettext_lazy("不是有效的 .xlsx 文件（缺少工作簿结构）")
NO_SHEET = gettext_lazy("工作簿结构不完整：找不到第一个工作表")
DAMAGED = gettext_lazy("工作表数据已损坏")
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
    # Every row and cell was written plainly (the fast path below read the whole part): no prefix,
    # no CDATA or comment, each <row starting with its r="N" reference. Such a sheet can be cut
    # between rows with byte searches (huigong.core.xlsxstream.iter_rows_chunked).
    plain: bool = field(default=False, compare=False)  # how it was read, not what was measured

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


# ---------------------------------------------------------------- the fast path
#
# Every writer in practice (Excel, WPS, LibreOffice, XlsxWriter, openpyxl) writes <row r="N"> and
# <c r="A1" ...> with no prefix, in the default SpreadsheetML namespace. For such a sheet the extent
# is read with literal-prefix regexes and byte counts, ~10x faster than a parse. Anything else (a
# prefixed row, cell or formula element, a namespace declared past the root, a cell or row whose
# reference is not the first attribute, a DTD, CDATA or a comment) sends the whole sheet to the parser.

_FAST_BLOCK = 4 << 20
# Upper bounds of the cell and row elements in a block (each "<c" that is not another element
# whose name starts with c: cols, color, charset, condense, cfRule, ...): when they equal the number of
# plainly written references, every cell and row has been read.
_NOT_CELL = (b"<co", b"<cf", b"<ch")
_FORMULA = re.compile(rb"<f[\s/>]")
_FAST_COL = re.compile(rb'<c r="([A-Z]{1,7})\d{1,10}"')
_FAST_CELL_ROW = re.compile(rb'<c r="[A-Z]{1,7}(\d{1,10})"')
_FAST_ROW = re.compile(rb'<row r="(\d{1,10})"')
_ROOT = re.compile(rb'<worksheet\s[^<>]*\bxmlns="([^"]+)"')


class Unusual(Exception):
    """The sheet is not plainly written (see the fast path above): the namespace-aware parse decides."""


_Unusual = Unusual
# A prefixed cell, row or formula element, or a namespace declared inside the sheet's data. Searched for
# only when the cheap byte tests (":c", ":f", ":row", "xmlns" anywhere, text included) find something.
_PREFIXED = re.compile(rb"<[A-Za-z_][\w.-]*:(?:c|f|row)[\s/>]")
_XMLNS_IN_TAG = re.compile(rb"<[^<>]*\sxmlns[:=]")


_MAYBE_PREFIXED = re.compile(rb":[cfr]")


def _odd_markup(chunk: bytes) -> bool:
    """A DTD, CDATA, comment, a prefixed cell, row or formula element, or a namespace declaration:
    what the byte-level reading below cannot see through. Text may hold ":c" or "xmlns" (an address
    "邮箱:chen@…"), so those are confirmed in the markup before the sheet is sent to the parser."""
    if b"!" in chunk and b"<!" in chunk:
        return True
    if _MAYBE_PREFIXED.search(chunk) and _PREFIXED.search(chunk):
        return True
    return b"xmlns" in chunk and _XMLNS_IN_TAG.search(chunk) is not None


def _cell_count(chunk: bytes, plain_refs: int) -> int:
    """Upper bound of the cell elements in `chunk`: each "<c" that is not another element whose name
    starts with c (rich text's color, charset, condense...). Those are counted only when needed."""
    n = chunk.count(b"<c")
    if n != plain_refs:
        n -= sum(chunk.count(o) for o in _NOT_CELL)
    return n


@dataclass
class Block:
    """A run of whole rows as python-calamine will place it: how many cell elements, their first and
    last row and last column (1-based); whether a formula element is among them."""

    cells: int = 0
    first_row: int = 0
    last_row: int = 0
    last_column: int = 0
    formula: bool = False

    @property
    def area(self) -> int:
        """What calamine allocates for the block: its rows from the first to the last, columns from A."""
        return (self.last_row - self.first_row + 1) * self.last_column if self.cells else 0


def _range_pattern(lo: int, hi: int) -> str:
    """A regex alternation matching exactly the decimal numbers lo..hi (no leading zeros), 1 <= lo."""
    parts = []
    while lo <= hi:
        step = 1
        while lo % (step * 10) == 0 and lo + step * 10 - 1 <= hi:
            step *= 10
        n = 1
        while (lo + n * step) % (step * 10) and lo + (n + 1) * step - 1 <= hi:
            n += 1
        head, d1 = divmod(lo // step, 10)
        digits = f"[{d1}-{d1 + n - 1}]" if n > 1 else str(d1)
        width = len(str(step)) - 1
        parts.append((str(head) if head else "") + digits + (rf"\d{{{width}}}" if width else ""))
        lo += n * step
    return "|".join(parts)


def _letters_pattern(n: int) -> str | None:
    """A regex matching the column letters A.. up to column n (None above ZZ)."""
    if n <= 26:
        return f"[A-{chr(64 + n)}]"
    if n > 702:
        return None
    first, second = divmod(n - 27, 26)  # the last column is chr(65+first) chr(65+second)
    parts = ["[A-Z]"]
    if first:
        parts.append(f"[A-{chr(64 + first)}][A-Z]")
    parts.append(f"{chr(65 + first)}[A-{chr(65 + second)}]")
    return "|".join(parts)


def _outside(first_row: int, last_row: int, columns: int):
    """A regex finding a cell reference outside rows first_row..last_row or columns A..`columns`."""
    letters = _letters_pattern(columns)
    if letters is None:
        return None
    return re.compile(rb'<c r="(?!(?:%s)(?:%s)")' % (letters.encode(), _range_pattern(first_row, last_row).encode()))


def plain_block(body: bytes, *, columns_hint: int = 0) -> Block:
    """The extent of a run of whole, plainly written <row> elements (the inside of <sheetData>), read
    with byte searches: every cell and row element unprefixed with its reference as first attribute.
    Raises Unusual for anything else.

    The block's rows are bounded by its row elements' numbers and its columns by `columns_hint` (the
    widest seen so far): one regex search proves that no cell lies outside (the result is then that
    bound, never less than the truth); only when one does, or with no hint, every cell reference is
    read (two findall passes)."""
    if _odd_markup(body):
        raise Unusual
    n_refs = body.count(b'<c r="')
    if _cell_count(body, n_refs) != n_refs:
        raise Unusual
    row_refs = _FAST_ROW.findall(body)
    if body.count(b"<row") != len(row_refs):
        raise Unusual
    block = Block(cells=n_refs)
    block.formula = _FORMULA.search(body) is not None
    if not n_refs:
        return block
    if row_refs and columns_hint:
        first, last = min(map(int, row_refs)), max(map(int, row_refs))
        outside = _outside(first, last, columns_hint)
        if outside is not None and outside.search(body) is None:
            block.first_row, block.last_row, block.last_column = first, last, columns_hint
            return block
    letters = _FAST_COL.findall(body)
    if len(letters) != n_refs:
        raise Unusual
    rows = set(map(int, set(_FAST_CELL_ROW.findall(body)) | set(row_refs)))
    block.first_row, block.last_row = min(rows), max(rows)
    widest = max(set(letters), key=lambda x: (len(x), x))
    block.last_column = col_number(widest)
    return block


def plain_head(head: bytes) -> None:
    """The part of a worksheet before <sheetData>: its root in the SpreadsheetML namespace as the
    default one and nothing odd (see _odd_markup) after it. Raises Unusual otherwise."""
    root = _ROOT.search(head)
    if not root or root.group(1).decode() not in SPREADSHEETML:
        raise Unusual
    after_root = head.find(b">", root.end())
    if after_root < 0 or _odd_markup(head[after_root:]):
        raise Unusual


def _fast_extent(fh: BinaryIO, stop_rows: int | None, stop_columns: int | None) -> Extent:
    ext = Extent()
    widest = b""
    tail = b""
    first = True
    while True:
        block = fh.read(_FAST_BLOCK)
        buf = tail + block
        if block:
            cut = buf.rfind(b"<")
            if cut <= 0:
                if len(buf) > _FAST_BLOCK:
                    raise _Unusual
                tail = buf
                continue
            chunk, tail = buf[:cut], buf[cut:]
        else:
            chunk, tail = buf, b""
        if first:
            root = _ROOT.search(chunk)
            if not root or root.group(1).decode() not in SPREADSHEETML:
                raise _Unusual
            after_root = chunk.find(b">", root.end())
            if after_root < 0 or _odd_markup(chunk[after_root:]):
                raise _Unusual
            first = False
        elif _odd_markup(chunk):
            raise _Unusual  # a DTD, CDATA, comment, a prefixed cell, row or formula, a namespace
        letters = _FAST_COL.findall(chunk)
        n_cells = _cell_count(chunk, len(letters))
        row_refs = _FAST_ROW.findall(chunk)
        n_rows = chunk.count(b"<row") - chunk.count(b"<rowB")
        if n_cells != len(letters) or n_rows != len(row_refs):
            raise _Unusual
        if not ext.formula and _FORMULA.search(chunk):
            ext.formula = True
        ext.cells += n_cells
        if letters:
            # sets first: a block has a few distinct columns and rows, but many cells
            w = max(set(letters), key=lambda x: (len(x), x))
            if (len(w), w) > (len(widest), widest):
                widest = w
            ext.rows = max(ext.rows, max(map(int, set(_FAST_CELL_ROW.findall(chunk)))))
        if row_refs:
            ext.rows = max(ext.rows, max(map(int, row_refs)))
        ext.columns = col_number(widest)
        if (stop_rows is not None and ext.rows > stop_rows) or \
                (stop_columns is not None and ext.columns > stop_columns):
            return ext
        if not block:
            ext.plain = True
            return ext


def measure(open_part, *, stop_rows: int | None = None, stop_columns: int | None = None) -> Extent:
    """The extent (and formula flag) of the sheet that `open_part()` streams: the fast path for a
    plainly written sheet, the namespace-aware parse for anything else."""
    try:
        with open_part() as fh:
            return _fast_extent(fh, stop_rows, stop_columns)
    except _Unusual:
        pass
    with open_part() as fh:
        return sheet_extent(fh, stop_rows=stop_rows, stop_columns=stop_columns)


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
        raise XlsxError(_("工作簿中没有工作表"))
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
        return info, measure(lambda: zf.open(info), **stops)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        raise XlsxError(DAMAGED) from None


# --- writing -----------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """Text safe to open in Excel/WPS: a leading =, +, -, @ (or tab/CR) gets an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
