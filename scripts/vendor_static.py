#!/usr/bin/env python3
"""Copy the front-end files the app serves from node_modules/ into huigong/static/vendor/.

Union networks are often closed, so nothing is loaded from a CDN: set-up runs `npm ci` (versions
pinned in package.json / package-lock.json) and then this script. huigong/static/vendor/ is
git-ignored; re-running the script is cheap and idempotent.

What to copy is declared where it is used: the shell's files in huigong/vendor.toml, an app's in a
vendor.toml next to its apps.py (e.g. huigong/activities/vendor.toml for the gate's QR decoder), so a new
app adds its front-end files without editing this script:

    files = [
      { package = "@zxing/browser", src = "umd/zxing-browser.min.js", dest = "zxing/zxing-browser.min.js" },
    ]

(package: the npm package, pinned in package.json; src: the path inside it, a trailing "/" copies a
directory; dest: the path under static/vendor/). The script reads them with the standard library only:
it runs at set-up, before Django is importable.

Usage: python scripts/vendor_static.py [--check]
  --check  only verify that every vendored file is present and current (exit 1 if not).
"""

from __future__ import annotations

import filecmp
import shutil
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "huigong" / "static" / "vendor"


@dataclass(frozen=True)
class VendorFile:
    package: str
    src: str
    dest: str
    declared_in: Path


class DeclarationError(Exception):
    pass


def declarations(root: Path = ROOT) -> list[Path]:
    """huigong/vendor.toml and every app's (huigong/<app>/vendor.toml, kernel sub-apps' too), sorted."""
    package = root / "huigong"
    found = [package / "vendor.toml", *package.glob("*/vendor.toml"), *package.glob("*/*/vendor.toml")]
    return sorted(p for p in set(found) if p.is_file() and "static" not in p.relative_to(package).parts)


def files(root: Path = ROOT) -> list[VendorFile]:
    """Every declared file; the same dest declared twice must name the same source."""
    out: dict[str, VendorFile] = {}
    for path in declarations(root):
        where = path.relative_to(root)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise DeclarationError(f"{where}: {exc}") from exc
        for i, entry in enumerate(data.get("files", [])):
            if not isinstance(entry, dict) or set(entry) != {"package", "src", "dest"} or not all(
                    isinstance(v, str) and v for v in entry.values()):
                raise DeclarationError(f"{where}: files[{i}] must be {{ package = ..., src = ..., dest = ... }}")
            dest = entry["dest"]
            if Path(dest).is_absolute() or ".." in Path(dest).parts:
                raise DeclarationError(f"{where}: files[{i}].dest must stay under static/vendor/: {dest}")
            item = VendorFile(entry["package"], entry["src"], dest, where)
            seen = out.get(dest)
            if seen and (seen.package, seen.src) != (item.package, item.src):
                raise DeclarationError(f"{where} and {seen.declared_in} both declare static/vendor/{dest}, "
                                       f"from different sources")
            out.setdefault(dest, item)
    return list(out.values())


def _plan(entries: list[VendorFile], node_modules: Path, vendor: Path) -> list[tuple[Path, Path]]:
    return [(node_modules / f.package / f.src, vendor / f.dest) for f in entries]


def _missing_packages(entries: list[VendorFile], node_modules: Path) -> list[str]:
    return sorted({f.package for f in entries if not (node_modules / f.package / "package.json").exists()})


def main(argv: list[str], root: Path = ROOT) -> int:
    check_only = "--check" in argv
    node_modules, vendor = root / "node_modules", root / "huigong" / "static" / "vendor"
    try:
        entries = files(root)
    except DeclarationError as exc:
        print(f"vendor_static: {exc}", file=sys.stderr)
        return 1
    missing = _missing_packages(entries, node_modules)
    if missing:
        wanted = sorted({str(f.declared_in) for f in entries if f.package in missing})
        print(f"vendor_static: not installed in {node_modules}: {', '.join(missing)} (wanted by {', '.join(wanted)}); "
              "pin it in package.json and run `npm ci`", file=sys.stderr)
        return 1
    stale = 0
    for src, dest in _plan(entries, node_modules, vendor):
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
    print(f"vendor_static: {len(entries)} entries from {len(declarations(root))} vendor.toml copied into "
          f"{vendor.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
