"""我已是会员: a worker links their portal account to the member record their union already keeps. The
account holder proves to be that person by an SMS code sent to the phone ON THE RECORD (not the account's
phone), or the union holding the record confirms it (it knows its member and how to reach them). Nothing
is linked on a name and an ID number alone, and every step is audited.

The worker is told the same whether or not the name and ID number match a member (no oracle of who is a
member where): a request that matched nobody simply never succeeds and expires."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from huigong.accounts.models import Cap
from huigong.core import idnumber
from huigong.core.audit import audit
from huigong.core.notify.services import notify
from huigong.core.crypto import blind_index
from huigong.core.scope import ensure_path_in_scope, path_in_scope, require
from huigong.members.models import Membership, MembershipStatus, Person

from .join import _throttle_id_numbers, clean_identity
from .models import AccountLink, ConsentPurpose, LinkMethod, LinkStatus, SmsPurpose, WorkerAccount
from .services import account_link_person, sms_code_check, sms_code_send

LINK_SMS_TTL = dt.timedelta(minutes=10)
MAX_LINK_REQUESTS_PER_DAY = 5
ALREADY_LINKED = "您的账号已绑定会员身份"
BAD_CODE = "验证码错误或已过期"


def link_confirm_days() -> int:
    return int(getattr(settings, "HUIGONG_LINK_CONFIRM_DAYS", 15))


def _active(person: Person | None) -> Membership | None:
    if person is None:
        return None
    return (Membership.objects.select_related("union").filter(person=person, status=MembershipStatus.ACTIVE)
            .first())


def link_start(*, account: WorkerAccount, name: str, id_number: str, method: str) -> AccountLink:
    """Starts a link request. With `method` SMS a code goes to the phone on the member's record; with UNION
    the union holding the membership is asked to confirm. When the account's own (SMS-verified) phone is
    the record's phone, the account is linked at once: that phone already proved it."""
    from .selectors import consent_active

    if account.person_id:
        raise ValidationError({"id_number": [ALREADY_LINKED]})
    if method not in (LinkMethod.SMS, LinkMethod.UNION):
        raise ValidationError({"method": ["请选择验证方式"]})
    if not consent_active(account, ConsentPurpose.ID_NUMBER):
        raise ValidationError({"id_number": ["请先同意身份证号使用授权"]})
    name, number = clean_identity(name=name, id_number=id_number)
    now = timezone.now()
    if AccountLink.objects.filter(account=account, created_at__gte=now - dt.timedelta(days=1)).count() \
            >= MAX_LINK_REQUESTS_PER_DAY:
        raise ValidationError({"id_number": ["今天的绑定申请次数已达上限，请明天再试"]})
    h = blind_index(number, "id")
    _throttle_id_numbers(account, h)
    person = Person.objects.filter(id_number_hash=h).first()
    current = _active(person)
    match = current is not None and person.name == name
    if match and person.phone_hash and person.phone_hash == account.phone_hash:
        method = LinkMethod.ACCOUNT_PHONE
    expires = now + (LINK_SMS_TTL if method != LinkMethod.UNION else dt.timedelta(days=link_confirm_days()))
    link = AccountLink.objects.create(
        account=account, person=person if match else None, union=current.union if match else None,
        method=method, name=name, id_number_mask=idnumber.mask(number), phone_mask=account.phone_mask,
        expires_at=expires)
    audit(actor=account.user, verb="portal.link.request", obj=link, node_path=link.union.path if match else "",
          new={"method": method, "id_number_mask": link.id_number_mask, "matched": match})
    if method == LinkMethod.ACCOUNT_PHONE:
        return _confirm(link, actor=account.user, note="账号手机号与会员档案登记的手机号一致")
    if method == LinkMethod.SMS and match and person.phone:
        sms_code_send(phone=person.phone, purpose=SmsPurpose.LINK, for_account=account.phone_mask)
    return link


def link_confirm_code(*, account: WorkerAccount, link: AccountLink, code: str) -> AccountLink:
    """Links the account when `code` is the one sent to the record's phone. Not atomic: a wrong try stays
    counted (the code dies after a few) and is audited."""
    link = AccountLink.objects.select_related("person", "union").get(pk=link.pk, account=account)
    if link.method != LinkMethod.SMS or not link.is_pending or link.expires_at <= timezone.now():
        raise ValidationError({"code": [BAD_CODE]})
    try:
        if link.person is None or not link.person.phone:
            raise ValidationError({"code": [BAD_CODE]})
        sms_code_check(phone=link.person.phone, purpose=SmsPurpose.LINK, code=code)
    except ValidationError:
        audit(actor=account.user, verb="portal.link.code_wrong", obj=link,
              node_path=link.union.path if link.union_id else "")
        raise ValidationError({"code": [BAD_CODE]}) from None
    return _confirm(link, actor=account.user, note="短信验证码发送至会员档案登记的手机号并验证通过")


