"""Writes of the workers' portal: accounts and one-time codes, messages, consents. Join applications
are in join.py. Other apps call `message_send` to notify a worker, and `consent_give`/`consent_withdraw`
through the consent page."""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from huigong.core import phone as phone_rules
from huigong.core.audit import audit
from huigong.core.crypto import blind_index, mask_phone
from huigong.core.request_context import current_ip
from huigong.members.models import Person

from .consent_texts import ensure_consent_texts
from .models import Consent, ConsentPurpose, ConsentText, Message, SmsCode, SmsPurpose, WorkerAccount
from .sms import get_sender

CODE_TTL = dt.timedelta(minutes=5)
CODE_MAX_ATTEMPTS = 5
RESEND_AFTER = dt.timedelta(seconds=60)
MAX_CODES_PER_HOUR = 5
# One address asking codes for many phones (SMS bombing, or enumerating who is registered).
MAX_CODES_PER_IP_HOUR = 20


def normalize_phone(raw: str) -> str:
    phone = phone_rules.normalize(raw or "")
    if not phone_rules.is_valid(phone):
        raise ValidationError({"phone": ["手机号格式不正确 / phone must be an 11-digit mainland mobile number"]})
    return phone


def phone_hash(phone: str) -> str:
    return blind_index(phone, "phone")


def worker_username(phone: str) -> str:
    """The auth username of a worker: derived from the blind index, so it never shows the number, and
    django-axes counts failed sign-ins per phone."""
    return "w-" + phone_hash(phone)[:40]


def _code_hash(phone: str, purpose: str, code: str) -> str:
    return blind_index(f"{phone}:{purpose}:{code}", "sms")


# --- One-time codes -----------------------------------------------------------------------------------

def sms_code_send(*, phone: str, purpose: str) -> SmsCode:
    """Sends a fresh 6-digit code. Throttled: one per minute and five per hour per phone and purpose."""
    phone = normalize_phone(phone)
    if purpose not in SmsPurpose.values:
        raise ValueError(purpose)
    h = phone_hash(phone)
    now = timezone.now()
    if purpose == SmsPurpose.SIGNUP and WorkerAccount.objects.filter(phone_hash=h).exists():
        raise ValidationError({"phone": ["该手机号已注册，请直接登录 / this phone is already registered; sign in"]})
    if purpose == SmsPurpose.LOGIN and not WorkerAccount.objects.filter(phone_hash=h).exists():
        raise ValidationError({"phone": ["该手机号尚未注册 / this phone is not registered yet"]})
    with transaction.atomic():
        recent = list(SmsCode.objects.select_for_update().filter(phone_hash=h, purpose=purpose,
                                                                 created_at__gte=now - dt.timedelta(hours=1))
                      .order_by("-created_at").values_list("created_at", flat=True))
        if recent and now - recent[0] < RESEND_AFTER:
            wait = int((RESEND_AFTER - (now - recent[0])).total_seconds()) + 1
            raise ValidationError({"phone": [f"验证码发送过于频繁，请{wait}秒后再试 / wait {wait} s before asking again"]})
        if len(recent) >= MAX_CODES_PER_HOUR:
            raise ValidationError({"phone": ["本小时内验证码次数已用完，请稍后再试 / too many codes this hour; try later"]})
        ip = current_ip()
        if ip and SmsCode.objects.filter(ip=ip, created_at__gte=now - dt.timedelta(hours=1)).count() \
                >= MAX_CODES_PER_IP_HOUR:
            raise ValidationError({"phone": ["请求过于频繁，请稍后再试 / too many requests from this network; try later"]})
        code = f"{secrets.randbelow(1_000_000):06d}"
        row = SmsCode.objects.create(phone_hash=h, purpose=purpose, code_hash=_code_hash(phone, purpose, code),
                                     created_at=now, expires_at=now + CODE_TTL, ip=ip)
    get_sender().send(phone, f"【惠工e家】您的验证码是 {code}，5分钟内有效。请勿告诉他人。")
    return row


def sms_code_check(*, phone: str, purpose: str, code: str) -> None:
    """Consumes the latest live code if `code` matches; every wrong try counts, and a code dies after
    CODE_MAX_ATTEMPTS of them. Raises ValidationError on the `code` field."""
    h = phone_hash(phone)
    now = timezone.now()
    row = (SmsCode.objects.filter(phone_hash=h, purpose=purpose, used_at__isnull=True, expires_at__gt=now,
                                  attempts__lt=CODE_MAX_ATTEMPTS).order_by("-created_at").first())
    bad = ValidationError({"code": ["验证码错误或已过期 / the code is wrong or has expired"]})
    if row is None:
        raise bad
    # The attempt is counted by a conditional UPDATE first, so parallel guesses cannot exceed the limit.
    counted = SmsCode.objects.filter(pk=row.pk, attempts__lt=CODE_MAX_ATTEMPTS, used_at__isnull=True
                                     ).update(attempts=F("attempts") + 1)
    if not counted:
        raise bad
    code = (code or "").strip()
    if not (len(code) == 6 and code.isdigit()) or not secrets.compare_digest(row.code_hash,
                                                                            _code_hash(phone, purpose, code)):
        raise bad
    if not SmsCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now):
        raise bad


