#!/usr/bin/env python3
"""Copy the front-end files the app serves from node_modules/ into huigong/static/vendor/.

Union networks are often closed, so nothing is loaded from a CDN: set-up runs `npm ci` (versions
pinned in package.json / package-lock.json) and then this script. huigong/static/vendor/ is
git-ignored; re-running the script is cheap and idempotent.

Usage: python scripts/vendor_static.py [--check]
  --check  only verify that every vendored file is present and current (exit 1 if not).
"""

from __future__ import annotations

import filecmp
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "huigong" / "static" / "vendor"

# (npm package, path inside the package, path under static/vendor/). A trailing "/" copies a directory.
FILES: list[tuple[str, str, str]] = [
    ("htmx.org", "dist/htmx.min.js", "htmx.min.js"),
    ("htmx.org", "LICENSE", "licenses/htmx.LICENSE"),
    ("echarts", "dist/echarts.min.js", "echarts.min.js"),
    ("echarts", "LICENSE", "licenses/echarts.LICENSE"),
    # Swagger UI for the API docs page at /api/v1/docs (huigong/api/docs.py).
    ("swagger-ui-dist", "swagger-ui-bundle.js", "swagger-ui/swagger-ui-bundle.js"),
    ("swagger-ui-dist", "swagger-ui.css", "swagger-ui/swagger-ui.css"),
    # The stylesheet names its source map; production's manifest storage refuses a dangling reference.
    ("swagger-ui-dist", "swagger-ui.css.map", "swagger-ui/swagger-ui.css.map"),
    ("swagger-ui-dist", "LICENSE", "licenses/swagger-ui.LICENSE"),
    # axe-core: the accessibility checks the browser tests inject into every page (never served by a page).
    ("axe-core", "axe.min.js", "axe.min.js"),
    ("axe-core", "LICENSE", "licenses/axe-core.LICENSE"),
    # Searchable pickers (huigong/static/js/pickers.js enhances every <select data-picker>).
    ("tom-select", "dist/js/tom-select.complete.min.js", "tom-select/tom-select.complete.min.js"),
    ("tom-select", "dist/css/tom-select.default.min.css", "tom-select/tom-select.default.min.css"),
    # Both name their source maps; the manifest storage refuses a dangling reference.
    ("tom-select", "dist/js/tom-select.complete.min.js.map", "tom-select/tom-select.complete.min.js.map"),
    ("tom-select", "dist/css/tom-select.default.min.css.map", "tom-select/tom-select.default.min.css.map"),
    ("tom-select", "LICENSE", "licenses/tom-select.LICENSE"),
    # QR decoder for the events gate page (activities check-in): the UMD bundle has @zxing/library inside.
    ("@zxing/browser", "umd/zxing-browser.min.js", "zxing/zxing-browser.min.js"),
    ("@zxing/browser", "umd/zxing-browser.min.js.map", "zxing/zxing-browser.min.js.map"),
    ("@zxing/browser", "LICENSE", "licenses/zxing-browser.LICENSE"),
    ("@zxing/library", "LICENSE", "licenses/zxing-library.LICENSE"),
]


def _plan() -> list[tuple[Path, Path]]:
    plan = []
    for package, src, dest in FILES:
        plan.append((NODE_MODULES / package / src, VENDOR / dest))
    return plan


def _missing_packages() -> list[str]:
    return sorted({p for p, _, _ in FILES if not (NODE_MODULES / p / "package.json").exists()})


def main(argv: list[str]) -> int:
    check_only = "--check" in argv
    missing = _missing_packages()
    if missing:
        print(f"vendor_static: not installed in {NODE_MODULES}: {', '.join(missing)}; run `npm ci` first",
              file=sys.stderr)
        return 1
    stale = 0
    for src, dest in _plan():
        if not src.exists():
            print(f"vendor_static: {src} does not exist (package layout changed?)", file=sys.stderr)
            return 1
        if src.is_dir():
            if check_only:
                stale += not dest.exists()
                continue
            shutil.copytree(src, dest, dirs_exist_ok=True)
            continue
        current = dest.exists() and filecmp.cmp(src, dest, shallow=False)
        if check_only:
            stale += not current
            continue
        if not current:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
    if check_only:
        if stale:
            print(f"vendor_static: {stale} vendored file(s) missing or stale; run scripts/vendor_static.py",
                  file=sys.stderr)
            return 1
        print("vendor_static: all vendored files are current")
        return 0
    print(f"vendor_static: {len(FILES)} entries copied into {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
