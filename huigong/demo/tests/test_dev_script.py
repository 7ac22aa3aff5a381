"""dev.py, the set-up script: installs are skipped when their inputs are unchanged, pytest's
"no tests collected" is a failure, and missing Debian packages are a note, not a crash."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def dev(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / ".venv").mkdir()
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "VENV", tmp_path / ".venv")
    calls: list[list[str]] = []
    monkeypatch.setattr(module, "sh", lambda cmd, **kw: calls.append([str(c) for c in cmd]) or 0)
    module.calls = calls
    return module


def test_pip_install_runs_once_per_pyproject(dev, tmp_path):
    dev.ensure_packages(test=False)
    dev.ensure_packages(test=False)
    assert [c[-1] for c in dev.calls] == ["."]
    dev.ensure_packages(test=True)  # the test extras are a different install
    dev.ensure_packages(test=True)
    dev.ensure_packages(test=False)  # ...which satisfies `run` too
    assert [c[-1] for c in dev.calls] == [".", ".[test]"]
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "2"\n')
    dev.ensure_packages(test=True)
    assert [c[-1] for c in dev.calls] == [".", ".[test]", ".[test]"]


def test_npm_ci_runs_once_per_lock_file(dev, tmp_path, monkeypatch):
    monkeypatch.setattr(dev.shutil, "which", lambda name: f"/usr/bin/{name}")
    (tmp_path / "package.json").write_text("{}")
    (tmp_path / "package-lock.json").write_text('{"lockfileVersion": 3}')
    (tmp_path / "node_modules").mkdir()  # what npm ci would make
    dev.ensure_static_vendor()
    dev.ensure_static_vendor()
    assert [c[1] for c in dev.calls if c[0].endswith("npm")] == ["ci"]
    (tmp_path / "package-lock.json").write_text('{"lockfileVersion": 3, "changed": true}')
    dev.ensure_static_vendor()
    assert [c[1] for c in dev.calls if c[0].endswith("npm")] == ["ci", "ci"]


@pytest.mark.parametrize(("pytest_rc", "expected"), [(0, 0), (1, 1), (5, 1)])
def test_test_command_passes_pytest_exit_code_but_not_no_tests(dev, monkeypatch, pytest_rc, expected):
    for step in ("ensure_venv", "ensure_packages", "ensure_static_vendor"):
        monkeypatch.setattr(dev, step, lambda **kw: None)
    monkeypatch.setattr(dev, "ensure_apt", lambda *a: True)
    seen = {}

    def fake_call(cmd, **kw):
        seen["cmd"] = cmd
        return pytest_rc

    monkeypatch.setattr(dev.subprocess, "call", fake_call)
    assert dev.cmd_test(["-k", "demo"]) == expected
    assert seen["cmd"][-2:] == ["-k", "demo"] and "pytest" in seen["cmd"]
    # Every core (pytest-xdist) unless the caller chose: -n 0 runs in one process.
    if (dev.os.cpu_count() or 1) > 1:
        assert seen["cmd"][seen["cmd"].index("-n") + 1] == str(min(dev.os.cpu_count(), 4))
    dev.cmd_test(["-n", "0"])
    assert seen["cmd"].count("-n") == 1 and seen["cmd"][-2:] == ["-n", "0"]


def test_missing_debian_packages_are_a_note_without_root(dev, monkeypatch, capsys):
    monkeypatch.setattr(dev, "_dpkg_installed", lambda pkg: False)
    monkeypatch.setattr(dev.os, "geteuid", lambda: 1000)
    assert dev.ensure_apt(["chromium"], "browser tests") is False
    assert "sudo apt-get install chromium" in capsys.readouterr().out
    assert not dev.calls
