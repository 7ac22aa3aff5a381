"""Opening an uploaded roster safely. Everything that could exhaust memory or CPU (zip bombs,
huge sheets) is decided from the zip's central directory and the sheet's first bytes, before
python-calamine parses anything; the rest of the sheet is scanned for formulas while calamine
loads it (calamine releases the GIL, so the scan runs on the other core)."""

from __future__ import annotations

import codecs
import csv
import re
import threading
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

XLSX_MAGIC = b"PK\x03\x04"
_CHUNK = 1 << 20


class RosterFileError(Exception):
    """The file as a whole is refused; the message is bilingual and shown to staff as is."""


@dataclass
class FileInfo:
    kind: str  # "xlsx" | "csv"
    estimated_rows: int  # data rows, header included; an estimate when the file does not say
    sheet_member: str = ""
    sheet_prefix: bytes = b""
    encoding: str = ""
    declared_columns: int = 0


def kind_from_name(name: str) -> str:
    suffix = Path(name or "").suffix.lower()
    if suffix == ".xlsx":
        return "xlsx"
    if suffix == ".csv":
        return "csv"
    if suffix in (".xls", ".et", ".wps"):
        raise RosterFileError("不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx 后上传 / "
                              "the old .xls format is not supported; save the file as .xlsx")
    raise RosterFileError("只能上传 .xlsx 或 .csv 文件 / only .xlsx or .csv files can be uploaded")


def check_size(size: int) -> None:
    limit = settings.ROSTER_MAX_UPLOAD_BYTES
    if size > limit:
        raise RosterFileError(f"文件超过 {limit // (1024 * 1024)} MB 上限，请拆分后分批导入 / "
                              f"the file is larger than the {limit // (1024 * 1024)} MB limit; split it")
    if size == 0:
        raise RosterFileError("文件为空 / the file is empty")


def check_magic(kind: str, head: bytes) -> None:
    if kind == "xlsx" and not head.startswith(XLSX_MAGIC):
        raise RosterFileError("文件内容不是 .xlsx 格式（扩展名与内容不符或文件已损坏） / "
                              "the content is not an .xlsx workbook (wrong extension or a damaged file)")
    if kind == "csv":
        if head.startswith((XLSX_MAGIC, b"\xd0\xcf\x11\xe0")):
            raise RosterFileError("文件内容是 Excel 工作簿而不是 CSV，请把扩展名改为 .xlsx / "
                                  "the content is an Excel workbook, not CSV")
        if b"\x00" in head:
            raise RosterFileError("文件不是文本格式的 CSV / the file is not a text CSV file")


def sniff(path: str | Path, kind: str) -> FileInfo:
    path = Path(path)
    check_size(path.stat().st_size)
    with path.open("rb") as fh:
        head = fh.read(65536)
    check_magic(kind, head)
    if kind == "xlsx":
        return _sniff_xlsx(path)
    return _sniff_csv(path)


# ---------------------------------------------------------------- xlsx

_BOMB = ("文件解压后过大或压缩比异常（疑似压缩炸弹），已拒绝 / the workbook expands to too much data "
         "or has a suspicious compression ratio (a zip bomb); refused")
_SHEET_RE = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"", re.DOTALL)
_SHEET_RE2 = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\b\w+:id=\"([^\"]+)\"", re.DOTALL)
_DIM_RE = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?\"")
_ROOT_PREFIX_RE = re.compile(rb"<(\w+):worksheet\b")


def _col_number(letters: bytes) -> int:
    n = 0
    for c in letters:
        n = n * 26 + (c - 64)
    return n


def _rel_target(zf: zipfile.ZipFile, rid: bytes) -> str:
    rels = _small_member(zf, "xl/_rels/workbook.xml.rels")
    for m in re.finditer(rb"<(?:\w+:)?Relationship\b[^>]*>", rels):
        tag = m.group(0)
        if re.search(rb"\bId=\"" + re.escape(rid) + rb"\"", tag):
            target = re.search(rb"\bTarget=\"([^\"]+)\"", tag)
            if target:
                t = target.group(1).decode("utf-8", "replace")
                return t.lstrip("/") if t.startswith("/") else "xl/" + t
    raise RosterFileError("工作簿结构不完整：找不到第一个工作表 / the workbook has no readable first sheet")


def _small_member(zf: zipfile.ZipFile, name: str, limit: int = 2 * 1024 * 1024) -> bytes:
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise RosterFileError("不是有效的 .xlsx 文件（缺少工作簿结构） / not a valid .xlsx workbook") from None
    if info.file_size > limit:
        raise RosterFileError(_BOMB)
    return zf.read(name)


