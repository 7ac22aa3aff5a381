"""The worker's 求学圆梦 pages (惠工e家): open rounds, applying from the phone with documents, the
tracker of her own applications (every step with its date), correcting before the deadline, and the
published draw anyone can check."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.core import facets
from huigong.core.capacity import lottery
from huigong.core.capacity import services as cap
from huigong.core.notices.views import notice_public_response
from huigong.portal.auth import current_person, worker_required

from . import eligibility, forms, selectors, services
from .models import ApplicationStatus, Major, ProgrammeStatus, Ranking
from .services import notices as edu_notices


def _not_member(request):
    return render(request, "education/portal/not_member.html", {"tab": "services"})


@worker_required
@require_GET
def home(request):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    mine = selectors.applications_for_person(person)
    applied = {a.programme_id for a in mine if a.status != ApplicationStatus.WITHDRAWN}
    return render(request, "education/portal/home.html", {
        "programmes": [(p, p.pk in applied) for p in selectors.programmes_open_for_person(person)],
        "mine": mine, "tab": "services"})


@worker_required
@require_http_methods(["GET", "POST"])
def apply(request, pk: int):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    programme = selectors.programmes_open_for_person(person).filter(pk=pk).first()
    if programme is None:
        messages.error(request, _("该项目不在申报期内或不面向您所在的工会"))
        return redirect("education_portal:home")
    form = forms.ApplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        major = Major.objects.filter(programme=programme, pk=d["major"]).first()
        try:
            app = services.application_submit(
                actor=request.user, programme=programme, person=person, major=major, statement=d["statement"],
                xuexin_code=d["xuexin_code"], admission_letter=d.get("admission_letter"),
                xuexin_report=d.get("xuexin_report"), priority=d.get("priority") or "")
        except ValidationError as e:
            form.add_error(None, e.messages)
        else:
            if app.status == ApplicationStatus.INELIGIBLE:
                messages.warning(request, _("已提交，但系统初审未通过，请查看原因；申报截止前可以修改后重新提交。"))
            else:
                messages.success(request, _("已提交，系统初审通过，等待工会审核。"))
            return redirect("education_portal:application", pk=app.pk)
    return render(request, "education/portal/apply.html", {
        "p": programme, "form": form, "majors": programme.majors.select_related("institution"),
        "rules": eligibility.requirements(programme), "tab": "services"})


@worker_required
@require_GET
def application(request, pk: int):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    a = selectors.application_for_person(person, pk)
    p = a.programme
    can_correct = a.status in (ApplicationStatus.INELIGIBLE, ApplicationStatus.RETURNED) and \
        p.status == ProgrammeStatus.OPEN and services.programmes.today() <= p.closes_on
    return render(request, "education/portal/application.html", {
        "a": a, "steps": selectors.tracker(a), "can_correct": can_correct,
        "can_withdraw": a.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.INELIGIBLE,
                                     ApplicationStatus.IN_REVIEW, ApplicationStatus.RETURNED, ApplicationStatus.APPROVED),
        "majors": p.majors.select_related("institution"), "tranches": a.tranches.order_by("seq"),
        "record": selectors.draw_for(p), "tab": "me"})


@worker_required
@require_POST
def correct(request, pk: int):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    a = selectors.application_for_person(person, pk)
    major = Major.objects.filter(programme=a.programme, pk=request.POST.get("major") or 0).first()
    try:
        services.application_correct(actor=request.user, application=a, major=major,
                                     statement=request.POST.get("statement"), xuexin_code=request.POST.get("xuexin_code"),
                                     admission_letter=request.FILES.get("admission_letter"),
                                     xuexin_report=request.FILES.get("xuexin_report"))
        messages.success(request, _("已重新提交"))
    except (ValidationError, PermissionDenied) as e:
        messages.error(request, "；".join(getattr(e, "messages", [str(e)])))
    return redirect("education_portal:application", pk=a.pk)


@worker_required
@require_POST
def withdraw(request, pk: int):
    person = current_person(request)
    if person is None:
        return _not_member(request)
    a = selectors.application_for_person(person, pk)
    try:
        services.application_withdraw(actor=request.user, application=a)
        messages.success(request, _("已撤回申请"))
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    return redirect("education_portal:application", pk=a.pk)


@require_GET
def draw(request, pk: int):
    """The published draw: seed, entrant-list hash, the order, and the re-run's verdict. Public: it holds
    application numbers only, no names."""
    p, record = selectors.public_draw(pk)
    _record, problems = services.draw_verify(p)
    prec = cap.draw_precedence(record)
    rows = [{"rank": n, "id": r[0], "status": r[1], "precedence": prec.get(r[0], 0)}
            for n, r in enumerate(record.result, 1)]
    labels = dict(facets.choices())
    priorities = [{"tier": len(p.priorities) - n, "label": labels.get(k, k)} for n, k in enumerate(p.priorities or [])]
    return render(request, "education/portal/draw.html", {
        "p": p, "record": record, "problems": problems, "rows": rows[:2000], "more": max(0, len(rows) - 2000),
        "recomputed_hash": lottery.entrants_hash(record.entrants, prec), "tab": "services",
        "priorities": priorities, "has_precedence": bool(prec), "merit": p.ranking == Ranking.MERIT})


@require_GET
def draw_entrants(request, pk: int):
    """The canonical entrant list (one application number a line, ascending): its SHA-256 is the hash."""
    _p, record = selectors.public_draw(pk)
    body = "\n".join(lottery.entrant_lines(record.entrants, cap.draw_precedence(record)))
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


@require_GET
def notice_public(request, token: str):
    return notice_public_response(request, edu_notices.EDU_NOTICES, token)
