"""Reading an .xlsx sheet row by row in bounded memory.

python-calamine builds the whole used range of a sheet in memory (~2 GB for a dense 1,000,000-row
roster). For big sheets `iter_rows` reads the worksheet part as a stream out of the zip with expat
and yields the same rows calamine's `iter_rows()` gives: absolute rows from row 1, each padded to the
width of the used range (from its first to its last column holding a value), missing cells as "",
numbers as float, booleans as bool, shared, inline (rich text too) and formula-result strings as str,
error cells as "" (as python-calamine gives them), and numbers with a date or time format as datetime.date / datetime /
time / timedelta, as calamine converts them.

Memory: the shared strings are one joined str plus an array of offsets; the parse holds a block of
the part and the rows decoded from it. Elements are matched by namespace URI (transitional or strict
SpreadsheetML), whatever their prefix; a document with a DTD is refused (as in xlsxsafe).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from xml.parsers import expat

from huigong.core.xlsxsafe import DAMAGED, SPREADSHEETML, XlsxError, _dtd, col_number

_BLOCK = 1 << 20
_SEP = "\x01"
_REF = re.compile(r"\s*([A-Za-z]{1,3})\s*(\d+)\s*$")


def _names(local: str) -> frozenset[str]:
    return frozenset(f"{ns}{_SEP}{local}" for ns in SPREADSHEETML)


_ROW, _C, _V, _IS, _T, _RPH, _SI = (_names(x) for x in ("row", "c", "v", "is", "t", "rPh", "si"))
_NUMFMT, _XF, _CELLXFS, _WORKBOOKPR = (_names(x) for x in ("numFmt", "xf", "cellXfs", "workbookPr"))


def _parser() -> expat.XMLParserType:
    p = expat.ParserCreate(namespace_separator=_SEP)
    p.StartDoctypeDeclHandler = _dtd
    p.EntityDeclHandler = _dtd
    p.buffer_text = True
    return p


def _parse(parser, fh) -> Iterator[None]:
    """Feeds the part to the parser a block at a time, yielding after each block."""
    try:
        while block := fh.read(_BLOCK):
            parser.Parse(block, False)
            yield
        parser.Parse(b"", True)
        yield
    except expat.ExpatError:
        raise XlsxError(DAMAGED) from None
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        raise XlsxError(DAMAGED) from None


# ---------------------------------------------------------------- shared strings


class SharedStrings:
    """Millions of strings kept as one str and an array of offsets (a list of str objects costs
    ~60 bytes of overhead per string)."""

    def __init__(self, text: str = "", offsets: array | None = None):
        self.text = text
        self.offsets = offsets if offsets is not None else array("Q", [0])

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        if i < 0:
            raise IndexError(i)
        return self.text[self.offsets[i]:self.offsets[i + 1]]


def load_shared_strings(zf: zipfile.ZipFile) -> SharedStrings:
    name = _part(zf, "sharedStrings")
    if name is None:
        return SharedStrings()
    out = io.StringIO()
    offsets = array("Q", [0])
    pos = [0]
    depth = {"t": False, "rph": 0}
    parts: list[str] = []

    def start(name, attrs):
        if name in _T and not depth["rph"]:
            depth["t"] = True
        elif name in _RPH:
            depth["rph"] += 1
        elif name in _SI:
            parts.clear()

    def end(name):
        if name in _T:
            depth["t"] = False
        elif name in _RPH:
            depth["rph"] -= 1
        elif name in _SI:
            s = "".join(parts)
            out.write(s)
            pos[0] += len(s)
            offsets.append(pos[0])

    def text(data):
        if depth["t"]:
            parts.append(data)

    p = _parser()
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, text
    with zf.open(name) as fh:
        for _ in _parse(p, fh):
            pass
    return SharedStrings(out.getvalue(), offsets)


def _part(zf: zipfile.ZipFile, stem: str) -> str | None:
    """The workbook part `xl/<stem>.xml` (or any case), None when absent."""
    want = f"xl/{stem}.xml".lower()
    for n in zf.namelist():
        if n.lower() == want:
            return n
    return None


# ---------------------------------------------------------------- styles: which cells are dates

# calamine's built-in date/time formats (ECMA-376 18.8.30 plus the CJK ids)
_BUILTIN_DATES = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59))
_BUILTIN_DURATIONS = {46}
DATE, DURATION = 1, 2


def _format_kind(code: str) -> int:
    """What calamine makes of a custom number format: a date/time (any d, m, y, h or s outside
    quotes, escapes and brackets), a duration ([h], [mm], [ss] in brackets), or a number (0)."""
    kind = 0
    escaped = in_quote = False
    bracket: list[str] | None = None
    for ch in code:
        if escaped:
            escaped = False
        elif in_quote:
            in_quote = ch != '"'
        elif bracket is not None:
            if ch == "]":
                inner = "".join(bracket).lower()
                if inner and set(inner) <= {"h"} or set(inner) <= {"m"} and inner or set(inner) <= {"s"} and inner:
                    return DURATION
                bracket = None
            else:
                bracket.append(ch)
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            in_quote = True
        elif ch == "[":
            bracket = []
        elif ch == ";":
            break
        elif ch in "dmyhsDMYHS":
            kind = DATE
    return kind


def load_date_styles(zf: zipfile.ZipFile) -> list[int]:
    """For each cell style index (the s attribute of a cell), DATE, DURATION or 0."""
    name = _part(zf, "styles")
    if name is None:
        return []
    custom: dict[int, int] = {}
    ids: list[int] = []
    state = {"xfs": False}

    def start(name, attrs):
        if name in _NUMFMT:
            try:
                custom[int(attrs.get("numFmtId", ""))] = _format_kind(attrs.get("formatCode", ""))
            except ValueError:
                pass
        elif name in _CELLXFS:
            state["xfs"] = True
        elif name in _XF and state["xfs"]:
            try:
                ids.append(int(attrs.get("numFmtId", "0")))
            except ValueError:
                ids.append(0)

    def end(name):
        if name in _CELLXFS:
            state["xfs"] = False

    p = _parser()
    p.StartElementHandler, p.EndElementHandler = start, end
    with zf.open(name) as fh:
        for _ in _parse(p, fh):
            pass
    out = []
    for i in ids:
        if i in custom:
            out.append(custom[i])
        elif i in _BUILTIN_DURATIONS:
            out.append(DURATION)
        elif i in _BUILTIN_DATES:
            out.append(DATE)
        else:
            out.append(0)
    return out


def is_1904(zf: zipfile.ZipFile) -> bool:
    name = _part(zf, "workbook")
    if name is None:
        return False
    found = [False]

    def start(name, attrs):
        if name in _WORKBOOKPR and attrs.get("date1904", "").strip().lower() in ("1", "true"):
            found[0] = True

    p = _parser()
    p.StartElementHandler = start
    with zf.open(name) as fh:
        for _ in _parse(p, fh):
            pass
    return found[0]


_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)


def serial_to_python(value: float, kind: int, date1904: bool):
    """As calamine: a duration is a timedelta; a date-time below 1 is a time of day, a whole number a
    date, anything else a datetime (1900 system: serials before 60 are one day later, as Excel's
    fictional 1900-02-29 is skipped). Out of range, the number stays a float."""
    ms = round(value * 86_400_000)
    try:
        if kind == DURATION:
            return dt.timedelta(milliseconds=ms)
        if date1904:
            when = _EPOCH_1904 + dt.timedelta(milliseconds=ms)
        else:
            when = _EPOCH_1900 + dt.timedelta(milliseconds=ms if value >= 60 else ms + 86_400_000)
    except OverflowError:
        return value
    if value < 1 and not date1904:
        return when.time()
    if ms % 86_400_000 == 0:
        return when.date()
    return when


# ---------------------------------------------------------------- the rows


@dataclass
class Bounds:
    """Calamine's range: the first and last column (1-based) and the last row of the cells that hold a
    value. Zero when the sheet has no value."""

    first_column: int = 0
    last_column: int = 0
    last_row: int = 0

    @property
    def width(self) -> int:
        return self.last_column - self.first_column + 1 if self.last_column else 0


class _Cells:
    """The expat handlers shared by both passes: they find each cell's row, column, type, style and
    text; `emit(row, col, t, s, text)` receives each cell that holds a value."""

    def __init__(self, emit, end_row=None):
        self.emit = emit
        self.end_row = end_row
        self.row = 0
        self.col = 0
        self.t = self.s = None
        self.parts: list[str] | None = None  # text of the current cell's value, None: no value yet
        self.collect = False
        self.rph = 0
        self.in_cell = False

    def start(self, name, attrs):
        if name in _C:
            ref = attrs.get("r")
            m = _REF.match(ref) if ref else None
            if m:
                self.col = col_number(m.group(1))
                self.row = int(m.group(2))
            else:
                self.col += 1
            self.t = attrs.get("t")
            self.s = attrs.get("s")
            self.parts = None
            self.in_cell = True
        elif not self.in_cell:
            if name in _ROW:
                ref = attrs.get("r")
                self.row = int(ref) if ref and ref.strip().isdigit() else self.row + 1
                self.col = 0
        elif name in _V or (name in _T and not self.rph):
            if self.parts is None:
                self.parts = []
            self.collect = True
        elif name in _IS:
            if self.parts is None:
                self.parts = []
        elif name in _RPH:
            self.rph += 1

    def end(self, name):
        if name in _V or name in _T:
            self.collect = False
        elif name in _C:
            self.in_cell = False
            if self.parts is not None:
                self.emit(self.row, self.col, self.t, self.s, "".join(self.parts))
        elif name in _RPH:
            self.rph -= 1
        elif name in _ROW and self.end_row is not None:
            self.end_row(self.row)

    def text(self, data):
        if self.collect:
            self.parts.append(data)

    def parser(self, *, text: bool = True):
        """text=False: cells are found with their values empty (the bounds pass needs no text)."""
        p = _parser()
        p.StartElementHandler, p.EndElementHandler = self.start, self.end
        if text:
            p.CharacterDataHandler = self.text
        return p


def sheet_bounds(zf: zipfile.ZipFile, sheet_info: zipfile.ZipInfo) -> Bounds:
    b = Bounds()

    def emit(row, col, _t, _s, _text):
        if not b.first_column or col < b.first_column:
            b.first_column = col
        if col > b.last_column:  # noqa: PLR1730
            b.last_column = col
        if row > b.last_row:  # noqa: PLR1730
            b.last_row = row

    p = _Cells(emit).parser(text=False)
    with zf.open(sheet_info) as fh:
        for _ in _parse(p, fh):
            pass
    return b


def iter_rows(zf: zipfile.ZipFile, sheet_info: zipfile.ZipInfo, shared_strings: SharedStrings | None = None,
              *, bounds: Bounds | None = None, date_styles: list[int] | None = None,
              date1904: bool | None = None) -> Iterator[tuple[int, list]]:
    """(row number, cells) for every row from 1 to the last with a value, as calamine's rows."""
    if shared_strings is None:
        shared_strings = load_shared_strings(zf)
    if bounds is None:
        bounds = sheet_bounds(zf, sheet_info)
    if date_styles is None:
        date_styles = load_date_styles(zf)
    if date1904 is None:
        date1904 = is_1904(zf)
    first, width, last_row = bounds.first_column, bounds.width, bounds.last_row
    if not width:
        return
    ready: list[tuple[int, list]] = []
    current = [0, None]  # row number, its cells (None: nothing yet)
    n_styles = len(date_styles)

    def value(t, s, text):
        if t is None or t == "n":
            try:
                num = float(text)
            except ValueError:
                return text
            if s and n_styles:
                try:
                    kind = date_styles[int(s)] if int(s) < n_styles else 0
                except ValueError:
                    kind = 0
                if kind:
                    return serial_to_python(num, kind, date1904)
            return num
        if t == "s":
            try:
                return shared_strings[int(text)]
            except (ValueError, IndexError):
                raise XlsxError(DAMAGED) from None
        if t == "b":
            return text.strip() not in ("0", "", "false")
        if t == "e":
            return ""  # python-calamine gives an error cell (#DIV/0!, #N/A...) as an empty string
        return text  # str, inlineStr, d (an ISO date as written)

    def emit(row, col, t, s, text):
        if row > last_row:
            return
        if row != current[0]:
            flush()
            current[0] = row
        if current[1] is None:
            current[1] = [""] * width
        current[1][col - first] = value(t, s, text)

    def flush():
        if current[1] is not None:
            ready.append((current[0], current[1]))
            current[1] = None

    p = _Cells(emit).parser()
    next_row = 1
    with zf.open(sheet_info) as fh:
        for _ in _parse(p, fh):
            if not ready:
                continue
            for n, cells in ready:
                while next_row < n:
                    yield next_row, [""] * width
                    next_row += 1
                if n >= next_row:  # rows out of order are not supported: a repeated row is dropped
                    yield n, cells
                    next_row = n + 1
            ready.clear()
        flush()
        for n, cells in ready:
            while next_row < n:
                yield next_row, [""] * width
                next_row += 1
            if n >= next_row:
                yield n, cells
                next_row = n + 1
    while next_row <= last_row:
        yield next_row, [""] * width
        next_row += 1