def _sniff_xlsx(path: Path) -> FileInfo:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise RosterFileError("不是有效的 .xlsx 文件（文件已损坏或不是 Excel 格式） / "
                              "not a valid .xlsx file (damaged, or not an Excel workbook)") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > 10000:
            raise RosterFileError(_BOMB)
        if any(i.flag_bits & 0x1 for i in infos):
            raise RosterFileError("文件已加密，请取消密码后再上传 / the workbook is password-protected")
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos) or 1
        ratio_limit = settings.ROSTER_MAX_COMPRESSION_RATIO
        if total > settings.ROSTER_MAX_UNCOMPRESSED_BYTES or total / packed > ratio_limit:
            raise RosterFileError(_BOMB)
        for i in infos:
            if i.file_size > _CHUNK and i.file_size / max(i.compress_size, 1) > ratio_limit:
                raise RosterFileError(_BOMB)
        workbook = _small_member(zf, "xl/workbook.xml")
        m = _SHEET_RE.search(workbook) or _SHEET_RE2.search(workbook)
        if not m:
            raise RosterFileError("工作簿中没有工作表 / the workbook has no sheet")
        member = _rel_target(zf, m.group(1))
        try:
            sheet_info = zf.getinfo(member)
        except KeyError:
            raise RosterFileError("工作簿结构不完整：找不到第一个工作表 / the workbook has no readable first sheet") \
                from None
        try:
            with zf.open(sheet_info) as fh:
                head = fh.read(65536)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
            raise RosterFileError("工作表数据已损坏 / the sheet data is damaged") from None
    prefix_m = _ROOT_PREFIX_RE.search(head)
    prefix = prefix_m.group(1) + b":" if prefix_m else b""
    dim = _DIM_RE.search(head)
    max_rows, max_cols = settings.ROSTER_MAX_ROWS, settings.ROSTER_MAX_COLUMNS
    if dim:
        last_col = dim.group(3) or dim.group(1)
        last_row = int(dim.group(4) or dim.group(2))
        cols = _col_number(last_col)
        if last_row > max_rows + 1:
            raise RosterFileError(_too_many_rows(last_row))
        if cols > max_cols:
            raise RosterFileError(_too_many_cols(cols))
        rows = last_row
    else:
        cols = 0
        # No dimension: guess from the size; the body scan counts the real rows.
        rows = max(1, sheet_info.file_size // 400)
    return FileInfo(kind="xlsx", estimated_rows=rows, sheet_member=member, sheet_prefix=prefix,
                    declared_columns=cols)


def _too_many_rows(n: int) -> str:
    limit = settings.ROSTER_MAX_ROWS
    return (f"工作表约有 {n:,} 行，超过每个文件 {limit:,} 行的上限，请拆分后导入 / "
            f"the sheet has about {n:,} rows, more than the {limit:,} allowed per file; split it")


def _too_many_cols(n: int) -> str:
    limit = settings.ROSTER_MAX_COLUMNS
    return (f"工作表有 {n} 列，超过 {limit} 列的上限 / the sheet has {n} columns, more than the {limit} allowed")


FORMULA_REFUSED = ("文件中含有公式单元格，已拒绝。请复制整张表后“选择性粘贴 → 数值”，保存后重新上传 / "
                   "the workbook contains formula cells; paste the sheet as values only and upload again")


def scan_xlsx_body(path: str | Path, info: FileInfo) -> None:
    """Streams the first sheet's XML: refuses formula cells and counts the real rows (the
    dimension element is only a claim). Bounded by the declared sizes checked in sniff()."""
    p = info.sheet_prefix
    needles = (b"<" + p + b"f>", b"<" + p + b"f ", b"<" + p + b"f/")
    row_needle = b"<" + p + b"row"
    limit = settings.ROSTER_MAX_ROWS + 1
    rows = 0
    tail = b""
    try:
        with zipfile.ZipFile(path) as zf, zf.open(info.sheet_member) as fh:
            while True:
                block = fh.read(4 * _CHUNK)
                if not block:
                    break
                buf = tail + block
                if any(n in buf for n in needles):
                    raise RosterFileError(FORMULA_REFUSED)
                rows += block.count(row_needle)
                if rows > limit:
                    raise RosterFileError(_too_many_rows(rows))
                tail = buf[-8:]
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
        raise RosterFileError("工作表数据已损坏（大小或校验不符） / the sheet data is damaged "
                              "(its size or checksum does not match)") from None
    info.estimated_rows = rows


class BodyScan:
    """Runs scan_xlsx_body on a thread; `result()` re-raises its refusal in the caller."""

    def __init__(self, path, info: FileInfo):
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(path, info), daemon=True,
                                        name="roster-scan")
        self._thread.start()

    def _run(self, path, info) -> None:
        try:
            scan_xlsx_body(path, info)
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            self._error = e

    def result(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error


@dataclass
class SheetRows:
    rows: Iterator[list]
    col_offset: int  # index of the sheet's first column (0 = A)
    height: int
    width: int


def open_xlsx(path: str | Path) -> SheetRows:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        sheet = wb.get_sheet_by_index(0)
    except Exception as e:  # noqa: BLE001 - calamine raises several kinds (CalamineError, XmlError, ZipError…)
        raise RosterFileError(f"无法读取工作表：{type(e).__name__} / the sheet cannot be read") from None
    if sheet.height > settings.ROSTER_MAX_ROWS + 1:
        raise RosterFileError(_too_many_rows(sheet.height))
    if sheet.width > settings.ROSTER_MAX_COLUMNS:
        raise RosterFileError(_too_many_cols(sheet.width))
    start = sheet.start
    return SheetRows(rows=sheet.iter_rows(), col_offset=start[1] if start else 0, height=sheet.total_height,
                     width=sheet.width)


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
        raise RosterFileError("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GB18030 / "
                              "the CSV encoding is not UTF-8 or GB18030") from None
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
            raise RosterFileError(f"CSV 格式错误：{e} / malformed CSV") from None
        finally:
            fh.close()

    return SheetRows(rows=rows(), col_offset=0, height=info.estimated_rows, width=0)


def open_rows(path: str | Path, info: FileInfo) -> SheetRows:
    return open_xlsx(path) if info.kind == "xlsx" else open_csv(path, info)


def read_head(upload, n: int = 65536) -> bytes:
    """First bytes of an UploadedFile, leaving it rewound."""
    upload.seek(0)
    head = upload.read(n)
    upload.seek(0)
    return head if isinstance(head, bytes) else head.encode() if isinstance(head, str) else bytes(head)
