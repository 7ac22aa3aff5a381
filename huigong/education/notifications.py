"""Education's notification events (collected by core.notify) and the messages of its decisions, each
sent through the kernel's outbox inside the decision's transaction (`key` names the decision, so a
retried decision tells nobody twice)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huigong.core.money import format_yuan
from huigong.core.notify.channels import register_event
from huigong.core.notify.services import notify

register_event("education.decided", gettext_lazy("求学圆梦申请进度"))
register_event("education.paid", gettext_lazy("求学圆梦补贴发放"))
register_event("education.stopped", gettext_lazy("求学圆梦补贴停发"))


def _link(app) -> str:
    return reverse("education_portal:application", args=[app.pk])


def _send(app, *, event: str, key: str, title: str, body: str) -> None:
    notify(event=event, key=key, person=app.person, title=title, body=body, link=_link(app),
           node_path=app.node_path)


def check_failed(app, reasons: list[str]) -> None:
    _send(app, event="education.decided", key=f"edu:{app.pk}:check:{app.round}:{app.checked_at:%Y%m%d%H%M%S%f}",
          title=_("求学圆梦：系统初审未通过"),
          body=_("原因：%(r)s。申报截止前您可以修改后重新提交。") % {"r": "；".join(reasons)})


def review_decided(app) -> None:
    labels = {"approved": _("审核通过，等待抽签"), "returned": _("退回修改：%(c)s"), "rejected": _("审核未通过：%(c)s"),
              "won": _("已获得名额"), "lost": _("名额已满，未获得名额")}
    text = labels.get(app.status, app.get_status_display())
    if "%(c)s" in text:
        text = text % {"c": app.refusal}
    _send(app, event="education.decided", key=f"edu:{app.pk}:review:{app.round}:{app.status}",
          title=_("求学圆梦：%(t)s") % {"t": app.programme.title}, body=text)


def draw_result(app) -> None:
    if app.status == "won":
        body = _("恭喜，您在抽签中获得资助名额（第 %(n)s 位）。结果将公示，公示无异议后确认入学。") % {"n": app.draw_rank or "-"}
    elif app.place == "waiting":
        body = _("本次未中签，您已进入候补名单（抽签顺序第 %(n)s 位），有名额空出时按顺序递补。") % {"n": app.draw_rank or "-"}
    else:
        body = _("很遗憾，本次抽签未中签。")
        if app.programme.fallback_fen:
            body += _("您将获得保底补助 %(a)s 元。") % {"a": format_yuan(app.programme.fallback_fen)}
    _send(app, event="education.decided", key=f"edu:{app.pk}:draw:{app.status}",
          title=_("求学圆梦抽签结果：%(t)s") % {"t": app.programme.title}, body=body)


def objection_upheld(app) -> None:
    _send(app, event="education.decided", key=f"edu:{app.pk}:objection",
          title=_("求学圆梦：公示异议成立"), body=_("经核实，公示期间的异议成立，您的资助资格已取消：%(r)s") % {"r": app.refusal})


def confirmed(app) -> None:
    _send(app, event="education.decided", key=f"edu:{app.pk}:confirmed",
          title=_("求学圆梦：公示无异议"), body=_("公示期满无异议，请按院校通知办理入学，入学确认后发放第一期补贴。"))


def paid(tranche, payment) -> None:
    app = tranche.application
    _send(app, event="education.paid", key=f"edu-payment:{payment.pk}:paid",
          title=_("求学圆梦补贴已发放"),
          body=_("%(a)s 元已转入您尾号 %(t)s 的账户。") % {"a": format_yuan(payment.amount_fen),
                                                   "t": payment.bank_account_mask[-4:]})


def stopped(enrolment, reason: str) -> None:
    app = enrolment.application
    _send(app, event="education.stopped", key=f"edu-enrolment:{enrolment.pk}:stopped",
          title=_("求学圆梦补贴停发"), body=_("您尚未发放的补贴已停发。原因：%(r)s") % {"r": reason})
