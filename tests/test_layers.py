"""The layers hold: import-linter's contracts (pyproject.toml [tool.importlinter], docs/architecture.md
"Layers") pass on this tree, cover every installed app, and do fail on an import that runs up them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps

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


def contracts() -> dict[str, dict]:
    from importlinter.api import read_configuration

    return {c["id"]: c for c in read_configuration(str(CONFIG))["contracts_options"]}


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, f"import-linter found imports across the layers:\n{result.stdout}{result.stderr}"
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_the_kernel_may_import_no_installed_app():
    forbidden = set(contracts()["kernel"]["forbidden_modules"])
    # Kernel sub-apps (huigong.core.<service>) are the kernel itself.
    ours = {c.name for c in apps.get_app_configs()
            if c.name.startswith("huigong.") and c.name.split(".")[1] != "core"}
    assert ours <= forbidden, f"add {sorted(ours - forbidden)} to the kernel contract's forbidden_modules"


def test_every_app_has_a_layer():
    layered = {name.strip(" ()").split(".")[0] for layer in contracts()["layers"]["layers"]
               for name in layer.replace("|", ":").split(":")}
    for config in apps.get_app_configs():
        if config.name.startswith("huigong."):
            assert config.name.split(".")[1] in layered, f"{config.name} has no layer in [tool.importlinter]"


@pytest.mark.parametrize(("module", "line", "broken"), [
    ("core/planted.py", "from huigong.members.models import Person\n", "huigong.core is not allowed to import huigong.members"),
    ("core/planted.py", "from huigong.console import views\n", "huigong.core is not allowed to import huigong.console"),
    ("benefits/planted.py", "from huigong.assistance.models import AidApplication\n",
     "huigong.benefits is not allowed to import huigong.assistance"),
    ("members/planted.py", "from huigong.portal.models import WorkerAccount\n",
     "huigong.members is not allowed to import huigong.portal"),
])
def test_an_import_up_the_layers_breaks_the_build(tmp_path, module, line, broken):
    """The contracts can fail: a copy of the package with one import planted that runs up the layers."""
    shutil.copytree(ROOT / "huigong", tmp_path / "huigong",
                    ignore=shutil.ignore_patterns("static", "locale", "templates", "__pycache__", "*.html"))
    (tmp_path / "huigong" / module).write_text(line)
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert broken in " ".join(result.stdout.split())


def test_the_kernel_names_the_audit_capability_by_its_value():
    from huigong.accounts.models import Cap
    from huigong.core.selectors import AUDIT_VIEW

    assert AUDIT_VIEW == Cap.AUDIT_VIEW
