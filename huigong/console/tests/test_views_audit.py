"""The audit browser: the subtree's events and unmasked-read log, filtered and paginated, read-only."""

import datetime as dt

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from huigong.console.audit_display import diff_rows
from huigong.core.audit import audit, log_access
from huigong.core.models import AccessLog, AuditEvent

AUDIT = reverse("console:audit")
ACCESS = reverse("console:audit_access")


@pytest.mark.parametrize("who", ["city_admin", "leader"])
def test_roles_with_audit_view_see_the_subtree_events(client, cast, who):
    client.force_login(getattr(cast, who))
    html = client.get(AUDIT).content.decode()
    assert "person.create" in html and "membership.create" in html
    assert "李小红" in html and "王骑手" in html
    assert "赵青岛" not in html  # registered in Qingdao's subtree


@pytest.mark.parametrize("who", ["viewer", "district_staff", "finance", "tech_staff"])
@pytest.mark.parametrize("url", [AUDIT, ACCESS])
def test_roles_without_audit_view_are_refused(client, cast, who, url):
    client.force_login(getattr(cast, who))
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", [AUDIT, ACCESS])
def test_outsider_sees_none_of_hangzhous_trail(client, cast, url):
    log_access(actor=cast.city_admin, object_type="members.person", object_id=str(cast.member.person_id),
               fields=["id_number"], purpose="核对身份", node_path=cast.tech.path)
    client.force_login(cast.outsider)
    html = client.get(url).content.decode()
    assert "李小红" not in html and "city_admin" not in html and "核对身份" not in html


def test_anonymous_is_sent_to_login(client, db):
    assert client.get(AUDIT).status_code == 302


def test_filters(client, cast):
    old_event = audit(actor=cast.city_admin, verb="node.update", obj=cast.xihu, node_path=cast.xihu.path,
                      old={"name": "西湖区总"}, new={"name": "西湖区总工会"})
    client.force_login(cast.city_admin)

    html = client.get(AUDIT, {"verb": "node"}).content.decode()
    assert "node.update" in html and "李小红" not in html
    html = client.get(AUDIT, {"verb": "node.update", "actor": "qd_admin"}).content.decode()
    assert "没有符合条件的审计记录" in html
    html = client.get(AUDIT, {"object_type": "orgs.unionnode", "q": str(cast.xihu.pk)}).content.decode()
    assert "node.update" in html
    html = client.get(AUDIT, {"q": "王骑手"}).content.decode()
    assert "王骑手" in html and "李小红" not in html
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    html = client.get(AUDIT, {"since": tomorrow}).content.decode()
    assert "没有符合条件的审计记录" in html
    today = timezone.localdate().isoformat()
    html = client.get(AUDIT, {"since": today, "until": today, "verb": "node"}).content.decode()
    assert "node.update" in html
    # A bad date is a form error, not a crash.
    resp = client.get(AUDIT, {"since": "not-a-date"})
    assert resp.status_code == 200 and 'class="error"' in resp.content.decode()
    assert old_event.pk


def test_old_and_new_are_shown_as_a_readable_diff(client, cast):
    audit(actor=cast.city_admin, verb="node.update", obj=cast.xihu, node_path=cast.xihu.path,
          old={"name": "西湖区总"}, new={"name": "西湖区总工会"})
    client.force_login(cast.city_admin)
    html = client.get(AUDIT, {"verb": "node.update"}).content.decode()
    assert '<span class="k">名称</span><span><del>西湖区总</del><span class="arrow">→</span><ins>西湖区总工会</ins>' in html


def test_events_read_in_human_terms(client, cast):
    """What was done to what, field names as the model has them, money in yuan, unions by name, and a
    link to the object's page."""
    audit(actor=cast.city_admin, verb="node.update", obj=cast.xihu, node_path=cast.xihu.path,
          old={"parent": cast.zhejiang.pk}, new={"parent": cast.hangzhou.pk, "budget_fen": 1234567})
    client.force_login(cast.city_admin)
    html = client.get(AUDIT, {"verb": "node.update"}).content.decode()
    assert "修改工会组织" in html
    assert f'href="/org/nodes/{cast.xihu.pk}/"' in html
    assert "<del>浙江省总工会</del>" in html and "<ins>杭州市总工会</ins>" in html
    assert "12,345.67" in html and "1234567" not in html


