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
