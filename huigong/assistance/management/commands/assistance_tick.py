"""Periodic job of the assistance app: end the notices (公示) whose period is over.

Run it daily (cron / systemd timer): python manage.py assistance_tick"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext_lazy

from huigong.assistance.services.notices import notices_tick


class Command(BaseCommand):
    help = gettext_lazy("结束已到期的公示")

    def handle(self, *args, **options):
        done = notices_tick()
        self.stdout.write(f"ended {len(done)} notice(s): {done}")
