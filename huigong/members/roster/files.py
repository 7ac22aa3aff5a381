"""Opening an uploaded roster safely. Everything that could exhaust memory or CPU is decided before
python-calamine parses anything: zip bombs from the zip's central directory, the sheet's size from
its real used extent (measured from the cell references by huigong.core.xlsxsafe, never from the
<dimension> claim; calamine allocates every cell of that extent). In the web request only small
sheets are measured, bigger ones go to the background worker, which measures them first. The same
parse finds formula cells (by namespace, whatever their prefix). A sheet part bigger than one slice
of the sliced reader is not scanned separately: each slice is checked the same way just before
calamine parses it (_SliceCheck), so the file is read once."""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huigong.core import xlssafe, xlsxsafe, xlsxstream

XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = xlssafe.OLE2_MAGIC
_CHUNK = 1 << 20


class RosterFileError(Exception):
    """The file as a whole is refused; the message is translated and shown to staff as is."""


@dataclass
class FileInfo:
    kind: str  # "xlsx" | "xls" | "csv" (what the content is: a .et file is one of the first two)
    estimated_rows: int  # data rows, header included; an estimate when the file does not say
    sheet_member: str = ""
    encoding: str = ""
    declared_columns: int = 0
    extent: xlsxsafe.Extent | None = None  # xlsx: measured from the cells, None when not measured yet


def kind_from_name(name: str) -> str:
    """What the name says: "xlsx", "xls" (Excel 97-2003), "et" (WPS Spreadsheets: an Excel 97-2003 or
    an .xlsx workbook inside, told apart by content_kind) or "csv"."""
    suffix = Path(name or "").suffix.lower()
    if suffix in (".xlsx", ".xls", ".et", ".csv"):
        return suffix[1:]
    raise RosterFileError(_("只能上传 .xlsx、.xls、.et 或 .csv 文件"))


def content_kind(kind: str, head: bytes) -> str:
    """The reader a file needs: a WPS .et file is read as what its bytes are."""
    if kind == "et":
        return "xls" if head.startswith(OLE2_MAGIC) else "xlsx"
    return kind


