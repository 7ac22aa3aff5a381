"""The honours app's person facet (huigong.core.facets): people holding an active model-worker title."""

from __future__ import annotations

from django.db.models import QuerySet

from huigong.members.models import Person

from .models import Honour, HonourStatus, HolderKind
from .models.register import MODEL_WORKER_TITLES


def model_worker_ids() -> QuerySet:
    held = Honour.objects.filter(holder_kind=HolderKind.PERSON, status=HonourStatus.ACTIVE,
                                 title_type__in=MODEL_WORKER_TITLES, person__isnull=False)
    return Person.objects.filter(pk__in=held.values("person_id")).values("pk")
