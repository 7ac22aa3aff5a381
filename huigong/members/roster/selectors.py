"""Reads of roster imports, scoped to the actor's subtree like every other lookup."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from huigong.accounts.models import Cap
from huigong.core.scope import ensure_path_in_scope, require, root_path
from huigong.members.models import RosterImport


def roster_import_list_for_actor(actor) -> QuerySet[RosterImport]:
    require(actor, Cap.IMPORT)
    return (RosterImport.objects.filter(union__path__startswith=root_path(actor))
            .select_related("union", "enterprise", "created_by").order_by("-created_at", "-id"))


def roster_import_get_for_actor(actor, import_id) -> RosterImport:
    require(actor, Cap.IMPORT)
    try:
        imp = RosterImport.objects.select_related("union", "enterprise", "created_by").get(pk=import_id)
    except (RosterImport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    ensure_path_in_scope(actor, imp.union.path)
    return imp
