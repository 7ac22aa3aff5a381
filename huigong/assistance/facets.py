"""The assistance app's person facet (huigong.core.facets): heads of an open hardship file (在档困难职工)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from huigong.members.models import Person

from .models import FileStatus, HardshipFile


def hardship_head_ids() -> QuerySet:
    files = HardshipFile.objects.filter(status=FileStatus.OPEN)
    return Person.objects.filter(pk__in=files.values("head_id")).values("pk")


def hardship_file_links(user, person_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Links to the open or draft hardship files of these people that the staff user may view (none for
    anyone else): the file page is scoped by the file's union, so only files in the user's subtree."""
    staff = getattr(user, "staff", None) if getattr(user, "is_authenticated", False) else None
    if staff is None or not user.is_active or not staff.can("view"):
        return {}
    out: dict[int, list[tuple[str, str]]] = {}
    files = (HardshipFile.objects.filter(head_id__in=person_ids, node_path__startswith=staff.node.path)
             .exclude(status=FileStatus.CLOSED).only("pk", "file_no", "head_id", "status").order_by("pk"))
    for f in files:
        label = _("困难职工档案 %(no)s（%(status)s）") % {"no": f.file_no, "status": f.get_status_display()}
        out.setdefault(f.head_id, []).append((label, reverse("assistance:file_detail", args=[f.pk])))
    return out