def check_size(size: int) -> None:
    limit = settings.ROSTER_MAX_UPLOAD_BYTES
    if size > limit:
        raise RosterFileError(_("文件超过 %(limit)s MB 上限，请拆分后分批导入") % {"limit": limit // (1024 * 1024)})
    if size == 0:
        raise RosterFileError(_("文件为空"))


def check_magic(kind: str, head: bytes) -> None:
    if kind == "xlsx" and not head.startswith(XLSX_MAGIC):
        if head.startswith(OLE2_MAGIC):
            raise RosterFileError(_("文件内容是旧版 .xls 工作簿或已加密的工作簿：旧版文件请把扩展名改为 .xls，加密文件请取消密码后上传"))
        raise RosterFileError(_("文件内容不是 .xlsx 格式（扩展名与内容不符或文件已损坏）"))
    if kind == "xls" and not head.startswith(OLE2_MAGIC):
        raise RosterFileError(_("文件内容不是 .xls 格式（扩展名与内容不符或文件已损坏）"))
    if kind == "et" and not head.startswith((OLE2_MAGIC, XLSX_MAGIC)):
        raise RosterFileError(_("文件内容不是 WPS 表格（.et）工作簿（扩展名与内容不符或文件已损坏）"))
    if kind == "csv":
        if head.startswith((XLSX_MAGIC, OLE2_MAGIC)):
            raise RosterFileError(_("文件内容是 Excel 工作簿而不是 CSV，请把扩展名改为 .xlsx"))
        if b"\x00" in head:
            raise RosterFileError(_("文件不是文本格式的 CSV"))


def sniff(path: str | Path, kind: str, *, scan_bytes: int | None = None) -> FileInfo:
    """What the file is and how big. An .xlsx's real extent is measured when its first sheet part
    unpacks to at most `scan_bytes` (None: always); otherwise `info.extent` stays None (unknown)."""
    path = Path(path)
    check_size(path.stat().st_size)
    with path.open("rb") as fh:
        head = fh.read(65536)
    check_magic(kind, head)
    kind = content_kind(kind, head)
    if kind == "xlsx":
        return _sniff_xlsx(path, scan_bytes)
    if kind == "xls":
        return _sniff_xls(path)
    return _sniff_csv(path)


def _sniff_xls(path: Path) -> FileInfo:
    """An Excel 97-2003 workbook (at most 65,536 rows): its BIFF stream is bounded, then the first
    sheet's real extent measured from its cell records (huigong.core.xlssafe), always."""
    max_rows, max_cols = settings.ROSTER_MAX_ROWS + 1, settings.ROSTER_MAX_COLUMNS
    try:
        if xlssafe.workbook_stream_size(path) > settings.ROSTER_MAX_UNCOMPRESSED_BYTES:
            raise RosterFileError(_BOMB)
        ext = xlssafe.measure(path, stop_rows=max_rows, stop_columns=max_cols)
    except xlsxsafe.XlsxError as e:
        raise RosterFileError(str(e)) from None
    _check_extent(ext)
    return FileInfo(kind="xls", estimated_rows=max(ext.rows, 1), declared_columns=ext.columns, extent=ext)


# ---------------------------------------------------------------- xlsx

_BOMB = (gettext_lazy("文件解压后过大或压缩比异常（疑似压缩炸弹），已拒绝"))
_DIM_RE = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?\"")


def _sniff_xlsx(path: Path, scan_bytes: int | None) -> FileInfo:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise RosterFileError(_("不是有效的 .xlsx 文件（文件已损坏或不是 Excel 格式）")) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > 10000:
            raise RosterFileError(_BOMB)
        if any(i.flag_bits & 0x1 for i in infos):
            raise RosterFileError(_("文件已加密，请取消密码后再上传"))
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos) or 1
        ratio_limit = settings.ROSTER_MAX_COMPRESSION_RATIO
        if total > settings.ROSTER_MAX_UNCOMPRESSED_BYTES or total / packed > ratio_limit:
            raise RosterFileError(_BOMB)
        for i in infos:
            if i.file_size > _CHUNK and i.file_size / max(i.compress_size, 1) > ratio_limit:
                raise RosterFileError(_BOMB)
        try:
            sheet_info = xlsxsafe.first_sheet_member(zf, too_big=_BOMB)
            with zf.open(sheet_info) as fh:
                head = fh.read(65536)
        except xlsxsafe.XlsxError as e:
            raise RosterFileError(str(e)) from None
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
            raise RosterFileError(xlsxsafe.DAMAGED) from None
        max_rows, max_cols = settings.ROSTER_MAX_ROWS, settings.ROSTER_MAX_COLUMNS
        # The dimension element is only a claim: a large one is refused at once, a small one proves
        # nothing. The real extent is measured below when the sheet is small enough to scan here,
        # and otherwise by the background worker before the sheet is loaded.
        dim = _DIM_RE.search(head)
        cols = 0
        if dim:
            last_row = int(dim.group(4) or dim.group(2))
            cols = xlsxsafe.col_number(dim.group(3) or dim.group(1))
            if last_row > max_rows + 1:
                raise RosterFileError(_too_many_rows(last_row))
            if cols > max_cols:
                raise RosterFileError(_too_many_cols(cols))
        info = FileInfo(kind="xlsx", estimated_rows=max(1, sheet_info.file_size // 400), sheet_member=sheet_info.filename,
                        declared_columns=cols)
        if scan_bytes is None or sheet_info.file_size <= scan_bytes:
            info.extent = _measure(zf, sheet_info)
            info.estimated_rows = max(info.extent.rows, 1)
    return info


def _measure(zf: zipfile.ZipFile, sheet_info: zipfile.ZipInfo) -> xlsxsafe.Extent:
    """The sheet's real used extent, refused when a reader would have to allocate more than the
    limits allow (too many rows or columns, too many cells, or a mostly empty range)."""
    max_rows, max_cols = settings.ROSTER_MAX_ROWS + 1, settings.ROSTER_MAX_COLUMNS
    try:
        ext = xlsxsafe.measure(lambda: zf.open(sheet_info), stop_rows=max_rows, stop_columns=max_cols)
    except xlsxsafe.XlsxError as e:
        raise RosterFileError(str(e)) from None
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        raise RosterFileError(xlsxsafe.DAMAGED) from None
    _check_extent(ext)
    return ext


def _check_extent(ext: xlsxsafe.Extent) -> None:
    max_rows, max_cols = settings.ROSTER_MAX_ROWS + 1, settings.ROSTER_MAX_COLUMNS
    if ext.rows > max_rows:
        raise RosterFileError(_too_many_rows(ext.rows))
    if ext.columns > max_cols:
        raise RosterFileError(_too_many_cols(ext.columns))
    if ext.area > settings.ROSTER_MAX_CELLS:
        raise RosterFileError(f"工作表已用范围为 {ext.rows:,} 行 × {ext.columns} 列，超过 "
                              f"{settings.ROSTER_MAX_CELLS:,} 个单元格的上限，请拆分后分批导入")
    if ext.area > SPARSE_RATIO * ext.cells + SPARSE_SLACK:
        raise RosterFileError(f"工作表已用范围为 {ext.rows:,} 行 × {ext.columns} 列，但其中只有 {ext.cells:,} 个单元格："
                              "表中有大面积空白区域。请删除多余的空白行和列（或只复制有数据的区域到新表）后重新上传")


# A roster fills most of its used range; a range mostly empty is what a hostile sparse file looks
# like (two cells far apart make a reader allocate every cell between them).
SPARSE_RATIO = 8
SPARSE_SLACK = 1_000_000


def _too_many_rows(n: int) -> str:
    limit = settings.ROSTER_MAX_ROWS
    return (_("工作表约有 %(n)s 行，超过每个文件 %(limit)s 行的上限，请拆分后导入") % {"limit": format(limit, ","), "n": format(n, ",")})


def _too_many_cols(n: int) -> str:
    limit = settings.ROSTER_MAX_COLUMNS
    return (_("工作表有 %(n)s 列，超过 %(limit)s 列的上限") % {"limit": limit, "n": n})


FORMULA_REFUSED = (gettext_lazy("文件中含有公式单元格，已拒绝。请复制整张表后“选择性粘贴 → 数值”，保存后重新上传"))


@dataclass
class SheetRows:
    rows: Iterator[list]
    col_offset: int  # index of the sheet's first column (0 = A)
    height: int
    width: int


# Above this used area (rows x columns, what calamine allocates) a sheet is read by the streaming
# reader (huigong.core.xlsxstream) in bounded memory; at or below it calamine, which is faster, stays
# under the worker's 300 MB budget: ~125 MB of Django plus ~90 MB per million cells (measured, see
# docs/architecture.md). Above it, a plainly written sheet (what every spreadsheet program writes) is
# still read by calamine, a slice of ~7,500 rows at a time (about calamine's time, see docs/benchmarks.md);
# any other is parsed by the streaming reader (~10x slower).
STREAM_ABOVE_CELLS = 1_800_000


# A sheet part bigger than one slice of the sliced reader, not measured beforehand, is read in one pass:
# each slice is checked (plain, within the limits, no formula) just before calamine parses it, instead
# of a separate scan of the whole part first (which cost about as much as calamine's read itself).
ONE_PASS_ABOVE_BYTES = xlsxstream.CHUNK_BYTES
ODD_LAYOUT = gettext_lazy("工作表中途出现了不常见的写法（注释、CDATA 或带前缀的元素），无法读取。"
                          "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传")


def open_xlsx(path: str | Path, info: FileInfo | None = None) -> SheetRows:
    from python_calamine import CalamineWorkbook

    extent = info.extent if info is not None else None
    if extent is None:
        one_pass = _open_xlsx_one_pass(path, info)
        if one_pass is not None:
            return one_pass
        # Never load a sheet whose extent has not been measured (see xlsxsafe).
        try:
            with zipfile.ZipFile(path) as zf:
                extent = _measure(zf, xlsxsafe.first_sheet_member(zf))
        except xlsxsafe.XlsxError as e:
            raise RosterFileError(str(e)) from None
        except (zipfile.BadZipFile, OSError, ValueError):
            raise RosterFileError(xlsxsafe.DAMAGED) from None
        if info is not None:
            info.extent = extent

    if extent.area > STREAM_ABOVE_CELLS:
        if extent.plain:
            return _open_xlsx_sliced(path, extent)
        return _open_xlsx_streaming(path)
    try:
        wb = CalamineWorkbook.from_path(str(path))
        sheet = wb.get_sheet_by_index(0)
    except Exception as e:  # noqa: BLE001 - calamine raises several kinds (CalamineError, XmlError, ZipError…)
        raise RosterFileError(_("无法读取工作表：%(__name__)s") % {"__name__": type(e).__name__}) from None
    if sheet.height > settings.ROSTER_MAX_ROWS + 1:
        raise RosterFileError(_too_many_rows(sheet.height))
    if sheet.width > settings.ROSTER_MAX_COLUMNS:
        raise RosterFileError(_too_many_cols(sheet.width))
    start = sheet.start
    return SheetRows(rows=sheet.iter_rows(), col_offset=start[1] if start else 0, height=sheet.total_height,
                     width=sheet.width)


def _open_xlsx_sliced(path: str | Path, extent: xlsxsafe.Extent) -> SheetRows:
    """A plainly written big sheet: calamine reads it a slice of rows at a time
    (huigong.core.xlsxstream.iter_rows_chunked), at calamine's speed in bounded memory. Rows are
    given from column A, as wide as the measured extent."""
    zf = zipfile.ZipFile(path)  # closed by the generator below, or at once on an error
    try:
        sheet_info = xlsxsafe.first_sheet_member(zf)
    except xlsxsafe.XlsxError as e:
        zf.close()
        raise RosterFileError(str(e)) from None

    rows = _zip_rows(zf, xlsxstream.iter_rows_chunked(zf, sheet_info, extent.columns))
    return SheetRows(rows=rows, col_offset=0, height=extent.rows, width=extent.columns)


class _SliceCheck:
    """What the up-front measure decides (xlsxsafe.measure and _check_extent), decided a slice at a
    time before calamine parses it: the slice is plainly written, its range (what calamine allocates)
    is within the limits and not mostly empty, it has no formula; the sheet so far is within the row,
    column and cell limits. Raises xlsxsafe.Unusual for a slice that is not plain, RosterFileError to
    refuse the file."""

    def __init__(self) -> None:
        self.head_checked = False
        self.extent = xlsxsafe.Extent()
        self.slices = 0
        self.body_bytes = 0

    def __call__(self, head: bytes, body: bytes) -> None:
        if not self.head_checked:
            xlsxsafe.plain_head(head)
            self.head_checked = True
        block = xlsxsafe.plain_block(body, columns_hint=self.extent.columns)
        if block.formula:
            raise RosterFileError(str(FORMULA_REFUSED))
        ext = self.extent
        ext.cells += block.cells
        ext.rows = max(ext.rows, block.last_row)
        ext.columns = max(ext.columns, block.last_column)
        max_rows, max_cols = settings.ROSTER_MAX_ROWS + 1, settings.ROSTER_MAX_COLUMNS
        if ext.rows > max_rows:
            raise RosterFileError(_too_many_rows(ext.rows))
        if ext.columns > max_cols:
            raise RosterFileError(_too_many_cols(ext.columns))
        if ext.area > settings.ROSTER_MAX_CELLS:
            _check_extent(ext)  # refuses, naming the limit
        if block.area > SPARSE_RATIO * block.cells + SPARSE_SLACK:
            # this slice alone would make calamine allocate a mostly empty range
            _check_extent(xlsxsafe.Extent(rows=block.last_row - block.first_row + 1, columns=block.last_column,
                                          cells=block.cells))
        self.slices += 1
        self.body_bytes += len(body)


def _open_xlsx_one_pass(path: str | Path, info: FileInfo | None) -> SheetRows | None:
    """A big sheet not measured yet, read in one pass (see ONE_PASS_ABOVE_BYTES); None when it is small
    or its first slice is not plainly written (then it is measured first, as before). A later slice
    that is not plain refuses the file (ODD_LAYOUT): no spreadsheet program writes such a sheet."""
    zf = zipfile.ZipFile(path)
    try:
        sheet_info = xlsxsafe.first_sheet_member(zf)
    except xlsxsafe.XlsxError as e:
        zf.close()
        raise RosterFileError(str(e)) from None
    except Exception:
        zf.close()
        raise
    if sheet_info.file_size <= ONE_PASS_ABOVE_BYTES:
        zf.close()
        return None
    check = _SliceCheck()
    rows = xlsxstream.iter_rows_chunked(zf, sheet_info, None, chunk_bytes=xlsxstream.CHUNK_BYTES, check=check)
    try:
        first = next(rows, None)
    except xlsxsafe.Unusual:
        zf.close()
        return None
    except RosterFileError:
        zf.close()
        raise
    except xlsxsafe.XlsxError as e:
        zf.close()
        raise RosterFileError(str(e)) from None
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        zf.close()
        raise RosterFileError(xlsxsafe.DAMAGED) from None
    # Rows to come, from the bytes per row of the first slice: what the progress shows until the end.
    estimate = max(check.extent.rows, 1)
    if check.body_bytes:
        estimate = max(estimate, int(check.extent.rows * sheet_info.file_size / check.body_bytes))
    if info is not None:
        info.estimated_rows = estimate
    sheet = SheetRows(rows=iter(()), col_offset=0, height=estimate, width=0)

    def all_rows() -> Iterator[list]:
        if first is None:
            return
        yield first
        try:
            yield from rows
        except xlsxsafe.Unusual:
            raise RosterFileError(str(ODD_LAYOUT)) from None
        _check_extent(check.extent)  # the whole sheet: not mostly empty (its rows are in the transaction)
        sheet.height = check.extent.rows
        if info is not None:
            info.extent = check.extent

    sheet.rows = _zip_rows(zf, all_rows())
    return sheet


def _zip_rows(zf: zipfile.ZipFile, rows: Iterator[list]) -> Iterator[list]:
    """The rows of a sheet read from `zf`, with its read errors as the importer's, closing `zf` at the
    end (or when the consumer stops)."""
    try:
        yield from rows
    except xlsxsafe.XlsxError as e:
        raise RosterFileError(str(e)) from None
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        raise RosterFileError(xlsxsafe.DAMAGED) from None
    finally:
        zf.close()


def _open_xlsx_streaming(path: str | Path) -> SheetRows:
    """The same rows as calamine's, read as a stream (huigong.core.xlsxstream): the shared strings,
    styles and the sheet's value range are read first, then the rows one block at a time."""
    zf = zipfile.ZipFile(path)  # closed by the generator below, or at once on an error
    try:
        sheet_info = xlsxsafe.first_sheet_member(zf)
        bounds = xlsxstream.sheet_bounds(zf, sheet_info)
        strings = xlsxstream.load_shared_strings(zf)
        styles = xlsxstream.load_date_styles(zf)
        date1904 = xlsxstream.is_1904(zf)
    except xlsxsafe.XlsxError as e:
        zf.close()
        raise RosterFileError(str(e)) from None
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError):
        zf.close()
        raise RosterFileError(xlsxsafe.DAMAGED) from None
    if bounds.last_row > settings.ROSTER_MAX_ROWS + 1:
        zf.close()
        raise RosterFileError(_too_many_rows(bounds.last_row))
    if bounds.width > settings.ROSTER_MAX_COLUMNS:
        zf.close()
        raise RosterFileError(_too_many_cols(bounds.width))

    rows = _zip_rows(zf, (cells for _n, cells in xlsxstream.iter_rows(
        zf, sheet_info, strings, bounds=bounds, date_styles=styles, date1904=date1904)))
    first = bounds.first_column
    return SheetRows(rows=rows, col_offset=first - 1 if first else 0, height=bounds.last_row, width=bounds.width)


