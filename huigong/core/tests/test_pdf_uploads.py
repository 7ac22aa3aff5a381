import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from huigong.core import pdf
from huigong.core.uploads import check_upload


def _png(size=(8, 8)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def test_png_is_accepted_by_content_even_with_a_wrong_name():
    checked = check_upload(SimpleUploadedFile("receipt.pdf", _png()), field_label="票据")
    assert checked.content_type == "image/png" and checked.extension == "png"


def test_pdf_is_accepted_and_can_be_refused():
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    assert check_upload(SimpleUploadedFile("a.pdf", body), field_label="证明").content_type == "application/pdf"
    with pytest.raises(ValidationError, match="票据"):
        check_upload(SimpleUploadedFile("a.pdf", body), field_label="票据", allow_pdf=False)


@pytest.mark.parametrize("body, reason", [
    (b"", "空"),
    (b"MZ\x90\x00" + b"\x00" * 100, "无法识别"),
    (b"%PDF-1.4\n" + b"x" * 100, "不完整"),
    (_png()[:40], "无法识别"),
])
def test_junk_is_refused_naming_the_field(body, reason):
    with pytest.raises(ValidationError) as exc:
        check_upload(SimpleUploadedFile("x.png", body), field_label="病历材料")
    assert "病历材料" in exc.value.messages[0] and reason in exc.value.messages[0]


def test_oversize_is_refused():
    with pytest.raises(ValidationError, match="超过 1 MB"):
        check_upload(SimpleUploadedFile("x.png", _png((1200, 1200)) + b"\0" * (1024 * 1024)), field_label="票据", max_bytes=1024 * 1024)


def test_pdf_renders_chinese_when_the_font_is_there():
    if not pdf.cjk_font_installed():
        pytest.skip("fonts-noto-cjk is not installed")
    data = pdf.render_pdf("pdf/base.html", {})
    assert data.startswith(b"%PDF")


def _huge_png(width: int, height: int) -> bytes:
    """A bilevel PNG of width x height pixels that is a few KB on disk (all-black rows compress well),
    built chunk by chunk so the test never holds the decoded image."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_png_above_the_pixel_limit_is_refused_before_decoding():
    # Given a 7000 x 7000 (49 megapixel) PNG of a few KB: Pillow only warns between 1x and 2x its limit
    body = _huge_png(7000, 7000)
    assert len(body) < 100_000
    # When it is uploaded as evidence, then it is refused naming the field and the size
    with pytest.raises(ValidationError) as exc:
        check_upload(SimpleUploadedFile("x.png", body), field_label="病历材料")
    assert "病历材料" in exc.value.messages[0] and "7000×7000" in exc.value.messages[0]


def test_a_png_just_within_the_pixel_limit_is_accepted():
    body = _huge_png(6000, 6000)  # 36 megapixels
    assert check_upload(SimpleUploadedFile("x.png", body), field_label="票据").content_type == "image/png"
