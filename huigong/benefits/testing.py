"""Builders for the benefits tests, the bench and the demo: programmes and many members fast."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import secrets

from django.core.files.uploadedfile import SimpleUploadedFile

from huigong.members.models import EmploymentForm, Gender, Membership, MembershipStatus, Person
from huigong.orgs.models import Enterprise, UnionNode

from . import services
from .models import BenefitProgramme, ProgrammeKind, ServiceBoard

_seq = itertools.count(1)


def clerk(cast):
    """A staff member at the cast's city who takes receipts on the workers' behalf, so that city_admin
    may review them: nobody reviews what they submitted (core/duties.py)."""
    from django.contrib.auth import get_user_model

    from huigong.accounts.models import Role
    from huigong.testing import make_staff

    user = get_user_model().objects.filter(username="city_clerk").first()
    return user or make_staff(cast.hangzhou, Role.STAFF, "city_clerk")


def make_programme(actor, node: UnionNode, *, kind: str = ProgrammeKind.QUOTA, quota: int | None = 10,
                   open_now: bool = True, **kw) -> BenefitProgramme:
    kw.setdefault("board", ServiceBoard.CARE)
    kw.setdefault("title", f"职工健康体检{next(_seq)}")
    kw.setdefault("year", 2026)
    if kind == ProgrammeKind.REIMBURSEMENT:
        kw.setdefault("reimbursement_cap_fen", 8000)
    if kind == ProgrammeKind.DISTRIBUTION:
        quota = None
    programme = services.programme_create(actor=actor, node=node, kind=kind, quota_total=quota, **kw)
    if open_now:
        programme = services.programme_open(actor=actor, programme=programme)
    return programme


def bulk_members(union: UnionNode, n: int, *, employer: Enterprise | None = None,
                 employment_form: str = EmploymentForm.CONTRACT, tag: str | None = None) -> list[Person]:
    """`n` synthetic members of `union` in two bulk inserts. Their ID numbers are not real ones (the
    hash is unique): enough for claims, never shown."""
    tag = tag or secrets.token_hex(4)
    people = [Person(name=f"职工{tag}{i}", id_number="000000000000000000", id_number_hash=f"bulk-{tag}-{i}",
                     id_number_mask="000000********0000", gender=Gender.MALE, birth_date=dt.date(1990, 1, 1),
                     employment_form=employment_form, employer=employer) for i in range(n)]
    people = Person.objects.bulk_create(people, batch_size=2000)
    Membership.objects.bulk_create([Membership(person=p, union=union, status=MembershipStatus.ACTIVE,
                                               joined_on=dt.date(2024, 1, 1), source="bulk") for p in people],
                                   batch_size=2000)
    return people


def receipt_png(width: int = 40, height: int = 30) -> SimpleUploadedFile:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (240, 240, 230)).save(buf, format="PNG")
    return SimpleUploadedFile("IMG_0001.png", buf.getvalue(), content_type="image/png")


def receipt_pdf() -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return SimpleUploadedFile("receipt.pdf", body, content_type="application/pdf")