# ---------------------------------------------------------------- calamine, a slice of rows at a time
#
# A plainly written sheet (xlsxsafe.Extent.plain: every <row starts with its r="N" reference, no prefix,
# CDATA or comment) is cut between rows with byte searches, and each slice is handed to calamine as a
# small workbook of its own (stored, not compressed; the original styles, shared strings and date
# system). Calamine then parses at its own speed while memory stays bounded by the slice, not the sheet.

CHUNK_BYTES = 8 << 20  # of sheet XML per slice (~7,500 roster rows; 32 MB took the same time and 2x the memory)
_MAX_SLICE = 64 << 20
_ROW_START = b'<row r="'
_SHEETDATA = re.compile(rb"<sheetData\s*(/?)>")
_DIMENSION = re.compile(rb"<dimension\b[^>]*/>")
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
_ROOT_RELS = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG_REL}">'
              f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>')


class _Slicer:
    """The constant parts of the one-sheet workbooks that carry the slices."""

    def __init__(self, zf: zipfile.ZipFile):
        self.parts: dict[str, bytes] = {}
        rels = [f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>']
        for stem, rel in (("styles", "styles"), ("sharedStrings", "sharedStrings")):
            name = _part(zf, stem)
            if name is not None:
                self.parts[f"xl/{stem}.xml"] = zf.read(name)
                rels.append(f'<Relationship Id="rId{len(rels) + 1}" Type="{_REL_NS}/{rel}" Target="{stem}.xml"/>')
        pr = '<workbookPr date1904="1"/>' if is_1904(zf) else ""
        self.parts["xl/workbook.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">{pr}'
            '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>').encode()
        self.parts["xl/_rels/workbook.xml.rels"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG_REL}">{"".join(rels)}'
            "</Relationships>").encode()

    def workbook(self, head: bytes, body: bytes) -> io.BytesIO:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
            zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
            zf.writestr("_rels/.rels", _ROOT_RELS)
            for name, data in self.parts.items():
                zf.writestr(name, data)
            zf.writestr("xl/worksheets/sheet1.xml", b"".join((head, b"<sheetData>", body,
                                                               b"</sheetData></worksheet>")))
        out.seek(0)
        return out


