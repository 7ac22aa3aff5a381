"""Writes of the workers' portal: accounts and one-time codes, messages, consents. Join applications
are in join.py. Decisions notify a worker through the kernel's outbox (huigong.core.notify.services.notify),
whose portal channel (portal/notifications.py) writes the Message; `consent_give`/`consent_withdraw` are
called through the consent page."""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from huigong.core import phone as phone_rules
from huigong.core.audit import audit
from huigong.core.crypto import blind_index, mask_phone
from huigong.core.request_context import current_ip
from huigong.members.models import Person

from .consent_texts import ensure_consent_texts
from .models import (
    SIGNUP_PURPOSES,
    Consent,
    ConsentPurpose,
    ConsentText,
    Message,
    SmsCode,
    SmsPurpose,
    WorkerAccount,
)
from .sms import get_sender

log = logging.getLogger(__name__)

CODE_TTL = dt.timedelta(minutes=5)
CODE_MAX_ATTEMPTS = 5
RESEND_AFTER = dt.timedelta(seconds=60)
MAX_CODES_PER_HOUR = 5
# One address asking codes for many phones (SMS bombing, or enumerating who is registered).
MAX_CODES_PER_IP_HOUR = 20


def normalize_phone(raw: str) -> str:
    phone = phone_rules.normalize(raw or "")
    if not phone_rules.is_valid(phone):
        raise ValidationError({"phone": [gettext("手机号格式不正确")]})
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

SMS_FAILED = gettext_lazy("短信发送失败，请稍后再试")
# What the number's owner gets when a code cannot be used (already registered / not registered): the page
# answers the same either way, so it does not tell a stranger whether the number has an account.
_NOTICES = {
    SmsPurpose.SIGNUP: "【惠工e家】该手机号已注册惠工e家，请直接登录（可用短信验证码登录）。如非本人操作，请忽略。",
    SmsPurpose.LOGIN: "【惠工e家】该手机号尚未注册惠工e家，请先注册。如非本人操作，请忽略。",
    SmsPurpose.RESET: "【惠工e家】该手机号尚未注册惠工e家，请先注册。如非本人操作，请忽略。",
}


def sms_code_send(*, phone: str, purpose: str, for_account: str = "") -> SmsCode:
    """Sends a fresh 6-digit code. Throttled: one per minute and five per hour per phone and purpose, and
    MAX_CODES_PER_IP_HOUR per client address. Every attempt counts, including those for a number that
    cannot use the code (signing up an existing account, signing in to a missing one): that number's owner
    gets a notice instead of a code, and the caller sees the same answer as for a real code. A LINK code goes
    to the phone on a member's record (not the asking account's): its text names the account's masked phone
    `for_account`, so the member knows what they would confirm by passing it on."""
    phone = normalize_phone(phone)
    if purpose not in SmsPurpose.values:
        raise ValueError(purpose)
    h = phone_hash(phone)
    now = timezone.now()
    registered = WorkerAccount.objects.filter(phone_hash=h).exists()
    usable = registered if purpose in (SmsPurpose.LOGIN, SmsPurpose.RESET) else not registered
    if purpose == SmsPurpose.LINK:
        usable = True
    with transaction.atomic():
        recent = list(SmsCode.objects.select_for_update().filter(phone_hash=h, purpose=purpose,
                                                                 created_at__gte=now - dt.timedelta(hours=1))
                      .order_by("-created_at").values_list("created_at", flat=True))
        if recent and now - recent[0] < RESEND_AFTER:
            wait = int((RESEND_AFTER - (now - recent[0])).total_seconds()) + 1
            raise ValidationError({"phone": [gettext("验证码发送过于频繁，请%(wait)s秒后再试") % {"wait": wait}]})
        if len(recent) >= MAX_CODES_PER_HOUR:
            raise ValidationError({"phone": [gettext("本小时内验证码次数已用完，请稍后再试")]})
        ip = current_ip()
        if ip and SmsCode.objects.filter(ip=ip, created_at__gte=now - dt.timedelta(hours=1)).count() \
                >= MAX_CODES_PER_IP_HOUR:
            raise ValidationError({"phone": [gettext("请求过于频繁，请稍后再试")]})
        code = f"{secrets.randbelow(1_000_000):06d}"
        # A notice's row holds a hash no code matches: it only counts towards the limits.
        code_hash = _code_hash(phone, purpose, code) if usable else "-" + secrets.token_hex(20)
        row = SmsCode.objects.create(phone_hash=h, purpose=purpose, code_hash=code_hash,
                                     created_at=now, expires_at=now + CODE_TTL, ip=ip)
    text = f"【惠工e家】您的验证码是 {code}，5分钟内有效。请勿告诉他人。" if usable else _NOTICES[purpose]
    if purpose == SmsPurpose.LINK:
        text = (f"【惠工e家】验证码 {code}：用于把惠工e家账号（{for_account}）绑定为您的会员身份，5分钟内有效。"
                f"如非本人操作，请勿把验证码告诉任何人。")
    template, params = ("code", {"code": code}) if usable else (
        "registered" if purpose == SmsPurpose.SIGNUP else "not_registered", {})
    if purpose == SmsPurpose.LINK:
        template, params = "link", {"code": code, "account": for_account}
    try:
        get_sender().send(phone, text, template=template, params=params)
    except Exception:
        # The code never reached the phone: it must not count as sent (nor block a retry for a minute).
        log.exception("portal: SMS gateway failed")
        SmsCode.objects.filter(pk=row.pk).delete()
        raise ValidationError({"phone": [SMS_FAILED]}) from None
    return row


