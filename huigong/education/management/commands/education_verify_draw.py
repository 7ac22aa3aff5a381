"""Re-runs a round's published draw: `python manage.py education_verify_draw <programme id>` checks the
stored draw against the database; with `--seed` and `--entrants FILE` (one application number a line,
as the public page hands it out, `id:precedence` where the round published one: a priority tier or
merit points) it checks a published draw from what was published alone."""

from django.core.management.base import BaseCommand, CommandError

from huigong.core.capacity import lottery
from huigong.core.capacity import services as cap
from huigong.education import services
from huigong.education.models import Programme


class Command(BaseCommand):
    help = "Verify a 求学圆梦 draw from its published seed and entrant list"

    def add_arguments(self, parser):
        parser.add_argument("programme", type=int)
        parser.add_argument("--seed", help="the published seed (default: the stored one)")
        parser.add_argument("--entrants", help="a file with the published entrant list (one id a line)")

    def handle(self, *args, programme, seed=None, entrants=None, **opts):
        p = Programme.objects.filter(pk=programme).first()
        if p is None:
            raise CommandError(f"no programme {programme}")
        record, problems = services.draw_verify(p)
        if record is None:
            raise CommandError(f"programme {programme} has no draw")
        ids, prec = record.entrants, cap.draw_precedence(record)
        if entrants:
            with open(entrants, encoding="utf-8") as f:
                ids, prec = lottery.parse_lines(f)
        seed = seed or record.seed
        order = lottery.order(seed, ids, prec)
        self.stdout.write(f"seed: {seed}")
        self.stdout.write(f"entrants: {len(ids)} ({len(prec)} with a precedence)  "
                          f"sha256: {lottery.entrants_hash(ids, prec)}")
        if lottery.entrants_hash(ids, prec) != record.entrants_hash:
            problems.append("published entrant list differs from the draw's")
        if order != [r[0] for r in record.result]:
            problems.append("order differs from the published result")
        if problems:
            raise CommandError("draw NOT verified: " + ", ".join(dict.fromkeys(problems)))
        self.stdout.write(self.style.SUCCESS(
            f"draw verified: {sum(1 for r in record.result if r[1] == 'granted')} granted in the published order"))
