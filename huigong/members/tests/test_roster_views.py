"""Roster import and export pages: a route × role matrix (anonymous, outsider, each role), then
the pages' behaviour."""

import io
import random

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from huigong.core.models import AccessLog, AuditEvent
from huigong.members import urls_roster
from huigong.members.models import ImportStatus, MemberExport, Person, RosterImport
from huigong.members.roster import roster_import_start
from huigong.members.roster.testing import person_row, roster_xlsx, upload

# Rows of the console page matrix for the roster pages (declared in members' apps.py), run here against
# this module's own world (an import, an export) rather than by huigong/orgs/tests/test_views_matrix.py.
WORLD = "own"
# name -> (args builder, capability needed, methods)
ROUTES = {
    "members:import_list": (lambda w: [], "import", "GET POST"),
    "members:import_template": (lambda w: [], "import", "GET"),
    "members:import_detail": (lambda w: [w.bad_import.pk], "import", "GET"),
    "members:import_progress": (lambda w: [w.bad_import.pk], "import", "GET"),
    "members:import_errors": (lambda w: [w.bad_import.pk], "import", "GET"),
    "members:export": (lambda w: [], "export", "GET"),
    "members:export_list": (lambda w: [], "export", "GET"),
    "members:export_detail": (lambda w: [w.big_export.pk], "export", "GET"),
    "members:export_progress": (lambda w: [w.big_export.pk], "export", "GET"),
    "members:export_download": (lambda w: [w.big_export.pk], "export", "GET"),
}
# A background export is its requester's alone: other roles that may export get a 404.
OWNER_ONLY = {"members:export_detail", "members:export_progress", "members:export_download"}
ROLES = ["city_admin", "district_staff", "tech_staff", "viewer", "finance", "leader"]
OURS = ("李小红", "王骑手", "杭州某科技", "hangzhou-roster.xlsx", "周示范")


def _rows(n, seed=1, **kw):
    rng = random.Random(seed)
    return [person_row(rng, **kw) for _ in range(n)]


@pytest.fixture
def world(cast):
    rows = _rows(2)
    rows[1]["姓名"] = "周示范"
    rows[1]["手机号"] = "12"
    cast.bad_import = roster_import_start(actor=cast.district_staff, union=cast.tech,
                                          upload=upload("hangzhou-roster.xlsx", roster_xlsx(rows)))
    assert cast.bad_import.status == ImportStatus.REJECTED
    cast.big_export = _background_export(cast.city_admin)
    return cast


def _background_export(actor):
    from django.test import override_settings

    from huigong.members.roster.export_jobs import member_export_run, member_export_start

    with override_settings(MEMBER_EXPORT_SYNC_MAX_ROWS=0):
        job = member_export_start(actor=actor)
    member_export_run(job.pk)
    job.refresh_from_db()
    assert job.downloadable
    return job


def url(world, name):
    return reverse(name, args=ROUTES[name][0](world))


def test_every_roster_route_is_in_the_matrix():
    assert {f"members:{p.name}" for p in urls_roster.urlpatterns} == set(ROUTES)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_anonymous_is_sent_to_sign_in(client, world, name):
    for method in ROUTES[name][2].split():
        r = getattr(client, method.lower())(url(world, name))
        assert r.status_code == 302 and "/accounts/login" in r["Location"], (name, method)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_outsider_gets_nothing_of_ours(client, world, name):
    client.force_login(world.outsider)
    events = AuditEvent.objects.exclude(verb="members.export").count()
    reads, imports = AccessLog.objects.count(), RosterImport.objects.count()
    exports = MemberExport.objects.count()
    for method in ROUTES[name][2].split():
        r = getattr(client, method.lower())(url(world, name))
        if ROUTES[name][0](world):
            assert r.status_code in (403, 404), (name, method, r.status_code)
        else:
            assert r.status_code in (200, 400), (name, method, r.status_code)  # their own subtree's page
        body = b"".join(r.streaming_content) if r.streaming else r.content
        if name == "members:export":
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()
            body = str(sheet).encode()
        assert not any(word.encode() in body for word in OURS), (name, method)
    # The outsider's own (empty) export is audited; nothing else is written.
    assert AuditEvent.objects.exclude(verb="members.export").count() == events
    assert (AccessLog.objects.count(), RosterImport.objects.count()) == (reads, imports)
    assert MemberExport.objects.count() == exports


def test_outsider_cannot_export_our_subtree(client, world):
    client.force_login(world.outsider)
    assert client.get(reverse("members:export"), {"node": world.tech.pk}).status_code == 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_roles_inside_the_subtree(client, world, name, role):
    user = getattr(world, role)
    allowed = user.staff.can(ROUTES[name][1])
    client.force_login(user)
    for method in ROUTES[name][2].split():
        if method == "POST" and allowed:
            continue  # exercised with real uploads below
        r = getattr(client, method.lower())(url(world, name))
        expected = 200 if allowed else 403
        if allowed and name in OWNER_ONLY and user != world.big_export.created_by:
            expected = 404
        assert r.status_code == expected, (name, role, method, r.status_code)


# ---------------------------------------------------------------- behaviour


