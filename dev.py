#!/usr/bin/env python3
"""Huigong's two set-up commands, for a fresh machine with Python 3.11, pip and Node.

    python3 dev.py run    install, migrate the embedded SQLite database, load the demo, serve
                          http://127.0.0.1:8000 (run again: reuses the venv, the database and the demo)
    python3 dev.py test   install the test dependencies and run the whole suite (SQLite, or
                          PostgreSQL when DATABASE_URL is set); extra arguments go to pytest

Installs are skipped when their inputs (pyproject.toml, package-lock.json) have not changed since
the last run: a hash of them is kept in a stamp file next to what they installed.
Only the standard library is used here: this script is what creates the environment.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PY = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
PYTHON = (3, 11)
HOST, PORT = "127.0.0.1", 8000
RUN_FONTS = ["fonts-noto-cjk"]  # Chinese in PDFs (notices, ledgers) and in screenshots
TEST_APT = ["chromium", "fonts-noto-cjk"]  # browser tests drive Debian's chromium


def say(msg: str) -> None:
    print(f"[dev] {msg}", flush=True)


def fail(msg: str, code: int = 1) -> None:
    print(f"[dev] ERROR: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


def sh(cmd: list, *, env: dict | None = None, check: bool = True) -> int:
    say("$ " + " ".join(str(c) for c in cmd))
    rc = subprocess.call([str(c) for c in cmd], cwd=ROOT, env={**os.environ, **(env or {})},
                         stdin=subprocess.DEVNULL)
    if check and rc != 0:
        fail(f"command failed with exit code {rc}: {' '.join(str(c) for c in cmd)}", rc)
    return rc


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\0")
    return h.hexdigest()


def read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


# -- Python --------------------------------------------------------------------------------------

def ensure_python() -> None:
    """Re-runs this script under Python 3.11 when started by another version."""
    if sys.version_info[:2] == PYTHON:
        return
    wanted = "python{}.{}".format(*PYTHON)
    exe = shutil.which(wanted)
    if exe is None:
        fail(f"Huigong needs Python {PYTHON[0]}.{PYTHON[1]} (found {sys.version.split()[0]}); install {wanted}")
    say(f"re-running with {exe}")
    os.execv(exe, [exe, str(Path(__file__).resolve()), *sys.argv[1:]])


def ensure_venv() -> None:
    if VENV_PY.exists():
        out = subprocess.run([str(VENV_PY), "-c", "import sys; print(sys.version_info[:2])"],
                             check=False, capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip() == str(PYTHON):
            return
        say(f"{VENV} is broken or not Python {PYTHON[0]}.{PYTHON[1]}: recreating it")
        shutil.rmtree(VENV)
    say(f"creating {VENV.relative_to(ROOT)}")
    sh([sys.executable, "-m", "venv", VENV])


def ensure_packages(*, test: bool) -> None:
    """pip install the project (editable, so the code in this tree is what runs), with test extras for tests."""
    base = digest(read(ROOT / "pyproject.toml"), sys.version)
    stamp = VENV / ".huigong-install"
    wanted = {digest(base, "test")} if test else {digest(base, "run"), digest(base, "test")}
    if read(stamp).strip() in wanted:
        say("python packages: up to date")
        return
    target = ".[test]" if test else "."
    sh([VENV_PY, "-m", "pip", "install", "--disable-pip-version-check", "-e", target],
       env={"PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    stamp.write_text(digest(base, "test" if test else "run") + "\n")


# -- Front-end files (no CDN: everything is served by the app) --------------------------------------

def ensure_static_vendor() -> None:
    vendor_script = ROOT / "scripts" / "vendor_static.py"
    package_json = ROOT / "package.json"
    if not package_json.exists():
        say("no package.json: no front-end packages to install")
        return
    lock = ROOT / "package-lock.json"
    modules = ROOT / "node_modules"
    stamp = modules / ".huigong-install"
    want = digest(read(lock) or read(package_json))
    if read(stamp).strip() == want:
        say("npm packages: up to date")
    else:
        npm = shutil.which("npm")
        if npm is None:
            fail("npm not found: install Node.js (with npm), which set-up needs for the front-end files")
        sh([npm, "ci" if lock.exists() else "install", "--no-audit", "--no-fund"])
        stamp.write_text(want + "\n")
    if vendor_script.exists():
        sh([VENV_PY, vendor_script])


# -- Debian packages (best effort) ---------------------------------------------------------------------

def _dpkg_installed(pkg: str) -> bool:
    if shutil.which("dpkg-query") is None:
        return False
    out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], check=False, capture_output=True, text=True)
    return out.returncode == 0 and "install ok installed" in out.stdout


def ensure_apt(packages: list[str], why: str) -> bool:
    """Installs Debian packages when we can (root with apt-get); otherwise says what is missing. Never fatal."""
    missing = [p for p in packages if not _dpkg_installed(p)]
    if not missing:
        return True
    apt = shutil.which("apt-get")
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if apt is None or not is_root:
        say(f"NOTE: {', '.join(missing)} not installed ({why}). "
            f"Install with: sudo apt-get install {' '.join(missing)}")
        return False
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    cmd = [apt, "install", "-y", "-q", "--no-install-recommends", *missing]
    if sh(cmd, env=env, check=False) != 0:
        sh([apt, "update", "-q"], env=env, check=False)
        if sh(cmd, env=env, check=False) != 0:
            say(f"NOTE: could not install {', '.join(missing)} ({why}); carrying on without")
            return False
    return True


# -- Commands ------------------------------------------------------------------------------------------

def manage(*args: str, settings: str = "huigong.settings.dev") -> None:
    sh([VENV_PY, "manage.py", *args], env={"DJANGO_SETTINGS_MODULE": settings})


def cmd_run(opts: argparse.Namespace) -> None:
    ensure_venv()
    ensure_packages(test=False)
    ensure_static_vendor()
    ensure_apt(RUN_FONTS, "CJK font for PDFs and screenshots; the app works without it")
    manage("collectstatic", "--noinput", "-v", "0")
    manage("migrate", "--noinput", "-v", "1")
    manage("seed_demo", "--members", str(opts.members), "--url", f"http://{opts.host}:{opts.port}/")
    if opts.no_serve:
        return
    say(f"serving on http://{opts.host}:{opts.port}/  (Ctrl-C to stop)")
    args = [str(VENV_PY), "manage.py", "runserver", f"{opts.host}:{opts.port}"]
    if opts.noreload:
        args.append("--noreload")
    os.chdir(ROOT)
    os.environ["DJANGO_SETTINGS_MODULE"] = "huigong.settings.dev"
    os.execv(str(VENV_PY), args)  # the server replaces this process, so signals reach it directly


def cmd_test(pytest_args: list[str]) -> int:
    ensure_venv()
    ensure_packages(test=True)
    ensure_static_vendor()
    if not ensure_apt(TEST_APT, "browser tests drive Debian's chromium") and not Path("/usr/bin/chromium").exists():
        say("NOTE: browser tests will be skipped (no /usr/bin/chromium)")
    db = os.environ.get("DATABASE_URL", "")
    # Both cores (pytest-xdist, one database per worker) unless the caller chose (-n, -p no:xdist).
    if not any(a == "-n" or a.startswith(("-n", "--numprocesses")) or a == "no:xdist" for a in pytest_args):
        workers = str(min(os.cpu_count() or 1, 4))
        # worksteal: an idle worker takes tests queued for the other, so neither waits at the end.
        pytest_args = ["-n", workers, "--dist", "worksteal", *pytest_args] if workers != "1" else pytest_args
    say(f"running the suite on {'PostgreSQL' if db.startswith('postgres') else 'SQLite'}")
    rc = subprocess.call([str(VENV_PY), "-m", "pytest", *pytest_args], cwd=ROOT,
                         env={**os.environ, "DJANGO_SETTINGS_MODULE": "huigong.settings.test"},
                         stdin=subprocess.DEVNULL)
    if rc == 5:
        say("ERROR: pytest collected no tests: that is a failure, not a pass")
        return 1
    return rc


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python3 dev.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="install, migrate, load the demo and serve on http://127.0.0.1:8000")
    run.add_argument("--host", default=HOST)
    run.add_argument("--port", type=int, default=PORT)
    run.add_argument("--members", type=int, default=int(os.environ.get("HUIGONG_DEMO_MEMBERS", "50000")),
                     help="synthetic members in the demo (first run only)")
    run.add_argument("--no-serve", action="store_true", help="set everything up, then stop")
    run.add_argument("--noreload", action="store_true", help="don't restart the server when code changes")
    sub.add_parser("test", help="install test dependencies and run the whole suite (extra args go to pytest)",
                   add_help=False)
    if argv[:1] == ["test"]:
        ensure_python()
        return cmd_test(argv[1:])
    opts = parser.parse_args(argv)
    ensure_python()
    cmd_run(opts)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
