"""Innovation results in the console: intake, review with a written reason, gains and their
verification, evidence, scoring panels, awards and prize batches."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huigong.core.files import file_response
from huigong.core.scope import require, root_path
from huigong.members.selectors import person_get_for_actor
from huigong.orgs.selectors import node_get_for_actor

from .. import clock, selectors, services
from ..models import InnovationKind, InnovationStatus, ReviewDecision, Tier
from ..services.common import HONOUR, MONEY, VIEW
from .common import REFUSALS, posted_date, posted_int, posted_yuan_fen, refused


@login_required
@require_GET
def innovations(request):
    staff = require(request.user, VIEW)
    g = request.GET
    qs = selectors.innovation_list_for_actor(request.user, status=g.get("status", ""), kind=g.get("kind", ""),
                                             q=g.get("q", "")[:50])
    year = clock.today().year
    return render(request, "honours/innovations.html", {
        "page": Paginator(qs, 50).get_page(g.get("page")), "kinds": InnovationKind.choices,
        "statuses": InnovationStatus.choices, "f": g, "year": year,
        "participation": selectors.participation(request.user, year), "can_write": staff.can(HONOUR),
        "rounds": selectors.rounds_for_actor(request.user)[:10],
        "tab": "innovations"})


@login_required
@require_http_methods(["GET", "POST"])
def innovation_new(request):
    staff = require(request.user, HONOUR)
    if request.method == "POST":
        p = request.POST
        try:
            with transaction.atomic():
                person = None
                if p.get("person"):
                    person = person_get_for_actor(request.user, posted_int(request, "person", _("第一完成人")))[0]
                union = node_get_for_actor(request.user, posted_int(request, "union", _("所在工会")))
                inv = services.innovation_submit(
                    actor=request.user, union=union, title=p.get("title", ""), kind=p.get("kind", ""),
                    summary=p.get("summary", ""), person=person, lead_name=p.get("lead_name", ""),
                    team=p.get("team", "").replace("，", ",").replace("、", ",").split(","), studio=p.get("studio", ""),
                    implemented_on=posted_date(request, "implemented_on", _("实施日期"), required=False))
        except REFUSALS as e:
            refused(request, e)
        else:
            messages.success(request, _("已登记成果：%(t)s") % {"t": inv.title})
            return redirect("honours:innovation_detail", pk=inv.pk)
    return render(request, "honours/innovation_form.html", {
        "kinds": InnovationKind.choices, "f": request.POST, "staff": staff, "tab": "innovations",
        "unions": selectors.unions_for_actor(request.user), "members": selectors.member_choices(request.user)})


@login_required
@require_GET
def innovation_detail(request, pk: int):
    staff = require(request.user, VIEW)
    inv = selectors.innovation_get_for_actor(request.user, pk)
    return render(request, "honours/innovation_detail.html", {
        "inv": inv, "gains": inv.gains.all(), "reviews": inv.reviews.select_related("reviewer"),
        "evidence": inv.evidence.all(), "awards": inv.awards.select_related("round"),
        "decisions": ReviewDecision.choices, "can_write": staff.can(HONOUR), "today": clock.today(),
        "tab": "innovations"})


@login_required
@require_POST
def innovation_review(request, pk: int):
    require(request.user, HONOUR)
    inv = selectors.innovation_get_for_actor(request.user, pk)
    try:
        services.innovation_review(actor=request.user, innovation=inv, decision=request.POST.get("decision", ""),
                                   reason=request.POST.get("reason", ""))
    except REFUSALS as e:
        refused(request, e)
    else:
        messages.success(request, _("已记录处理意见，提交人会看到理由"))
    return redirect("honours:innovation_detail", pk=inv.pk)


@login_required
@require_POST
def gain_add(request, pk: int):
    require(request.user, HONOUR)
    inv = selectors.innovation_get_for_actor(request.user, pk)
    p = request.POST
    try:
        services.gain_add(actor=request.user, innovation=inv, metric=p.get("metric", ""), unit=p.get("unit", ""),
                          baseline=p.get("baseline", ""), after=p.get("after", ""),
                          annual_value_fen=posted_yuan_fen(request, "annual_value", _("年化效益")),
                          method=p.get("method", ""), verifier=p.get("verifier", ""))
    except REFUSALS as e:
        refused(request, e)
    return redirect("honours:innovation_detail", pk=inv.pk)


@login_required
@require_POST
def gain_verify(request, pk: int, gain: int):
    require(request.user, HONOUR)
    inv = selectors.innovation_get_for_actor(request.user, pk)
    try:
        g = inv.gains.get(pk=gain)
        services.gain_verify(actor=request.user, gain=g, verifier=request.POST.get("verifier", ""),
                             verified_on=posted_date(request, "verified_on", _("核实日期")))
    except inv.gains.model.DoesNotExist:
        messages.error(request, _("效益记录不存在"))
    except REFUSALS as e:
        refused(request, e)
    return redirect("honours:innovation_detail", pk=inv.pk)


@login_required
@require_POST
def evidence_add(request, pk: int):
    require(request.user, HONOUR)
    inv = selectors.innovation_get_for_actor(request.user, pk)
    try:
        if not request.FILES.get("file"):
            raise ValidationError({"file": [_("请选择文件")]})
        services.evidence_add(actor=request.user, innovation=inv, upload=request.FILES["file"],
                              label=request.POST.get("label", ""))
    except REFUSALS as e:
        refused(request, e)
    return redirect("honours:innovation_detail", pk=inv.pk)


@login_required
@require_GET
def evidence_file(request, pk: int, evidence: int):
    require(request.user, VIEW)
    inv = selectors.innovation_get_for_actor(request.user, pk)
    ev = inv.evidence.filter(pk=evidence).first()
    if ev is None:
        from django.http import Http404

        raise Http404
    return file_response(ev.file, actor=request.user, object_type="honours.innovationevidence", object_id=ev.pk,
                         node_path=inv.node_path, purpose=_("创新成果证明材料"), content_type=ev.content_type,
                         filename=f"evidence-{ev.pk}", as_attachment=ev.content_type == "application/pdf")


@login_required
@require_http_methods(["GET", "POST"])
def round_new(request):
    staff = require(request.user, HONOUR)
    adopted = selectors.innovation_list_for_actor(request.user, status=InnovationStatus.ADOPTED)
    judges = get_user_model().objects.filter(staff__node__path__startswith=staff.node.path, is_active=True).order_by(
        "staff__node__path", "username")[:200]
    if request.method == "POST":
        p = request.POST
        try:
            with transaction.atomic():
                tiers = []
                for t in Tier.values:
                    places = posted_int(request, f"places_{t}", _("名额"), required=False)
                    if places:
                        tiers.append((t, places, posted_yuan_fen(request, f"prize_{t}", _("奖金"))))
                panel = [u for u in judges if str(u.pk) in p.getlist("panel")]
                chosen = [i for i in adopted if str(i.pk) in p.getlist("entries")]
                r = services.round_create(actor=request.user, node=staff.node, title=p.get("title", ""),
                                          year=posted_int(request, "year", _("年度")), panel=panel, innovations=chosen,
                                          tiers=tiers)
        except REFUSALS as e:
            refused(request, e)
        else:
            return redirect("honours:round_detail", pk=r.pk)
    return render(request, "honours/round_form.html", {
        "adopted": adopted, "judges": judges, "tiers": Tier.choices, "f": request.POST, "year": clock.today().year,
        "tab": "innovations"})


@login_required
@require_GET
def round_detail(request, pk: int):
    staff = require(request.user, VIEW)
    r = selectors.round_get_for_actor(request.user, pk)
    entries = list(r.entries.all())
    mine = {s.innovation_id: s for s in r.scores.filter(judge=request.user)}
    for e in entries:
        e.my_score = mine.get(e.pk)
        e.scored = r.scores.filter(innovation=e).count()
    return render(request, "honours/round_detail.html", {
        "r": r, "entries": entries, "judge": r.panel.filter(pk=request.user.pk).exists(),
        "judges": r.panel.count(), "awards": r.awards.select_related("innovation"), "tiers": r.tiers.all(),
        "can_write": staff.can(HONOUR) and r.node_path.startswith(root_path(request.user)),
        "can_pay": staff.can(MONEY), "batches": r.batches.all(), "tab": "innovations"})


@login_required
@require_POST
def round_score(request, pk: int):
    r = selectors.round_get_for_actor(request.user, pk)
    try:
        inv = r.entries.get(pk=posted_int(request, "innovation", _("成果")))
        services.score_record(actor=request.user, round=r, innovation=inv,
                              score=posted_int(request, "score", _("得分")), comment=request.POST.get("comment", ""))
    except r.entries.model.DoesNotExist:
        messages.error(request, _("该成果不在本次评审中"))
    except REFUSALS as e:
        refused(request, e)
    return redirect("honours:round_detail", pk=r.pk)


@login_required
@require_POST
def round_award(request, pk: int):
    require(request.user, HONOUR)
    r = selectors.round_get_for_actor(request.user, pk)
    try:
        services.round_award(actor=request.user, round=r)
    except REFUSALS as e:
        refused(request, e)
    return redirect("honours:round_detail", pk=r.pk)


@login_required
@require_POST
def prize_batch_create(request, pk: int):
    require(request.user, MONEY)
    r = selectors.round_get_for_actor(request.user, pk)
    try:
        batch, skipped = services.prize_batch_create(actor=request.user, round=r)
    except REFUSALS as e:
        refused(request, e)
        return redirect("honours:round_detail", pk=r.pk)
    for s in skipped:
        messages.warning(request, s)
    return redirect("honours:batch_detail", kind="prize", pk=batch.pk)