def test_diff_rows():
    assert diff_rows({"a": 1, "b": True}, {"a": 2, "c": [1, "二"]}) == [
        {"key": "a", "old": "1", "new": "2"},
        {"key": "b", "old": "是", "new": None},
        {"key": "c", "old": None, "new": '[1, "二"]'},
    ]
    assert diff_rows(None, None) == []
    assert diff_rows(None, {"x": None}) == [{"key": "x", "old": None, "new": "—"}]


def test_paginated_with_filters_kept(client, cast):
    for i in range(60):
        audit(actor=cast.city_admin, verb="test.bulk", object_type="x", object_id=str(i), object_repr=f"对象{i}",
              node_path=cast.xihu.path)
    client.force_login(cast.city_admin)
    html = client.get(AUDIT, {"verb": "test"}).content.decode()
    assert "共 60 条" in html and "verb=test" in html and "page=2" in html
    page2 = client.get(AUDIT, {"verb": "test", "page": 2}).content.decode()
    assert "对象0<" in page2 and "对象59<" not in page2


def test_access_log_tab(client, cast):
    log_access(actor=cast.finance, object_type="members.person", object_id=str(cast.member.person_id),
               fields=["id_number", "phone"], purpose="发放核对", node_path=cast.tech.path)
    log_access(actor=cast.outsider, object_type="members.person", object_id=str(cast.qd_member.person_id),
               fields=["phone"], purpose="青岛核对", node_path=cast.qd_ent.path)
    client.force_login(cast.leader)
    html = client.get(ACCESS).content.decode()
    assert "发放核对" in html and "id_number,phone" in html and "city_finance" in html
    assert "青岛核对" not in html
    assert "没有符合条件的查看记录" in client.get(ACCESS, {"actor": "nobody"}).content.decode()


def test_audit_browser_is_read_only(client, cast):
    client.force_login(cast.city_admin)
    count = AuditEvent.objects.count()
    for url in (AUDIT, ACCESS):
        assert client.post(url, {"verb": "x"}).status_code == 405
    assert AuditEvent.objects.count() == count


def test_the_database_refuses_update_of_audit_rows(cast):
    ev = AuditEvent.objects.filter(node_path__startswith=cast.hangzhou.path).first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=ev.pk).update(object_repr="forged")
    ev.refresh_from_db()
    assert ev.object_repr != "forged"


def test_the_database_refuses_delete_of_audit_and_access_rows(cast, on_postgres):
    ev = AuditEvent.objects.first()
    row = log_access(actor=cast.city_admin, object_type="x", object_id="1", fields=["phone"], purpose="t")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=ev.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLog.objects.filter(pk=row.pk).delete()
    assert AuditEvent.objects.filter(pk=ev.pk).exists() and AccessLog.objects.filter(pk=row.pk).exists()


def test_audit_page_query_count_is_bounded(client, cast, django_assert_max_num_queries):
    for i in range(40):
        audit(actor=cast.city_admin, verb="test.bulk", object_type="x", object_id=str(i), node_path=cast.xihu.path,
              old={"a": i}, new={"a": i + 1})
    client.force_login(cast.city_admin)
    with django_assert_max_num_queries(12):
        assert client.get(AUDIT).status_code == 200


def test_a_change_to_a_reverse_relation_is_labelled_and_the_page_renders(client, cast):
    """A hardship file's audit row lists its household ("members", a reverse relation with no verbose_name
    of its own): the log page used to crash on it with a 500."""
    from huigong.assistance.models import FileMember

    rows = diff_rows(None, {"members": [{"name": "李大山"}]}, object_type="assistance.hardshipfile")
    assert rows[0]["key"] == str(FileMember._meta.verbose_name_plural)
    audit(actor=cast.city_admin, verb="hardship_file.create", object_type="assistance.hardshipfile", object_id="1",
          object_repr="档案", node_path=cast.xihu.path, new={"members": [{"name": "李大山"}]})
    client.force_login(cast.city_admin)
    assert client.get(AUDIT).status_code == 200