def _slices(fh, chunk_bytes: int) -> Iterator[tuple[bytes, bytes]]:
    """(worksheet head, a run of whole <row> elements) from a plainly written sheet part."""
    buf = b""
    while True:  # the head: everything before <sheetData>
        block = fh.read(_BLOCK)
        buf += block
        m = _SHEETDATA.search(buf)
        if m:
            break
        if not block or len(buf) > 64 * _BLOCK:
            raise XlsxError(DAMAGED)
    head = _DIMENSION.sub(b"", buf[:m.start()])
    if m.group(1):  # <sheetData/>
        return
    rest = buf[m.end():]
    while True:
        # Whole blocks are gathered and joined once (appending to one bytes object would copy the
        # slice over and over), then cut before the last row that starts in them.
        parts, size = [rest], len(rest)
        while size < chunk_bytes:
            block = fh.read(max(_BLOCK, chunk_bytes - size))
            if not block:
                break
            parts.append(block)
            size += len(block)
        buf = b"".join(parts)
        if size < chunk_bytes:  # the end of the part
            end = buf.rfind(b"</sheetData>")
            if end < 0:
                raise XlsxError(DAMAGED)
            if buf[:end].strip():
                yield head, buf[:end]
            return
        cut = buf.rfind(_ROW_START)
        if cut <= 0:  # a single row longer than a slice: take a bigger slice
            if chunk_bytes >= _MAX_SLICE:
                raise XlsxError(DAMAGED)  # no row boundary in 64 MB: not a sheet a person wrote
            rest, chunk_bytes = buf, chunk_bytes * 2
            continue
        rest = buf[cut:]
        yield head, buf[:cut]


