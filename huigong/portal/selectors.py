"""Reads of the workers' portal. A worker only ever reads rows of their own account or Person: every
selector takes the account and filters by it; an id that is not theirs is a 404."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Consent, ConsentText, Message, WorkerAccount


def messages_for_account(account: WorkerAccount) -> QuerySet[Message]:
    q = Q(account=account)
    if account.person_id:
        q |= Q(person_id=account.person_id)
    return Message.objects.filter(q)


def message_unread_count(account: WorkerAccount) -> int:
    return messages_for_account(account).filter(read_at__isnull=True).count()


def message_get_for_account(account: WorkerAccount, message_id) -> Message:
    try:
        return messages_for_account(account).get(pk=int(message_id))
    except (Message.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def consent_live(account: WorkerAccount, purpose: str) -> Consent | None:
    return (Consent.objects.select_related("text")
            .filter(account=account, purpose=purpose, withdrawn_at__isnull=True).first())


def consent_active(account: WorkerAccount | None, purpose: str) -> bool:
    """True when the worker has a live consent to the CURRENT text of `purpose` (a newer text asks again)."""
    if account is None:
        return False
    live = consent_live(account, purpose)
    if live is None:
        return False
    latest = ConsentText.objects.filter(purpose=purpose).order_by("-version").values_list("pk", flat=True).first()
    return latest == live.text_id


def consents_for_account(account: WorkerAccount) -> list[Consent]:
    return list(Consent.objects.select_related("text").filter(account=account).order_by("-given_at", "-id"))
