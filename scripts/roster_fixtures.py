"""Writes the spreadsheet-program fixtures of the roster import tests (huigong/members/tests/fixtures/):
small rosters made here with XlsxWriter, then saved by LibreOffice Calc as Excel 97-2003 (.xls) and as
.xlsx, so the tests read files a real spreadsheet program wrote. The results are committed: the tests
and CI never need LibreOffice. Run once after changing the rosters:

    apt-get install -y --no-install-recommends libreoffice-calc-nogui
    DJANGO_SETTINGS_MODULE=huigong.settings.test .venv/bin/python scripts/roster_fixtures.py

WPS Spreadsheets saves .et files as one of these two containers (an OLE2 Excel 97-2003 workbook or an
.xlsx zip); the .et fixtures are LibreOffice's files under that name (no WPS here)."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "huigong" / "members" / "tests" / "fixtures"


def rosters() -> dict[str, bytes]:
    import xlsxwriter

    from huigong.core import idnumber
    from huigong.members.roster.testing import person_row, roster_xlsx

    rng = random.Random(15)
    rows = [person_row(rng) for _ in range(3)]
    for r in rows:
        r["出生日期"] = idnumber.parse(r["身份证号"]).birth_date  # a date cell
        r["入会日期"] = dt.date(2024, 3, 1)
    rows[2]["入会日期"] = "2024年3月2日"  # and a date as text
    out = {"roster": roster_xlsx(rows), "formula": roster_xlsx(rows[:1], raw_cells={(2, 17): "=1+1"})}
    path = Path(tempfile.mkdtemp()) / "sparse.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["姓名", "身份证号"])
    ws.write(65535, 49, "远处的单元格")  # AX65536: a 65,536 x 50 range with three cells
    wb.close()
    out["sparse"] = path.read_bytes()
    return out


def convert(src: Path, target: str, outdir: Path, profile: Path) -> Path:
    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
                    "--convert-to", target, str(src), "--outdir", str(outdir)], check=True, capture_output=True,
                   timeout=300)
    return outdir / (src.stem + "." + target.split(":")[0])


def main() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if not shutil.which("soffice"):
        raise SystemExit("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    work = Path(tempfile.mkdtemp(prefix="roster-fixtures-"))
    OUT.mkdir(parents=True, exist_ok=True)
    for name, content in rosters().items():
        src = work / f"{name}.xlsx"
        src.write_bytes(content)
        if name == "roster":
            shutil.copy(src, OUT / "roster-source.xlsx")  # what the tests compare the saved files with
        xls = convert(src, 'xls:MS Excel 97', work / "xls", work / "profile")
        shutil.copy(xls, OUT / f"{name}-libreoffice.xls")
        if name == "roster":
            shutil.copy(xls, OUT / "roster-libreoffice-ole2.et")
            xlsx = convert(src, "xlsx:Calc MS Excel 2007 XML", work / "xlsx", work / "profile")
            shutil.copy(xlsx, OUT / "roster-libreoffice-zip.et")
    shutil.rmtree(work, ignore_errors=True)
    for p in sorted(OUT.iterdir()):
        print(f"{p.relative_to(ROOT)}  {p.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
