"""python manage.py tick [--all]: run the periodic housekeeping jobs that are due (or all of them)."""

from django.core.management.base import BaseCommand

from huigong.core import periodic


class Command(BaseCommand):
    help = "Runs the periodic housekeeping jobs (notices, rollups, stale imports)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="run every job now, due or not")

    def handle(self, *args, all, **options):
        results = periodic.tick(force=True) if all else periodic.tick()
        for name, outcome in sorted(results.items()):
            self.stdout.write(f"{name}: {outcome}")
        if not results:
            self.stdout.write("nothing was due")
