"""python manage.py seed_demo [--members 50000] [--reset]: the seed page's world, for a demo.

Idempotent: when the demo is already there it only prints the logins. --reset throws away the
whole database first (audit rows are append-only, so a demo cannot be taken out piece by piece):
it refuses on a database that holds anything but the demo."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from huigong.demo.build import DEFAULT_MEMBERS, DEFAULT_PASSWORD, DemoError, build, demo_logins, demo_present
from huigong.demo.world import DEMO_LOGIN_NOTE
from huigong.orgs.models import UnionNode


class Command(BaseCommand):
    help = "Builds the demo world (union tree, enterprises, sites, synthetic members, demo logins)."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=DEFAULT_MEMBERS, help="synthetic members to create")
        parser.add_argument("--reset", action="store_true",
                            help="wipe the (demo) database and build the demo again")
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="the one password of every demo login")
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="printed with the logins")

    def handle(self, *args, members, reset, password, url, **options):
        if members < 0:
            raise CommandError("--members must be >= 0")
        if demo_present() and not reset:
            self.stdout.write(gettext("演示数据已存在，未做改动（--reset 可重建）"))
            self._print_logins(password, url, existing=True)
            return
        if reset:
            if UnionNode.objects.exists() and not demo_present():
                raise CommandError(gettext("数据库中有非演示数据，拒绝清空"))
            if demo_present():
                self.stdout.write(gettext("清空演示数据库 …"))
                call_command("flush", interactive=False, verbosity=0)
        self.stdout.write(gettext("生成演示数据：%(members)s 名会员 …") % {"members": format(members, ",")})
        try:
            report = build(members=members, password=password)
        except DemoError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(self.style.SUCCESS(
            gettext("完成，用时 %(seconds)s 秒：%(nodes)s 个工会、%(enterprises)s 个单位（%(platforms)s 个平台）、"
                    "%(sites)s 个服务阵地、%(persons)s 人、%(active)s 个在会会籍、%(transfers)s 次转接、"
                    "%(withdrawn)s 次退会") % {
                "active": format(report.active, ","), "enterprises": report.enterprises, "nodes": report.nodes,
                "persons": format(report.persons, ","), "platforms": report.platforms,
                "seconds": format(report.seconds, ".1f"), "sites": report.sites, "transfers": report.transfers,
                "withdrawn": report.withdrawn}))
        for line in report.extras:
            self.stdout.write(f"  {line}")
        self._print_logins(password, url, existing=False)

    def _print_logins(self, password: str, url: str, *, existing: bool) -> None:
        rows = demo_logins()
        if not rows:
            return
        width = max(len(u) for u, _, _ in rows)
        self.stdout.write("")
        self.stdout.write(f"{DEMO_LOGIN_NOTE}:  {url}")
        for username, role, node in rows:
            self.stdout.write(f"  {username.ljust(width)}  {role}  {node}")
        if existing:
            self.stdout.write("  " + gettext("密码：%(password)s（如未修改）") % {"password": password})
        else:
            self.stdout.write("  " + gettext("密码：%(password)s") % {"password": password})