def test_upload_page_lists_imports_and_links_the_template(client, world):
    client.force_login(world.city_admin)
    html = client.get(reverse("members:import_list")).content.decode()
    assert "hangzhou-roster.xlsx" in html and reverse("members:import_template") in html
    assert 'enctype="multipart/form-data"' in html


def test_upload_a_roster_and_land_on_its_page(client, world):
    client.force_login(world.city_admin)
    rows = _rows(3, seed=5)
    r = client.post(reverse("members:import_list"), {
        "union": world.riders.pk, "enterprise": world.platform.pk,
        "file": upload("骑手名册.xlsx", roster_xlsx(rows))})
    imp = RosterImport.objects.latest("id")
    assert r.status_code == 302 and r["Location"] == reverse("members:import_detail", args=[imp.pk])
    assert imp.status == ImportStatus.DONE and imp.created_count == 3
    assert Person.objects.filter(platform=world.platform).count() == 4  # the cast's rider and three more
    html = client.get(r["Location"]).content.decode()
    assert "骑手名册.xlsx" in html and "已完成" in html and 'hx-trigger="every 1s"' not in html


def test_upload_form_errors(client, world):
    client.force_login(world.city_admin)
    r = client.post(reverse("members:import_list"), {"union": world.xihu.pk,
                                                     "file": upload("r.xlsx", roster_xlsx(_rows(1)))})
    assert r.status_code == 400 and "union" in r.context["form"].errors
    r = client.post(reverse("members:import_list"), {"union": world.tech.pk, "file": upload("r.xls", b"x" * 10)})
    assert r.status_code == 400 and "不是 .xls 格式" in r.context["form"].errors["file"][0]
    r = client.post(reverse("members:import_list"), {"union": world.qd_ent.pk,
                                                     "file": upload("r.xlsx", roster_xlsx(_rows(1)))})
    assert r.status_code == 400 and "union" in r.context["form"].errors
    assert RosterImport.objects.count() == 1


def test_rejected_import_page_shows_errors_and_the_report(client, world):
    client.force_login(world.city_admin)
    html = client.get(url(world, "members:import_detail")).content.decode()
    assert "校验未通过" in html and "手机号格式不正确" in html and reverse(
        "members:import_errors", args=[world.bad_import.pk]) in html
    r = client.get(url(world, "members:import_errors"))
    body = b"".join(r.streaming_content)
    assert r["Content-Disposition"].startswith("attachment") and body[:2] == b"PK"


def test_progress_polls_while_running_and_reloads_when_done(client, world):
    imp = world.bad_import
    RosterImport.objects.filter(pk=imp.pk).update(status=ImportStatus.VALIDATING, processed_rows=40, total_rows=80)
    client.force_login(world.city_admin)
    html = client.get(url(world, "members:import_progress"), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in html and "40 / 80" in html and 'aria-valuenow="50"' in html
    RosterImport.objects.filter(pk=imp.pk).update(status=ImportStatus.DONE)
    r = client.get(url(world, "members:import_progress") + "?running=1", HTTP_HX_REQUEST="true")
    assert r["HX-Refresh"] == "true" and 'hx-trigger' not in r.content.decode()


def test_no_report_no_download(client, world):
    imp = roster_import_start(actor=world.city_admin, union=world.tech, upload=upload("ok.xlsx", roster_xlsx(_rows(1))))
    client.force_login(world.city_admin)
    assert client.get(reverse("members:import_errors", args=[imp.pk])).status_code == 404


def test_template_download(client, world):
    client.force_login(world.tech_staff)
    r = client.get(reverse("members:import_template"))
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(r.streaming_content)))
    assert book.sheet_names == ["会员名册", "填写说明"]
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0][:3] == ["*姓名", "*身份证号", "性别"] and rows[1][0].startswith("示例")


def test_the_template_itself_imports_as_nothing_to_do(client, world):
    from huigong.members.roster import roster_template_xlsx

    imp = roster_import_start(actor=world.city_admin, union=world.tech, upload=upload("t.xlsx", roster_template_xlsx()))
    assert imp.status == ImportStatus.DONE and imp.created_count == 0


def test_export_streams_the_filtered_list(client, world):
    client.force_login(world.leader)
    r = client.get(reverse("members:export"), {"q": "wangqishou"})
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    rows = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(r.streaming_content))).get_sheet_by_index(0).to_python()
    assert [row[1] for row in rows[1:]] == ["王骑手"]
    assert client.get(reverse("members:export"), {"full": "1"}).status_code == 403  # leaders see masked values


def test_full_export_for_a_role_with_the_capability(client, world):
    client.force_login(world.finance)
    r = client.get(reverse("members:export"), {"full": "1", "employment_form": "new"})
    rows = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(r.streaming_content))).get_sheet_by_index(0).to_python()
    assert [row[2] for row in rows[1:]] == [world.rider.person.id_number]
    assert AccessLog.objects.get().row_count == 1


def test_the_member_list_export_button_points_here(client, world):
    client.force_login(world.city_admin)
    html = client.get(reverse("members:list"), {"q": "li"}).content.decode()
    assert f'href="{reverse("members:export")}?q=li"' in html
