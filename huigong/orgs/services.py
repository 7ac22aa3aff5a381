from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huigong.accounts.models import Cap
from huigong.core import uscc
from huigong.core.audit import audit, diff, snapshot
from huigong.core.scope import ensure_path_in_scope, require

from .models import Enterprise, EnterpriseKind, NodeLevel, ServiceSite, SiteKind, UnionNode

NODE_FIELDS = ["code", "name", "level", "region_code", "address", "contact_name", "contact_phone"]
ENTERPRISE_FIELDS = ["name", "uscc", "kind", "industry", "size", "employee_count", "union", "region_code",
                     "address"]
SITE_FIELDS = ["name", "kind", "union", "address", "latitude", "longitude", "opening_hours", "services",
               "phone", "is_active"]


def _clean_node(code: str, name: str, level: str, region_code: str, *, exclude_pk: int | None = None) -> None:
    errors: dict[str, list[str]] = {}
    if not code.strip():
        errors["code"] = [_("编码不能为空")]
    elif UnionNode.objects.filter(code=code.strip()).exclude(pk=exclude_pk).exists():
        errors["code"] = [_("编码 %(code)s 已被使用") % {"code": code}]
    if not name.strip():
        errors["name"] = [_("名称不能为空")]
    if level not in NodeLevel.values:
        errors["level"] = [_("层级无效")]
    if region_code and (len(region_code) != 6 or not region_code.isdigit()):
        errors["region_code"] = [_("行政区划代码应为6位数字")]
    if errors:
        raise ValidationError(errors)


def _lock_tree() -> None:
    """Serialises structural tree writes. Materialised paths of siblings are computed from what a
    transaction reads, so two concurrent moves/creates could otherwise interleave and corrupt the
    tree; a transaction-level advisory lock on PostgreSQL (SQLite already writes one at a time)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [TREE_LOCK_KEY])


TREE_LOCK_KEY = 0x48554947  # "HUIG"


@transaction.atomic
def node_create(*, actor, parent: UnionNode, code: str, name: str, level: str, region_code: str = "",
                address: str = "", contact_name: str = "", contact_phone: str = "") -> UnionNode:
    require(actor, Cap.ORG_WRITE)
    _lock_tree()
    parent = UnionNode.objects.get(pk=parent.pk)
    ensure_path_in_scope(actor, parent.path)
    _clean_node(code, name, level, region_code)
    parent = UnionNode.objects.get(pk=parent.pk)  # treebeard needs a fresh numchild
    node = UnionNode.objects.add_child(parent, dict(code=code.strip(), name=name.strip(), level=level,
                                                    region_code=region_code, address=address,
                                                    contact_name=contact_name, contact_phone=contact_phone))
    audit(actor=actor, verb="node.create", obj=node, node_path=node.path, new=snapshot(node, NODE_FIELDS))
    return node


def node_add_root(*, code: str, name: str, level: str = NodeLevel.NATIONAL, region_code: str = "") -> UnionNode:
    """Creates the tree's root; only for set-up commands (there is no staff above the root)."""
    with transaction.atomic():
        node = UnionNode.objects.add_root(dict(code=code, name=name, level=level, region_code=region_code))
        audit(actor=None, verb="node.create", obj=node, node_path=node.path, new=snapshot(node, NODE_FIELDS))
    return node


@transaction.atomic
def node_update(*, actor, node: UnionNode, **changes) -> UnionNode:
    require(actor, Cap.ORG_WRITE)
    ensure_path_in_scope(actor, node.path)
    unknown = set(changes) - set(NODE_FIELDS)
    if unknown:
        raise ValidationError({f: [_("不可修改")] for f in unknown})
    before = snapshot(node, NODE_FIELDS)
    for k, v in changes.items():
        setattr(node, k, v.strip() if isinstance(v, str) else v)
    _clean_node(node.code, node.name, node.level, node.region_code, exclude_pk=node.pk)
    node.save(update_fields=list(changes) or None)
    old, new = diff(before, snapshot(node, NODE_FIELDS))
    if new:
        audit(actor=actor, verb="node.update", obj=node, node_path=node.path, old=old, new=new)
    return node


@transaction.atomic
def node_move(*, actor, node: UnionNode, new_parent: UnionNode) -> UnionNode:
    """Moves node and its whole subtree under new_parent. Both ends must be inside the actor's
    subtree, and the actor cannot move the node it acts for."""
    staff = require(actor, Cap.ORG_WRITE)
    _lock_tree()
    # Re-read under the lock: a concurrent move may have changed both paths since the caller read them.
    node = UnionNode.objects.get(pk=node.pk)
    new_parent = UnionNode.objects.get(pk=new_parent.pk)
    ensure_path_in_scope(actor, node.path)
    ensure_path_in_scope(actor, new_parent.path)
    if node.pk == staff.node_id or node.depth == 1:
        raise PermissionDenied(_("不能移动本级或根节点"))
    if new_parent.path.startswith(node.path):
        raise ValidationError({"new_parent": [_("不能移动到自己的下级")]})
    old_parent = UnionNode.objects.get_parent(node)
    old_path = node.path
    node = UnionNode.objects.get(pk=node.pk)
    new_parent = UnionNode.objects.get(pk=new_parent.pk)
    UnionNode.objects.move(node, new_parent, pos="last-child")
    node.refresh_from_db()
    audit(actor=actor, verb="node.move", obj=node, node_path=node.path,
          old={"parent": old_parent.pk if old_parent else None, "path": old_path},
          new={"parent": new_parent.pk, "path": node.path})
    return node