# ---------------------------------------------------------------- csv


def _detect_encoding(path: Path) -> str:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while block := fh.read(_CHUNK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    decoder = codecs.getincrementaldecoder("gb18030")()
    try:
        with path.open("rb") as fh:
            while block := fh.read(_CHUNK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise RosterFileError(_("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GB18030")) from None
    return "gb18030"


def _sniff_csv(path: Path) -> FileInfo:
    encoding = _detect_encoding(path)
    lines = 0
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            lines += block.count(b"\n")
    if lines > settings.ROSTER_MAX_ROWS + 1:
        raise RosterFileError(_too_many_rows(lines))
    return FileInfo(kind="csv", estimated_rows=max(lines, 1), encoding=encoding)


def open_csv(path: str | Path, info: FileInfo) -> SheetRows:
    fh = open(path, encoding=info.encoding, newline="")  # noqa: SIM115 - closed by the generator
    sample = fh.read(8192)
    fh.seek(0)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    max_cols = settings.ROSTER_MAX_COLUMNS

    def rows() -> Iterator[list]:
        try:
            for row in csv.reader(fh, dialect):
                if len(row) > max_cols and any(c.strip() for c in row[max_cols:]):
                    raise RosterFileError(_too_many_cols(len(row)))
                yield row
        except csv.Error as e:
            raise RosterFileError(_("CSV 格式错误：%(e)s") % {"e": e}) from None
        finally:
            fh.close()

    return SheetRows(rows=rows(), col_offset=0, height=info.estimated_rows, width=0)


def open_xls(path: str | Path, info: FileInfo) -> SheetRows:
    """An Excel 97-2003 sheet, already measured (sniff): calamine loads it whole, as it is small
    (65,536 rows at most, the measured extent within the limits)."""
    from python_calamine import CalamineWorkbook

    if info.extent is None:
        raise RosterFileError(xlsxsafe.DAMAGED)
    try:
        with open(path, "rb") as fh:  # by content: the name may say .et
            sheet = CalamineWorkbook.from_filelike(fh).get_sheet_by_index(0)
    except Exception as e:  # noqa: BLE001 - calamine raises several kinds
        raise RosterFileError(_("无法读取工作表：%(error)s") % {"error": type(e).__name__}) from None
    if sheet.height > settings.ROSTER_MAX_ROWS + 1 or sheet.width > settings.ROSTER_MAX_COLUMNS:
        raise RosterFileError(_too_many_rows(sheet.height) if sheet.height > settings.ROSTER_MAX_ROWS + 1
                              else _too_many_cols(sheet.width))
    start = sheet.start
    return SheetRows(rows=sheet.iter_rows(), col_offset=start[1] if start else 0, height=sheet.total_height,
                     width=sheet.width)


def open_rows(path: str | Path, info: FileInfo) -> SheetRows:
    if info.kind == "xlsx":
        return open_xlsx(path, info)
    if info.kind == "xls":
        return open_xls(path, info)
    return open_csv(path, info)


def read_head(upload, n: int = 65536) -> bytes:
    """First bytes of an UploadedFile, leaving it rewound."""
    upload.seek(0)
    head = upload.read(n)
    upload.seek(0)
    return head if isinstance(head, bytes) else head.encode() if isinstance(head, str) else bytes(head)
