"""Front-end files are declared where they are used (huigong/vendor.toml, an app's vendor.toml) and
scripts/vendor_static.py copies what an app declares without being told about the app."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("vendor_static", ROOT / "scripts" / "vendor_static.py")
vendor_static = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("vendor_static", vendor_static)  # dataclasses look their module up there
_spec.loader.exec_module(vendor_static)


def test_every_pinned_package_is_vendored_by_a_declaration_and_every_declared_one_is_pinned():
    pinned = set(json.loads((ROOT / "package.json").read_text())["dependencies"])
    declared = {f.package for f in vendor_static.files()}
    assert declared == pinned
    by_app = {f.dest: str(f.declared_in) for f in vendor_static.files()}
    assert by_app["zxing/zxing-browser.min.js"] == "huigong/activities/vendor.toml"
    assert by_app["swagger-ui/swagger-ui-bundle.js"] == "huigong/api/vendor.toml"


def _tree(tmp_path: Path, declaration: str) -> Path:
    (tmp_path / "huigong" / "newapp").mkdir(parents=True)
    (tmp_path / "huigong" / "newapp" / "vendor.toml").write_text(declaration)
    pkg = tmp_path / "node_modules" / "@acme" / "widget"
    (pkg / "dist").mkdir(parents=True)
    (pkg / "package.json").write_text("{}")
    (pkg / "dist" / "widget.js").write_text("widget();")
    return tmp_path


def test_a_new_apps_declaration_is_copied_and_checked(tmp_path, capsys):
    root = _tree(tmp_path, 'files = [{ package = "@acme/widget", src = "dist/widget.js", dest = "widget/w.js" }]\n')
    assert vendor_static.main(["--check"], root=root) == 1  # not copied yet
    assert vendor_static.main([], root=root) == 0
    assert (root / "huigong" / "static" / "vendor" / "widget" / "w.js").read_text() == "widget();"
    assert vendor_static.main(["--check"], root=root) == 0
    (root / "node_modules" / "@acme" / "widget" / "dist" / "widget.js").write_text("widget(2);")
    assert vendor_static.main(["--check"], root=root) == 1  # stale after an upgrade


def test_a_package_not_installed_names_the_declaration_that_wants_it(tmp_path, capsys):
    root = _tree(tmp_path, 'files = [{ package = "left-pad", src = "index.js", dest = "left-pad.js" }]\n')
    assert vendor_static.main([], root=root) == 1
    err = capsys.readouterr().err
    assert "left-pad" in err and "huigong/newapp/vendor.toml" in err


def test_two_declarations_of_one_destination_from_different_sources_are_refused(tmp_path, capsys):
    root = _tree(tmp_path, 'files = [{ package = "@acme/widget", src = "dist/widget.js", dest = "w.js" }]\n')
    (root / "huigong" / "vendor.toml").write_text('files = [{ package = "@acme/widget", src = "package.json", dest = "w.js" }]\n')
    assert vendor_static.main([], root=root) == 1
    assert "both declare static/vendor/w.js" in capsys.readouterr().err
    (root / "huigong" / "vendor.toml").write_text('files = [{ package = "@acme/widget", src = "x", dest = "../w.js" }]\n')
    assert vendor_static.main([], root=root) == 1
    assert "must stay under static/vendor/" in capsys.readouterr().err
