"""Checks on uploaded evidence and receipts (images and PDFs): by content, not by name.

A file is accepted when its bytes are what its kind says (JPEG/PNG/WebP decoded by Pillow, PDF by
its header and trailer) and it is within the size limit. Errors name the field, in the request's language.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# A decompression bomb is refused before it is decoded: width x height from the header is checked
# against this limit (Pillow itself only warns between 1x and 2x its limit, and accepts the file).
MAX_IMAGE_PIXELS = 40_000_000


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    size: int
    extension: str


def check_upload(upload, *, field_label: str, allow_pdf: bool = True,
                 max_bytes: int = MAX_UPLOAD_BYTES) -> CheckedUpload:
    """Validates an UploadedFile (or any file object with .size/.read/.seek) and returns what it is.

    Raises ValidationError with a message naming `field_label`."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size == 0:
        raise ValidationError(_("%(field)s：文件是空的") % {"field": field_label})
    if size > max_bytes:
        raise ValidationError(
            _("%(field)s：文件超过 %(mb)d MB")
            % {"field": field_label, "mb": max_bytes // (1024 * 1024)})
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        if not allow_pdf:
            raise ValidationError(_("%(field)s：只接受图片（JPG/PNG/WebP）")
                                  % {"field": field_label})
        upload.seek(max(0, size - 2048))
        tail = upload.read()
        upload.seek(0)
        if b"%%EOF" not in tail:
            raise ValidationError(_("%(field)s：PDF 文件不完整") % {"field": field_label})
        return CheckedUpload("application/pdf", size, "pdf")
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    too_large = False
    try:
        with Image.open(upload) as img:  # reads the header only
            fmt = img.format
            width, height = img.size
            too_large = width * height > MAX_IMAGE_PIXELS
            if not too_large:
                img.verify()
    except Exception:  # Pillow raises many types for junk, truncation and bombs alike
        upload.seek(0)
        kinds = "JPG/PNG/WebP/PDF" if allow_pdf else "JPG/PNG/WebP"
        raise ValidationError(
            _("%(field)s：无法识别的文件，请上传 %(kinds)s")
            % {"field": field_label, "kinds": kinds}) from None
    upload.seek(0)
    if too_large:
        raise ValidationError(
            _("%(field)s：图片像素过多（%(w)d×%(h)d），上限为 %(mp)d 百万像素，请缩小后上传")
            % {"field": field_label, "w": width, "h": height, "mp": MAX_IMAGE_PIXELS // 1_000_000})
    if fmt not in IMAGE_FORMATS:
        raise ValidationError(_("%(field)s：不支持的图片格式 %(fmt)s")
                              % {"field": field_label, "fmt": fmt})
    return CheckedUpload(IMAGE_FORMATS[fmt], size, {"JPEG": "jpg"}.get(fmt, fmt.lower()))
