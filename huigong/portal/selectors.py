"""Reads of the workers' portal. A worker only ever reads rows of their own account or Person: every
selector takes the account and filters by it; an id that is not theirs is a 404."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from huigong.accounts.models import Cap
from huigong.core.scope import ensure_path_in_scope, require, root_path
from huigong.orgs.models import Enterprise, EnterpriseKind, NodeLevel, UnionNode

from .models import PENDING_JOIN_STATUSES, Consent, ConsentText, JoinApplication, Message, WorkerAccount


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


# --- Join applications --------------------------------------------------------------------------------

def join_get_for_account(account: WorkerAccount, app_id) -> JoinApplication:
    """A worker's own application; anybody else's is a 404 (not even its existence is told)."""
    try:
        return (JoinApplication.objects.select_related("routed_to", "employer", "platform", "area")
                .get(pk=int(app_id), account=account))
    except (JoinApplication.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


PENDING = "pending"  # filter value: submitted or transfer offered, i.e. waiting for a decision


def join_list_for_actor(actor, *, status: str = "", q: str = "") -> QuerySet[JoinApplication]:
    """Applications routed to the actor's subtree."""
    require(actor, Cap.VIEW)
    qs = (JoinApplication.objects.filter(routed_to__path__startswith=root_path(actor))
          .select_related("routed_to", "employer", "platform", "area", "transfer_request").defer("id_number"))
    if status == PENDING:
        qs = qs.filter(status__in=PENDING_JOIN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(name__contains=q.strip())
    return qs.order_by("-submitted_at", "-id")


def join_get_for_actor(actor, app_id) -> JoinApplication:
    require(actor, Cap.VIEW)
    try:
        app = (JoinApplication.objects.select_related("routed_to", "employer", "platform", "area", "account",
                                                      "transfer_from__union", "membership", "decided_by",
                                                      "transfer_request")
               .defer("id_number").get(pk=int(app_id)))
    except (JoinApplication.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    ensure_path_in_scope(actor, app.routed_to.path)
    return app


def join_status_counts_for_actor(actor) -> dict[str, int]:
    from django.db.models import Count

    rows = (JoinApplication.objects.filter(routed_to__path__startswith=root_path(actor))
            .values("status").annotate(n=Count("id")))
    return {r["status"]: r["n"] for r in rows}


def enterprise_search(q: str, *, platforms_first: bool = False, limit: int = 20) -> list[Enterprise]:
    """Employers and platforms a worker can pick, by name or exact 统一社会信用代码 (public registry data)."""
    q = (q or "").strip()
    if len(q) < 2:
        return []
    qs = Enterprise.objects.select_related("union")
    if len(q) == 18 and q.isalnum():
        qs = qs.filter(uscc=q.upper())
    else:
        qs = qs.filter(name__contains=q)
    items = list(qs.order_by("name")[:limit])
    if platforms_first:
        items.sort(key=lambda e: e.kind != EnterpriseKind.PLATFORM)
    return items


def place_name(union_name: str) -> str:
    """The place a city or district union stands for: 杭州市总工会 → 杭州市, 西湖区总工会 → 西湖区."""
    for suffix in ("总工会", "工会"):
        if union_name.endswith(suffix) and len(union_name) > len(suffix):
            return union_name[: -len(suffix)]
    return union_name


def district_place(district_name: str, city_name: str) -> str:
    """A district with its city, as people say it: "杭州市 西湖区"; a district named with its city's
    short name drops it ("青岛市 高新区", not "青岛市 青岛高新区")."""
    city, district = place_name(city_name), place_name(district_name)
    short = city[:-1] if city.endswith(("市", "州", "盟")) and len(city) > 2 else city
    if short and district.startswith(short) and len(district) > len(short):
        district = district[len(short):]
    return f"{city} {district}".strip()


def districts_for_join() -> list[tuple[str, list[UnionNode]]]:
    """Districts a worker may pick as their work area, grouped under their city (for <optgroup>s); each
    district's `place` names it with its city, so same-named districts of two cities are told apart."""
    districts = list(UnionNode.objects.filter(level=NodeLevel.DISTRICT).order_by("path")[:500])
    parents = {p[: -UnionNode.steplen] for p in (d.path for d in districts)}
    names = dict(UnionNode.objects.filter(path__in=parents).values_list("path", "name"))
    groups: dict[str, tuple[str, list[UnionNode]]] = {}  # keyed by the city's path: two cities may share a name
    for d in districts:
        parent = d.path[: -UnionNode.steplen]
        city = names.get(parent, "")
        d.place = district_place(d.name, city)
        groups.setdefault(parent, (place_name(city), []))[1].append(d)
    return list(groups.values())


def area_place(area: UnionNode | None) -> str:
    """One chosen work area with its city (the join walk's confirm and status pages)."""
    if area is None:
        return ""
    parent = UnionNode.objects.filter(path=area.path[: -UnionNode.steplen]).values_list("name", flat=True).first()
    return district_place(area.name, parent or "")


# --- 我已是会员 requests a union confirms ------------------------------------------------------------------

def links_for_actor(actor, *, status: str = ""):
    """Requests addressed to unions of the actor's subtree (the union holding the member's record)."""
    from .models import AccountLink, LinkMethod

    require(actor, Cap.VIEW)
    qs = (AccountLink.objects.filter(union__path__startswith=root_path(actor), method=LinkMethod.UNION)
          .select_related("union", "person", "decided_by")
          .defer("person__id_number", "person__phone", "person__bank_account"))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def link_get_for_actor(actor, link_id):
    """One such request; outside the actor's subtree (or not for a union to confirm) a 404."""
    from .models import AccountLink

    require(actor, Cap.VIEW)
    try:
        obj = AccountLink.objects.select_related("union").get(pk=int(link_id), union__isnull=False)
    except (AccountLink.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not obj.union.path.startswith(root_path(actor)):
        raise Http404
    return obj
