"""The layers hold: import-linter's contract (pyproject.toml [tool.importlinter], the type declared_layers in
huigong/testing_layers.py, docs/architecture.md "Layers") passes on this tree, reads the layer every app
declares, and does fail on an import that runs up them, a new app's included."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.apps import apps

from huigong.core.layers import NAMES, read_declarations

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "pyproject.toml"


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    """`lint-imports` of this environment on the `huigong` package found from `cwd`, with this repo's contracts."""
    return subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
         "--config", str(CONFIG), "--no-cache"],
        check=False, cwd=cwd, env={**os.environ, "PYTHONPATH": str(cwd)},
        capture_output=True, text=True, timeout=300,
    )


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, f"import-linter found imports across the layers:\n{result.stdout}{result.stderr}"
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_every_app_declares_a_layer_the_contract_reads():
    """The contract reads each apps.py's source (no Django there): what it reads is what Django's registry
    holds, for every installed app of ours (kernel sub-apps are the kernel: huigong.core's layer)."""
    declared = read_declarations(ROOT / "huigong")
    ours = {c.name.split(".")[1]: c for c in apps.get_app_configs() if c.name.startswith("huigong.")
            and c.name.count(".") == 1}
    assert len(ours) > 10
    for package, config in ours.items():
        assert getattr(config, "layer", None) in NAMES, f"{config.name}: declare `layer` on its AppConfig"
        assert declared[package].layer == config.layer, config.name
        assert declared[package].module_layers == getattr(config, "module_layers", {}), config.name
        assert declared[package].problems == (), declared[package].problems
    assert ours["core"].layer == NAMES[-1], "the kernel is the bottom layer"


def _planted_copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "huigong", tmp_path / "huigong",
                    ignore=shutil.ignore_patterns("static", "locale", "templates", "__pycache__", "*.html", "migrations"))
    return tmp_path / "huigong"


def test_imports_up_the_declared_layers_break_the_build(tmp_path):
    """The contract can fail, and covers an app nobody listed: a copy of the package with imports planted that
    run up the layers, and two new app folders (copies of the throwaway app tests/contrib_app): one declaring
    `layer = "domain"`, which may then import no other domain and which the kernel may not import, and one
    declaring no layer."""
    pkg = _planted_copy(tmp_path)
    for name in ("newdomain", "nolayer"):
        shutil.copytree(ROOT / "tests" / "contrib_app", pkg / name, ignore=shutil.ignore_patterns("__pycache__"))
    apps_py = pkg / "nolayer" / "apps.py"
    apps_py.write_text(apps_py.read_text().replace('    layer = "domain"', "    # no layer"))
    assert 'layer = "domain"' in (pkg / "newdomain" / "apps.py").read_text()
    plants = {
        "core/planted.py": "from huigong.members.models import Person\nfrom huigong.console import views\n",
        "core/planted_new.py": "from huigong.newdomain import views\n",
        "benefits/planted.py": "from huigong.assistance.models import AidApplication\n",
        "members/planted.py": "from huigong.portal.models import WorkerAccount\n",
        "newdomain/planted.py": "from huigong.assistance.models import AidApplication\n",
        "insights/planted.py": "from huigong.console import views\n",
    }
    for module, line in plants.items():
        (pkg / module).write_text(line)
    result = lint_imports(tmp_path)
    report = " ".join(result.stdout.split())
    assert result.returncode == 1, result.stdout + result.stderr
    expected = [
        "huigong.core is not allowed to import huigong.members",
        "huigong.core is not allowed to import huigong.console",
        "huigong.core is not allowed to import huigong.newdomain",
        "huigong.benefits is not allowed to import huigong.assistance",
        "huigong.members is not allowed to import huigong.portal",
        "huigong.newdomain is not allowed to import huigong.assistance",
        "huigong.insights is not allowed to import huigong.console",
        "huigong.nolayer declares no layer",
    ]
    assert [e for e in expected if e not in report] == [], result.stdout
    assert "Contracts: 0 kept, 1 broken." in result.stdout


def test_an_unknown_layer_breaks_the_build(tmp_path):
    from huigong.core.layers import read_declaration

    apps_py = tmp_path / "x" / "apps.py"
    apps_py.parent.mkdir()
    apps_py.write_text('class X:\n    layer = "domian"\n')
    assert "unknown layer 'domian'" in read_declaration(apps_py).problems[0]
    apps_py.write_text('LAYER = "domain"\nclass X:\n    layer = LAYER\n')
    assert "must be a literal" in read_declaration(apps_py).problems[0]


def test_the_kernel_names_the_audit_capability_by_its_value():
    from huigong.accounts.models import Cap
    from huigong.core.selectors import AUDIT_VIEW

    assert AUDIT_VIEW == Cap.AUDIT_VIEW
