"""The text of an uploaded report, for its length and duplication checks: .docx (Word, WPS), .pdf and
.txt. The bytes are recognised by content, never by the file's name; what cannot be read is refused with
a message naming the field."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from xml.parsers import expat

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_REPORT_BYTES = 20 * 1024 * 1024
MAX_XML_BYTES = 50 * 1024 * 1024  # word/document.xml unpacked: a zip bomb stops here
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Extracted:
    text: str
    content_type: str
    extension: str


def _docx_text(data: bytes, label: str) -> str:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        info = zf.getinfo("word/document.xml")
    except (zipfile.BadZipFile, KeyError):
        raise ValidationError(_("%(field)s：不是有效的 Word 文档") % {"field": label}) from None
    if info.file_size > MAX_XML_BYTES:
        raise ValidationError(_("%(field)s：文档内容过大") % {"field": label})
    parts: list[str] = []
    state = {"in_t": False}
    parser = expat.ParserCreate(namespace_separator=" ")

    def refuse_dtd(*_args):
        raise ValidationError(_("%(field)s：不是有效的 Word 文档") % {"field": label})

    def start(name, _attrs):
        if name == f"{W_NS} t":
            state["in_t"] = True
        elif name in (f"{W_NS} p", f"{W_NS} br", f"{W_NS} tab"):
            parts.append("\n")

    def end(name):
        if name == f"{W_NS} t":
            state["in_t"] = False

    def chars(text):
        if state["in_t"]:
            parts.append(text)

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(1 << 16):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError:
        raise ValidationError(_("%(field)s：不是有效的 Word 文档") % {"field": label}) from None
    return "".join(parts)


def _pdf_text(data: bytes, label: str) -> str:
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        raise ValidationError(_("%(field)s：无法读取的 PDF 文件") % {"field": label}) from None
    try:
        out = []
        for i in range(len(doc)):
            page = doc[i]
            textpage = page.get_textpage()
            out.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(out)
    finally:
        doc.close()


def _plain_text(data: bytes, label: str) -> str:
    if b"\x00" in data[:4096]:
        raise ValidationError(_("%(field)s：只接受 Word（.docx）、PDF 或纯文本文件") % {"field": label})
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("%(field)s：无法识别文本编码，请另存为 UTF-8") % {"field": label})


def extract(upload, *, label: str) -> Extracted:
    size = getattr(upload, "size", None) or 0
    if size > MAX_REPORT_BYTES:
        raise ValidationError(_("%(field)s：文件超过 %(mb)d MB") % {"field": label, "mb": MAX_REPORT_BYTES >> 20})
    upload.seek(0)
    data = upload.read(MAX_REPORT_BYTES + 1)
    upload.seek(0)
    if not data:
        raise ValidationError(_("%(field)s：文件是空的") % {"field": label})
    if data.startswith(b"PK\x03\x04"):
        return Extracted(_docx_text(data, label), DOCX_TYPE, "docx")
    if data.startswith(b"%PDF-"):
        return Extracted(_pdf_text(data, label), "application/pdf", "pdf")
    return Extracted(_plain_text(data, label), "text/plain; charset=utf-8", "txt")