def _clean_enterprise(data: dict, *, exclude_pk: int | None = None) -> dict:
    errors: dict[str, list[str]] = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = [_("单位名称不能为空")]
    try:
        data["uscc"] = uscc.validate(data.get("uscc") or "")
    except uscc.UsccError as e:
        errors["uscc"] = [str(e)]
    else:
        if Enterprise.objects.filter(uscc=data["uscc"]).exclude(pk=exclude_pk).exists():
            errors["uscc"] = [_("该统一社会信用代码已登记")]
    if data.get("kind", EnterpriseKind.ENTERPRISE) not in EnterpriseKind.values:
        errors["kind"] = [_("类型无效")]
    if errors:
        raise ValidationError(errors)
    data["name"] = name
    return data


@transaction.atomic
def enterprise_create(*, actor, union: UnionNode, name: str, uscc: str, kind: str = EnterpriseKind.ENTERPRISE,
                      industry: str = "", size: str = "", employee_count: int = 0, region_code: str = "",
                      address: str = "") -> Enterprise:
    require(actor, Cap.ORG_WRITE)
    ensure_path_in_scope(actor, union.path)
    data = _clean_enterprise({"name": name, "uscc": uscc, "kind": kind})
    ent = Enterprise.objects.create(name=data["name"], uscc=data["uscc"], kind=kind, industry=industry,
                                    size=size, employee_count=employee_count, union=union,
                                    region_code=region_code, address=address)
    audit(actor=actor, verb="enterprise.create", obj=ent, node_path=union.path,
          new=snapshot(ent, ENTERPRISE_FIELDS))
    return ent


@transaction.atomic
def enterprise_update(*, actor, enterprise: Enterprise, **changes) -> Enterprise:
    require(actor, Cap.ORG_WRITE)
    ensure_path_in_scope(actor, enterprise.union.path)
    unknown = set(changes) - set(ENTERPRISE_FIELDS)
    if unknown:
        raise ValidationError({f: [_("不可修改")] for f in unknown})
    if "union" in changes:
        ensure_path_in_scope(actor, changes["union"].path)
    before = snapshot(enterprise, ENTERPRISE_FIELDS)
    data = {"name": changes.get("name", enterprise.name), "uscc": changes.get("uscc", enterprise.uscc),
            "kind": changes.get("kind", enterprise.kind)}
    data = _clean_enterprise(data, exclude_pk=enterprise.pk)
    changes.update(data)
    for k, v in changes.items():
        setattr(enterprise, k, v)
    enterprise.save()
    old, new = diff(before, snapshot(enterprise, ENTERPRISE_FIELDS))
    if new:
        audit(actor=actor, verb="enterprise.update", obj=enterprise, node_path=enterprise.union.path,
              old=old, new=new)
    return enterprise


def _clean_site(data: dict) -> None:
    errors: dict[str, list[str]] = {}
    if not (data.get("name") or "").strip():
        errors["name"] = [_("名称不能为空")]
    if data.get("kind") not in SiteKind.values:
        errors["kind"] = [_("类型无效")]
    if not (data.get("address") or "").strip():
        errors["address"] = [_("地址不能为空")]
    lat, lng = data.get("latitude"), data.get("longitude")
    if lat is not None and not (Decimal(-90) <= Decimal(str(lat)) <= Decimal(90)):
        errors["latitude"] = [_("纬度应在 -90 到 90 之间")]
    if lng is not None and not (Decimal(-180) <= Decimal(str(lng)) <= Decimal(180)):
        errors["longitude"] = [_("经度应在 -180 到 180 之间")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def site_create(*, actor, union: UnionNode, name: str, kind: str, address: str, latitude=None, longitude=None,
                opening_hours: str = "", services: str = "", phone: str = "") -> ServiceSite:
    require(actor, Cap.ORG_WRITE)
    ensure_path_in_scope(actor, union.path)
    data = {"name": name, "kind": kind, "address": address, "latitude": latitude, "longitude": longitude}
    _clean_site(data)
    site = ServiceSite.objects.create(union=union, name=name.strip(), kind=kind, address=address.strip(),
                                      latitude=latitude, longitude=longitude, opening_hours=opening_hours,
                                      services=services, phone=phone)
    audit(actor=actor, verb="site.create", obj=site, node_path=union.path, new=snapshot(site, SITE_FIELDS))
    return site


@transaction.atomic
def site_update(*, actor, site: ServiceSite, **changes) -> ServiceSite:
    require(actor, Cap.ORG_WRITE)
    ensure_path_in_scope(actor, site.union.path)
    unknown = set(changes) - set(SITE_FIELDS)
    if unknown:
        raise ValidationError({f: [_("不可修改")] for f in unknown})
    if "union" in changes:
        ensure_path_in_scope(actor, changes["union"].path)
    before = snapshot(site, SITE_FIELDS)
    was_open = site.is_active
    for k, v in changes.items():
        setattr(site, k, v)
    _clean_site({f: getattr(site, f) for f in ("name", "kind", "address", "latitude", "longitude")})
    if was_open and not site.is_active:
        site.closed_on = timezone.localdate()  # the KPI counts it up to this day
    elif site.is_active:
        site.closed_on = None
    site.save()
    old, new = diff(before, snapshot(site, SITE_FIELDS))
    if new:
        audit(actor=actor, verb="site.update", obj=site, node_path=site.union.path, old=old, new=new)
    return site
