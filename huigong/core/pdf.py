"""Chinese PDFs (公示 notices, ledgers, reports) from Django templates with WeasyPrint.

WeasyPrint needs Pango (Debian: libpango-1.0-0) and a CJK font (Debian: fonts-noto-cjk) on the
machine. Where either is missing, `PdfUnavailable` carries a clear message for the page to show
instead of a PDF full of empty boxes.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from functools import lru_cache

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

# WeasyPrint narrates every step at INFO; keep its warnings only.
for _name in ("weasyprint", "weasyprint.progress", "fontTools"):
    logging.getLogger(_name).setLevel(logging.WARNING)

# The font stack every PDF template uses (see templates/pdf/base.html).
CJK_FONT_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei")


class PdfUnavailable(RuntimeError):
    pass


@lru_cache(maxsize=1)
def cjk_font_installed() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    out = subprocess.run([fc_list, ":lang=zh-cn", "family"], capture_output=True, text=True, check=False).stdout
    return any(family in out for family in CJK_FONT_FAMILIES)


def _weasyprint():
    try:
        import weasyprint
    except OSError as exc:  # Pango missing
        raise PdfUnavailable(_("服务器缺少 Pango 库，无法生成 PDF（apt-get install libpango-1.0-0）")) from exc
    return weasyprint


def render_pdf(template_name: str, context: dict, *, base_url: str | None = None) -> bytes:
    """Renders a template (which should extend pdf/base.html) to PDF bytes."""
    if not cjk_font_installed():
        raise PdfUnavailable(_("服务器未安装中文字体，无法生成 PDF（apt-get install fonts-noto-cjk）"))
    html = render_to_string(template_name, context)
    return _weasyprint().HTML(string=html, base_url=base_url).write_pdf()