def sms_code_check(*, phone: str, purpose: str, code: str) -> None:
    """Consumes the latest live code if `code` matches; every wrong try counts, and a code dies after
    CODE_MAX_ATTEMPTS of them. Raises ValidationError on the `code` field."""
    h = phone_hash(phone)
    now = timezone.now()
    row = (SmsCode.objects.filter(phone_hash=h, purpose=purpose, used_at__isnull=True, expires_at__gt=now,
                                  attempts__lt=CODE_MAX_ATTEMPTS).order_by("-created_at").first())
    bad = ValidationError({"code": [gettext("验证码错误或已过期")]})
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
    # A registered number never had a usable sign-up code (sms_code_send sent a notice): the code check
    # fails like any wrong code, so this page does not tell who is registered either.
    phone = normalize_phone(phone)
    h = phone_hash(phone)
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
            for purpose in SIGNUP_PURPOSES:  # the terms and privacy policy agreed to on the sign-up page
                consent_give(account=account, purpose=purpose)
    except IntegrityError:
        raise ValidationError({"phone": [gettext("该手机号已注册，请直接登录")]}) \
            from None
    return account


def account_for_phone(phone: str) -> WorkerAccount | None:
    return WorkerAccount.objects.select_related("user").filter(phone_hash=phone_hash(phone)).first()


def account_login_by_code(*, phone: str, code: str) -> WorkerAccount:
    phone = normalize_phone(phone)
    account = account_for_phone(phone)
    if account is None or not account.user.is_active:
        raise ValidationError({"code": [gettext("验证码错误或已过期")]})
    sms_code_check(phone=phone, purpose=SmsPurpose.LOGIN, code=code)
    return account


def account_link_person(account: WorkerAccount, person: Person) -> None:
    """Links the (locked) account to `person`. Callers have the proof (see link.py and join.py) and audit."""
    if account.person_id == person.pk:
        return
    account.person = person
    account.save(update_fields=["person"])
    # Consents given before they were a member now name the person too.
    Consent.objects.filter(account=account, person__isnull=True).update(person=person)


# --- Messages -----------------------------------------------------------------------------------------

def message_send(*, person: Person | None = None, account: WorkerAccount | None = None, title: str, body: str = "",
                 link: str = "") -> Message:
    """A portal message with no notification behind it (the demo's welcome). Decisions go through
    huigong.core.notify instead: preferences, SMS, idempotency and the staff's delivery log."""
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


def consent_give(*, account: WorkerAccount, purpose: str) -> Consent:
    """Records consent to the current text of `purpose` (a newer text supersedes an older live consent).
    Two concurrent calls give one live consent: the loser of the race gets the winner's row."""
    try:
        return _consent_give(account=account, purpose=purpose)
    except IntegrityError:
        live = Consent.objects.filter(account=account, purpose=purpose, withdrawn_at__isnull=True).first()
        if live is None:
            raise
        return live


@transaction.atomic
def _consent_give(*, account: WorkerAccount, purpose: str) -> Consent:
    text = consent_text_current(purpose)
    live = Consent.objects.select_for_update().filter(account=account, purpose=purpose,
                                                      withdrawn_at__isnull=True).first()
    if live is not None and live.text_id == text.pk:
        return live
    now = timezone.now()
    if live is not None:
        live.withdrawn_at, live.superseded = now, True
        live.save(update_fields=["withdrawn_at", "superseded"])
    consent = Consent.objects.create(account=account, person=account.person, purpose=purpose, text=text,
                                     given_at=now, ip=current_ip())
    audit(actor=account.user, verb="portal.consent.give", obj=consent,
          new={"purpose": purpose, "version": text.version})
    return consent


