#!/usr/bin/env python3
"""Screenshots of every console page, for looking at the UI (laptop 1366x900 and phone 390x844).

Builds (or reuses) a small demo in its own var dir, starts a dev server on a free port, signs in
with Playwright driving Debian's chromium (/usr/bin/chromium; never a downloaded browser) and saves
PNGs into test-artifacts/screenshots/.

  .venv/bin/python scripts/screenshots.py [--members 2000] [--user hangzhou_admin] [--only audit]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORTS = {"laptop": (1366, 900), "phone": (390, 844)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True)


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server did not answer at {url} within {timeout}s")


def pages_for(username: str) -> list[tuple[str, str]]:
    """(slug, path) of every console page that exists, with real object ids from the demo."""
    from django.contrib.auth import get_user_model
    from django.urls import NoReverseMatch, reverse

    from huigong.accounts.models import StaffProfile
    from huigong.members.models import Membership, RosterImport
    from huigong.orgs.models import Enterprise, ServiceSite, UnionNode

    user = get_user_model().objects.get(username=username)
    node = user.staff.node
    prefix = node.path
    child = UnionNode.objects.filter(path__startswith=prefix, depth=node.depth + 1).order_by("path").first()
    ent = Enterprise.objects.filter(union__path__startswith=prefix).order_by("id").first()
    platform = Enterprise.objects.filter(union__path__startswith=prefix, kind="platform").order_by("id").first()
    site = ServiceSite.objects.filter(union__path__startswith=prefix).order_by("id").first()
    member = Membership.objects.filter(union__path__startswith=prefix, status="active").order_by("id").first()
    other = StaffProfile.objects.filter(node__path__startswith=prefix).exclude(user=user).order_by("id").first()
    imp = RosterImport.objects.filter(union__path__startswith=prefix).order_by("-id").first()

    wanted: list[tuple[str, str, list]] = [
        ("home", "console:home", []),
        ("audit", "console:audit", []),
        ("audit-access", "console:audit_access", []),
        ("tree", "orgs:tree", []),
        ("node-detail", "orgs:node_detail", [child.pk if child else node.pk]),
        ("node-create", "orgs:node_create", [node.pk]),
        ("enterprise-list", "orgs:enterprise_list", []),
        ("enterprise-detail", "orgs:enterprise_detail", [ent.pk] if ent else None),
        ("platform-detail", "orgs:enterprise_detail", [platform.pk] if platform else None),
        ("enterprise-create", "orgs:enterprise_create", []),
        ("site-list", "orgs:site_list", []),
        ("site-edit", "orgs:site_edit", [site.pk] if site else None),
        ("member-list", "members:list", []),
        ("member-detail", "members:detail", [member.person_id] if member else None),
        ("member-create", "members:create", []),
        ("import-list", "members:import_list", []),
        ("import-detail", "members:import_detail", [imp.pk] if imp else None),
        ("staff-list", "accounts:staff_list", []),
        ("staff-create", "accounts:staff_create", []),
        ("staff-detail", "accounts:staff_detail", [other.pk] if other else None),
        ("tokens", "accounts:tokens", []),
        ("profile", "accounts:profile", []),
        ("password-change", "accounts:password_change", []),
        ("totp-enrol", "accounts:totp", []),
    ]
    out = []
    for slug, name, args in wanted:
        if args is None:
            continue
        try:
            out.append((slug, reverse(name, args=args)))
        except NoReverseMatch:
            print(f"  (skipping {name}: no such page yet)")
    return out


def leave_a_trail(username: str) -> None:
    """A few real writes through the services, so the audit browser has changes to show."""
    from django.contrib.auth import get_user_model

    from huigong.accounts import services
    from huigong.accounts.models import Role, StaffProfile

    actor = get_user_model().objects.get(username=username)
    staff = StaffProfile.objects.filter(user__username="screenshot_clerk").first()
    if staff is None:
        staff, _password = services.staff_create(actor=actor, node=actor.staff.node, username="screenshot_clerk",
                                                 role=Role.VIEWER, display_name="截图用查看员")
    services.staff_update_role(actor=actor, staff=staff,
                               role=Role.STAFF if staff.role == Role.VIEWER else Role.VIEWER,
                               display_name="截图用工作人员")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--var-dir", default="/tmp/huigong-screenshots-var",
                    help="data dir of the demo used (kept between runs; delete it to rebuild)")
    ap.add_argument("--members", type=int, default=2000, help="demo members when the demo is built")
    ap.add_argument("--user", default="hangzhou_admin")
    ap.add_argument("--password", default="Huigong-demo-2025")
    ap.add_argument("--out", default=str(ROOT / "test-artifacts" / "screenshots"))
    ap.add_argument("--only", default="", help="only pages whose slug contains this")
    ap.add_argument("--lang", default="zh-hans", choices=["zh-hans", "en"])
    opts = ap.parse_args()

    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)", file=sys.stderr)
        return 2
    env = dict(os.environ, HUIGONG_VAR_DIR=opts.var_dir, DJANGO_SETTINGS_MODULE="huigong.settings.dev",
               DEBUG="1", PYTHONPATH=str(ROOT))
    env.pop("DATABASE_URL", None)  # always the embedded SQLite demo, never a shared database
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo", "--members", str(opts.members), "--password", opts.password)

    os.environ.update({k: env[k] for k in ("HUIGONG_VAR_DIR", "DJANGO_SETTINGS_MODULE", "DEBUG")})
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    leave_a_trail(opts.user)
    pages = [p for p in pages_for(opts.user) if opts.only in p[0]]

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}",
                               "--noreload"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        wait_for(f"{base}/accounts/login/")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for label, (w, h) in VIEWPORTS.items():
                ctx = browser.new_context(viewport={"width": w, "height": h}, locale="zh-CN",
                                          device_scale_factor=1)
                page = ctx.new_page()
                page.goto(f"{base}/accounts/login/")
                if not opts.only or "login" in opts.only:
                    page.screenshot(path=str(out / f"login-{label}.png"), full_page=True)
                page.fill("input[name=username]", opts.user)
                page.fill("input[name=password]", opts.password)
                page.click("button[type=submit].btn-primary")
                page.wait_for_load_state("networkidle")
                if "/accounts/totp" in page.url:
                    print("the demo user has an authenticator enrolled; remove it or use another user",
                          file=sys.stderr)
                    return 1
                if opts.lang == "en":
                    page.click("button[name=language][value=en]")
                    page.wait_for_load_state("networkidle")
                for slug, path in pages:
                    resp = page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    status = resp.status if resp else 0
                    target = out / f"{slug}-{label}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(f"  {status}  {label:6}  {path:40}  {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
                if label == "phone" and (not opts.only or "drawer" in opts.only):
                    page.goto(f"{base}/")
                    page.click("label.nav-button")
                    page.wait_for_timeout(300)
                    page.screenshot(path=str(out / "nav-drawer-phone.png"))
                ctx.close()
            # The lockout page, reached the honest way: repeated wrong passwords for a throwaway name.
            if not opts.only or "locked" in opts.only:
                ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
                page = ctx.new_page()
                for _ in range(int(os.environ.get("AXES_FAILURE_LIMIT", "5"))):
                    page.goto(f"{base}/accounts/login/")
                    page.fill("input[name=username]", "screenshot_locked_demo")
                    page.fill("input[name=password]", "wrong-password")
                    page.click("button[type=submit].btn-primary")
                page.screenshot(path=str(out / "locked-laptop.png"), full_page=True)
                ctx.close()
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
