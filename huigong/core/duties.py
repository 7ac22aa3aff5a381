"""Segregation of duties (职责分离): one rule for every approval and every payment in the product.

- Nobody decides what they created or applied for: `ensure_not_party` refuses an actor who is one of
  the item's parties (its applicant, and whoever created, edited or submitted it: `authors`, read
  from the audit trail, which every service writes in the same transaction as the change).
- Nobody pays what they approved: `ensure_not_party` with the item's approvers (`action="发放"`).
- A chain with one person at every step is refused at submission: `ensure_chain_has_second_person`
  is given, for each step, the users who could act on it.

Refusals are PermissionDenied (a `DutyConflict`) for the actor, ValidationError for a chain, both with
a Chinese message that says which rule applies.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext as _

from .models import AuditEvent


class DutyConflict(PermissionDenied):
    """The actor may not act on this item: they are one of its parties."""


def user_ids(users: Iterable) -> set[int]:
    out = set()
    for u in users:
        pk = getattr(u, "pk", u)
        if pk is not None:
            out.add(int(pk))
    return out


def authors(obj: models.Model, verbs: Iterable[str]) -> set[int]:
    """The users who wrote `obj` with one of `verbs` (e.g. create, update, submit), by its audit trail."""
    return set(AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk),
                                         verb__in=list(verbs), actor__isnull=False)
               .values_list("actor_id", flat=True))


def authors_of_many(model, pks: Iterable, verbs: Iterable[str]) -> dict[int, set[int]]:
    """`authors` for many objects of one model in one query: {pk: user ids}."""
    out: dict[int, set[int]] = {}
    rows = AuditEvent.objects.filter(object_type=model._meta.label_lower, object_id__in=[str(p) for p in pks],
                                     verb__in=list(verbs), actor__isnull=False).values_list("object_id", "actor_id")
    for object_id, actor_id in rows:
        out.setdefault(int(object_id), set()).add(actor_id)
    return out


def ensure_not_party(actor, parties: Iterable, *, action: str = "审批", role: str = "申请或经办") -> None:
    """Refuse `actor` when they are one of `parties` (users or user ids; None is ignored)."""
    pk = getattr(actor, "pk", None)
    if pk is not None and int(pk) in user_ids(parties):
        raise DutyConflict(_("职责分离：您%(role)s了此事项，不能%(action)s，请由其他有权限的人员办理")
                           % {"role": role, "action": action})


def ensure_not_approver(actor, approvers: Iterable, *, action: str = "发放") -> None:
    """Refuse `actor` when they approved the item (nobody pays what they approved)."""
    ensure_not_party(actor, approvers, action=action, role="审批")


def ensure_chain_has_second_person(*, parties: Iterable, steps: Sequence[Collection]) -> None:
    """Refuse a chain in which one single person would act at every step.

    `parties` are the item's applicant and authors (who may not decide it); `steps` holds, for each
    step, the users (or ids) who could act on it. Refused when some step can be acted on only by the
    parties (nobody else may decide it), or when every step of a chain of two or more can be acted on
    only by the same one person. A step nobody can act on yet is not refused: an approver may still be
    appointed before the chain reaches it."""
    sets = [user_ids(s) for s in steps]
    mine = user_ids(parties)
    for s in sets:
        if s and s <= mine:
            raise ValidationError(_("职责分离：审批链中有一步只能由申请人本人审批，不能提交；请先为该单位增设另一名审批人员"))
    if len(sets) >= 2 and all(len(s) == 1 for s in sets) and len(set().union(*sets)) == 1:
        raise ValidationError(_("职责分离：审批链的每一步都只能由同一人审批，不能提交；请先增设其他审批人员"))
