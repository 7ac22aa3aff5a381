"""Builders for tests of the portal and of other apps' worker pages (no SMS round trip)."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model

from huigong.core.crypto import mask_phone
from huigong.members.models import EmploymentForm

from . import join, services
from .models import JoinApplication, WorkerAccount

_seq = itertools.count(1)
PASSWORD = "Hg-worker-2026"


def make_worker_account(phone: str | None = None, *, person=None, password: str = PASSWORD) -> WorkerAccount:
    phone = phone or f"137{next(_seq):08d}"
    user = get_user_model().objects.create_user(username=services.worker_username(phone), password=password)
    return WorkerAccount.objects.create(user=user, person=person, phone=phone, phone_hash=services.phone_hash(phone),
                                        phone_mask=mask_phone(phone))


def submit_join(account: WorkerAccount | None = None, *, name: str = "陈骑手", id_number: str | None = None,
                employment_form: str = EmploymentForm.RIDER, employer=None, platform=None, area=None
                ) -> JoinApplication:
    from huigong.testing import new_id_number

    account = account or make_worker_account()
    services.consent_give(account=account, purpose="id_number")  # the identity step asks for it first
    return join.join_submit(account=account, draft=join.Draft(
        name=name, id_number=id_number or new_id_number(), employment_form=employment_form, employer=employer,
        platform=platform, area=area))


def sign_in(client, account: WorkerAccount) -> None:
    """Signs a Django test client in as a worker the way the portal's sign-in does."""
    from huigong.accounts import backends
    from huigong.accounts.middleware import WORKER_SESSION_KEY

    client.force_login(account.user, backend=backends.PATH)
    session = client.session
    session[WORKER_SESSION_KEY] = True
    session.save()
