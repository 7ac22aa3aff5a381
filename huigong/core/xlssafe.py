"""Looking inside an uploaded Excel 97-2003 workbook (.xls, and WPS's binary .et) before calamine loads it.

Such a file is an OLE2 compound file whose "Workbook" (or, older, "Book") stream holds BIFF records.
As with .xlsx (xlsxsafe), calamine allocates every cell of a sheet's used range, so the real extent
is measured from the cell records themselves (never from the DIMENSIONS claim) before anything loads
the sheet: the first sheet's records are read one at a time from the stream, in bounded memory. The
same pass finds formula records and a workbook-level password (FILEPASS).
"""

from __future__ import annotations

import struct

import olefile

from django.utils.translation import gettext_lazy

from huigong.core.xlsxsafe import Extent, XlsxError

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

NOT_XLS = gettext_lazy("不是有效的 .xls 文件（缺少工作簿数据）")
ENCRYPTED = gettext_lazy("文件已加密，请取消密码后再上传")
DAMAGED = gettext_lazy("工作表数据已损坏")

_BOF, _EOF, _BOUNDSHEET, _FILEPASS = 0x0809, 0x000A, 0x0085, 0x002F
# Cell records: row (u16) and column (u16) first.
_CELLS = frozenset({0x00FD, 0x0203, 0x027E, 0x0204, 0x00D6, 0x0205, 0x0201, 0x0006})
_MULTI = frozenset({0x00BD, 0x00BE})  # MULRK, MULBLANK: row, first column, ..., last column
_FORMULAS = frozenset({0x0006, 0x04BC, 0x0221})  # FORMULA, SHRFMLA, ARRAY
_HEAD = struct.Struct("<HH")


def workbook_stream_size(path) -> int:
    """The uncompressed size of the BIFF stream (what calamine will read into memory)."""
    with _open(path) as ole:
        return ole.get_size(_stream_name(ole))


def measure(path, *, stop_rows: int | None = None, stop_columns: int | None = None) -> Extent:
    """The used extent of the workbook's first sheet from its cell records, formula flag included.
    Stops early past a bound. Raises XlsxError for a password, a damaged file or no sheet."""
    ext = Extent()
    with _open(path) as ole:
        name = _stream_name(ole)
        with ole.openstream(name) as fh:
            data = fh.read()  # BIFF streams are small next to the sheet calamine would build from them
    size = len(data)
    pos = 0
    first_sheet = None
    # The workbook globals: a password, and where the first sheet's records start.
    while pos + 4 <= size:
        rid, length = _HEAD.unpack_from(data, pos)
        body = pos + 4
        if rid == _FILEPASS:
            raise XlsxError(ENCRYPTED)
        if rid == _BOUNDSHEET and first_sheet is None and length >= 4:
            first_sheet = struct.unpack_from("<I", data, body)[0]
        pos = body + length
        if rid == _EOF:
            break
    if first_sheet is None or not 0 <= first_sheet < size:
        raise XlsxError(gettext_lazy("工作簿中没有工作表"))
    pos = first_sheet
    rid, _length = _HEAD.unpack_from(data, pos) if pos + 4 <= size else (0, 0)
    if rid != _BOF:
        raise XlsxError(DAMAGED)
    depth = 0
    unpack = _HEAD.unpack_from
    while pos + 4 <= size:
        rid, length = unpack(data, pos)
        body = pos + 4
        pos = body + length
        if pos > size:
            raise XlsxError(DAMAGED)
        if rid == _BOF:
            depth += 1  # an embedded chart's substream nests inside the sheet's
        elif rid == _EOF:
            depth -= 1
            if depth <= 0:
                break
        elif depth == 1 and (rid in _CELLS or rid in _MULTI) and length >= 4:
            row, col = unpack(data, body)
            if rid in _MULTI:
                if length < 6:
                    raise XlsxError(DAMAGED)
                last = struct.unpack_from("<H", data, pos - 2)[0]
                ext.cells += max(last - col + 1, 1)
                col = last
            else:
                ext.cells += 1
            if rid in _FORMULAS:
                ext.formula = True
            ext.rows = max(ext.rows, row + 1)
            ext.columns = max(ext.columns, col + 1)
            if (stop_rows is not None and ext.rows > stop_rows) or \
                    (stop_columns is not None and ext.columns > stop_columns):
                return ext
        elif depth == 1 and rid in _FORMULAS:
            ext.formula = True
    return ext


class _open:
    def __init__(self, path):
        self.path = path
        self.ole = None

    def __enter__(self) -> olefile.OleFileIO:
        try:
            self.ole = olefile.OleFileIO(str(self.path))
        except (OSError, ValueError, struct.error, IndexError) as e:
            raise XlsxError(NOT_XLS) from e
        return self.ole

    def __exit__(self, *exc) -> None:
        if self.ole is not None:
            self.ole.close()


def _stream_name(ole: olefile.OleFileIO) -> str:
    for name in ("Workbook", "Book"):
        if ole.exists(name) and ole.get_type(name) == olefile.STGTY_STREAM:
            return name
    if ole.exists("EncryptedPackage"):  # an encrypted .xlsx travels inside an OLE2 file
        raise XlsxError(ENCRYPTED)
    raise XlsxError(NOT_XLS)