WITHDRAWN_JOINS_NOTE = "正在审核的入会申请已一并撤回。"


@transaction.atomic
def consent_withdraw(*, account: WorkerAccount, purpose: str) -> str:
    """Withdraws the live consent of `purpose`; returns the text explaining the effect (shown to the worker).
    Withdrawing the ID-number consent also withdraws the account's pending join applications: the union
    would otherwise go on using the number."""
    if purpose in SIGNUP_PURPOSES:
        raise ValidationError({"purpose": [(gettext("服务协议和隐私政策不能单独撤回，如不再使用请注销账号"))]})
    live = Consent.objects.select_for_update().select_related("text").filter(
        account=account, purpose=purpose, withdrawn_at__isnull=True).first()
    if live is None:
        raise ValidationError({"purpose": [gettext("没有可撤回的授权")]})
    live.withdrawn_at = timezone.now()
    live.save(update_fields=["withdrawn_at"])
    audit(actor=account.user, verb="portal.consent.withdraw", obj=live,
          old={"purpose": purpose, "version": live.text.version}, new={"withdrawn_at": live.withdrawn_at})
    effect = live.text.withdraw_effect
    if purpose == ConsentPurpose.ID_NUMBER:
        from .join import join_withdraw
        from .models import OPEN_JOIN_STATUSES

        pending = list(account.join_applications.filter(status__in=OPEN_JOIN_STATUSES))
        for app in pending:
            join_withdraw(account=account, application=app)
        if pending:
            effect = f"{effect}{WITHDRAWN_JOINS_NOTE}"
    return effect


def worker_usernames_recompute(*, dry_run: bool = False) -> int:
    """After a key rotation: every worker's auth username again derives from the current blind-index
    key (the sign-in form looks the user up by it). Run by reencrypt_personal_data, in its transaction."""
    User = get_user_model()
    count = 0
    for account in WorkerAccount.objects.select_related("user").only("id", "phone", "user__id", "user__username"):
        wanted = worker_username(account.phone)
        if account.user.username != wanted:
            count += 1
            if not dry_run:
                User.objects.filter(pk=account.user.pk).update(username=wanted)
    return count


# --- Password (forgotten, or changed from 我的) -------------------------------------------------------

def account_password_reset(*, phone: str, code: str, password: str) -> WorkerAccount:
    """Sets a new password once the SMS code sent to the account's phone is confirmed. A number without an
    account never got a usable code, so it fails like a wrong code."""
    phone = normalize_phone(phone)
    account = account_for_phone(phone)
    user = account.user if account is not None else get_user_model()(username=worker_username(phone))
    try:
        password_validation.validate_password(password, user)
    except ValidationError as e:
        raise ValidationError({"password": e.messages}) from None
    sms_code_check(phone=phone, purpose=SmsPurpose.RESET, code=code)
    if account is None or not account.user.is_active:
        raise ValidationError({"code": [gettext("验证码错误或已过期")]})
    account.user.set_password(password)
    account.user.save(update_fields=["password"])
    audit(actor=account.user, verb="portal.account.password", obj=account, new={"phone_mask": account.phone_mask})
    return account


# --- Retention (a periodic job, see apps.py) ----------------------------------------------------------

JOIN_ID_RETENTION = dt.timedelta(days=180)
SMS_CODE_RETENTION = dt.timedelta(days=1)


def portal_purge() -> dict:
    """Deletes SMS code rows older than a day (and the daily ID-number check counters), and clears the encrypted ID number of join applications
    rejected or withdrawn more than JOIN_ID_RETENTION ago, with its blind index (the mask stays for the
    record).
    Idempotent."""
    from .models import IdentityCheck, JoinApplication, JoinStatus

    now = timezone.now()
    codes, _ = SmsCode.objects.filter(created_at__lt=now - SMS_CODE_RETENTION).delete()
    IdentityCheck.objects.filter(day__lt=timezone.localdate() - dt.timedelta(days=1)).delete()
    ids = (JoinApplication.objects.filter(status__in=[JoinStatus.REJECTED, JoinStatus.WITHDRAWN],
                                          decided_at__lt=now - JOIN_ID_RETENTION)
           .exclude(id_number_hash="").update(id_number=None, id_number_hash=""))
    return {"sms_codes": codes, "id_numbers": ids}