@transaction.atomic
def _confirm(link: AccountLink, *, actor, note: str) -> AccountLink:
    link = AccountLink.objects.select_for_update(of=("self",)).select_related("person").get(pk=link.pk)
    if not link.is_pending or link.person is None:
        raise ValidationError({"status": ["该绑定申请已处理"]})
    account = WorkerAccount.objects.select_for_update().get(pk=link.account_id)
    if account.person_id and account.person_id != link.person_id:
        raise ValidationError({"id_number": [ALREADY_LINKED]})
    current = _active(link.person)
    account_link_person(account, link.person)
    link.status, link.decided_at, link.note = LinkStatus.CONFIRMED, timezone.now(), note[:255]
    link.decided_by = actor
    link.save(update_fields=["status", "decided_at", "note", "decided_by"])
    audit(actor=actor, verb="portal.account.link", obj=account,
          node_path=current.union.path if current is not None else "",
          new={"person": link.person_id, "method": link.method, "link": link.pk, "note": link.note})
    notify(event="link.decided", key=f"link:{link.pk}:confirmed", user=account.user, person=link.person, node_path=current.union.path if current is not None else "", title="已绑定会员身份",
                 body="您的惠工e家账号已绑定会员身份，可以在“我的”页面查看电子会员卡，并办理各项会员服务。",
                 link=reverse("portal:me"))
    return link


@transaction.atomic
def link_decide(*, actor, link: AccountLink, confirm: bool, note: str) -> AccountLink:
    """The union holding the record (its staff, or anyone above it) confirms that the account holder is its
    member — having reached them by the contact on record or seen them in person — or refuses."""
    require(actor, Cap.MEMBER_WRITE)
    locked = (AccountLink.objects.select_for_update(of=("self",)).select_related("union", "person", "account")
              .get(pk=link.pk))
    if locked.union is None:
        raise ValidationError({"status": ["该申请不需要工会确认"]})
    ensure_path_in_scope(actor, locked.union.path)
    if locked.method != LinkMethod.UNION or not locked.is_pending:
        raise ValidationError({"status": ["该绑定申请已处理"]})
    if locked.expires_at <= timezone.now():
        raise ValidationError({"status": ["该绑定申请已过期"]})
    note = (note or "").strip()[:255]
    if not note:
        raise ValidationError({"note": ["请写明核实方式（如：已按档案登记电话联系本人确认）或不通过的原因"]})
    if confirm:
        current = _active(locked.person)
        if current is None or not path_in_scope(actor, current.union.path):
            raise ValidationError({"status": ["该会员的会籍已不在您的管辖范围内"]})
        return _confirm(locked, actor=actor, note=note)
    locked.status, locked.decided_by, locked.decided_at, locked.note = (
        LinkStatus.REFUSED, actor, timezone.now(), note)
    locked.save(update_fields=["status", "decided_by", "decided_at", "note"])
    audit(actor=actor, verb="portal.link.refuse", obj=locked, node_path=locked.union.path,
          new={"status": locked.status, "note": note})
    notify(event="link.decided", key=f"link:{locked.pk}:refused", user=locked.account.user, node_path=locked.union.path, title="会员身份绑定未通过",
                 body=f"工会未能确认您的会员身份：{note}", link=reverse("portal:link_start"))
    return locked


def links_expire() -> int:
    """The periodic job: requests past their time expire; a worker who waited for a union is told."""
    now = timezone.now()
    n = 0
    for link in AccountLink.objects.select_related("account").filter(status=LinkStatus.PENDING,
                                                                      expires_at__lte=now):
        with transaction.atomic():
            if not AccountLink.objects.filter(pk=link.pk, status=LinkStatus.PENDING).update(status=LinkStatus.EXPIRED,
                                                                                            decided_at=now):
                continue
            n += 1
            if link.method == LinkMethod.UNION:
                notify(event="link.decided", key=f"link:{link.pk}:expired", user=link.account.user, node_path=link.union.path if link.union_id else "", title="会员身份绑定未能确认",
                             body="工会未在期限内确认您的会员身份。您可以改用短信验证，或直接联系所在工会。",
                             link=reverse("portal:link_start"))
    return n