# --- Accounts -----------------------------------------------------------------------------------------

def account_signup(*, phone: str, password: str, code: str) -> WorkerAccount:
    # Not atomic as a whole: a wrong code's counted attempt must stay counted when the sign-up fails.
    phone = normalize_phone(phone)
    h = phone_hash(phone)
    if WorkerAccount.objects.filter(phone_hash=h).exists():
        raise ValidationError({"phone": ["该手机号已注册，请直接登录 / this phone is already registered; sign in"]})
    User = get_user_model()
    user = User(username=worker_username(phone))
    try:
        password_validation.validate_password(password, user)
    except ValidationError as e:
        raise ValidationError({"password": e.messages}) from None
    sms_code_check(phone=phone, purpose=SmsPurpose.SIGNUP, code=code)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            account = WorkerAccount.objects.create(user=user, phone=phone, phone_hash=h, phone_mask=mask_phone(phone))
            audit(actor=user, verb="portal.account.create", obj=account, new={"phone_mask": account.phone_mask})
    except IntegrityError:
        raise ValidationError({"phone": ["该手机号已注册，请直接登录 / this phone is already registered; sign in"]}) \
            from None
    return account


def account_for_phone(phone: str) -> WorkerAccount | None:
    return WorkerAccount.objects.select_related("user").filter(phone_hash=phone_hash(phone)).first()


def account_login_by_code(*, phone: str, code: str) -> WorkerAccount:
    phone = normalize_phone(phone)
    account = account_for_phone(phone)
    if account is None or not account.user.is_active:
        raise ValidationError({"code": ["验证码错误或已过期 / the code is wrong or has expired"]})
    sms_code_check(phone=phone, purpose=SmsPurpose.LOGIN, code=code)
    return account


# --- Messages -----------------------------------------------------------------------------------------

def message_send(*, person: Person | None = None, account: WorkerAccount | None = None, title: str, body: str = "",
                 link: str = "") -> Message:
    """Notifies a worker. Other apps pass the Person (claim granted, application approved…); the portal
    itself may address an account whose holder is not a member yet. Call it inside your transaction: the
    message commits or rolls back with the change it announces."""
    if person is None and account is None:
        raise ValueError("message_send needs a person or an account")
    return Message.objects.create(person=person, account=account, title=title[:120], body=body, link=link[:255])


def message_mark_read(*, account: WorkerAccount, message: Message) -> None:
    if message.read_at is None:
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=timezone.now())


def messages_mark_all_read(*, account: WorkerAccount) -> int:
    from .selectors import messages_for_account

    return messages_for_account(account).filter(read_at__isnull=True).update(read_at=timezone.now())


# --- Consent (PIPL art. 29) ---------------------------------------------------------------------------

def consent_text_current(purpose: str) -> ConsentText:
    text = ConsentText.objects.filter(purpose=purpose).order_by("-version").first()
    if text is None and purpose in ConsentPurpose.values:
        # A database emptied after migrating (flush, a reset demo) gets the shipped texts back.
        ensure_consent_texts()
        text = ConsentText.objects.filter(purpose=purpose).order_by("-version").first()
    if text is None:
        raise ConsentText.DoesNotExist(f"no consent text for purpose {purpose!r}")
    return text


@transaction.atomic
def consent_give(*, account: WorkerAccount, purpose: str) -> Consent:
    """Records consent to the current text of `purpose` (a newer text replaces an older live consent)."""
    text = consent_text_current(purpose)
    live = Consent.objects.select_for_update().filter(account=account, purpose=purpose,
                                                      withdrawn_at__isnull=True).first()
    if live is not None and live.text_id == text.pk:
        return live
    now = timezone.now()
    if live is not None:
        live.withdrawn_at = now
        live.save(update_fields=["withdrawn_at"])
    consent = Consent.objects.create(account=account, person=account.person, purpose=purpose, text=text,
                                     given_at=now, ip=current_ip())
    audit(actor=account.user, verb="portal.consent.give", obj=consent,
          new={"purpose": purpose, "version": text.version})
    return consent


@transaction.atomic
def consent_withdraw(*, account: WorkerAccount, purpose: str) -> str:
    """Withdraws the live consent of `purpose`; returns the text explaining the effect (shown to the worker)."""
    live = Consent.objects.select_for_update().select_related("text").filter(
        account=account, purpose=purpose, withdrawn_at__isnull=True).first()
    if live is None:
        raise ValidationError({"purpose": ["没有可撤回的授权 / there is no consent to withdraw"]})
    live.withdrawn_at = timezone.now()
    live.save(update_fields=["withdrawn_at"])
    audit(actor=account.user, verb="portal.consent.withdraw", obj=live,
          old={"purpose": purpose, "version": live.text.version}, new={"withdrawn_at": live.withdrawn_at})
    return live.text.withdraw_effect