def iter_rows_chunked(zf: zipfile.ZipFile, sheet_info: zipfile.ZipInfo, width: int | None, *,
                      chunk_bytes: int = CHUNK_BYTES, check=None) -> Iterator[list]:
    """Rows from row 1 to the last with a value, each `width` cells from column A (missing cells ""),
    with calamine's values, for a sheet whose extent xlsxsafe measured as plain. Memory is bounded by
    one slice (calamine's cells of `chunk_bytes` of XML, and their Python values).

    For a sheet not measured beforehand (one pass over the file), `check(head, body)` is called with
    each slice before calamine sees it and raises to refuse it (huigong.members.roster.files checks
    that it is plain and within the limits); `width` None gives each row from column A to its slice's
    last column (blank rows between slices as [])."""
    from python_calamine import CalamineWorkbook

    slicer = _Slicer(zf)
    blank = [""] * width if width is not None else []
    next_row = 0  # 0-based, the next row to yield
    with zf.open(sheet_info) as fh:
        for head, body in _slices(fh, chunk_bytes):
            if check is not None:
                check(head, body)
            try:
                sheet = CalamineWorkbook.from_filelike(slicer.workbook(head, body)).get_sheet_by_index(0)
            except Exception as e:  # noqa: BLE001 - calamine raises several kinds
                raise XlsxError(f"{DAMAGED} ({type(e).__name__})") from None
            start = sheet.start
            if start is None:
                continue
            r0, c0 = start
            rows = sheet.to_python(skip_empty_area=True)
            del sheet
            while next_row < r0:
                yield list(blank)
                next_row += 1
            pad = [""] * c0 if c0 and width is None else None
            for i, cells in enumerate(rows):
                if r0 + i < next_row:
                    continue  # rows out of order: a repeated row is dropped (as iter_rows does)
                if width is None:
                    if pad is not None:
                        cells = pad + cells
                elif c0 or len(cells) != width:
                    row = [""] * width
                    row[c0:c0 + len(cells)] = cells
                    cells = row[:width]
                yield cells
                next_row = r0 + i + 1
            rows = None
