"""A model worker's hardship file (the assistance app's facet, asked through huigong.core.facets; honours
does not import assistance): linked from her page and flagged on the register list for staff who may open
it; without one, staff who do hardship help can start it from her page (assistance's new-file page for
her), the others are told how; a file outside the user's subtree is named as existing, never linked."""

import pytest

from huigong.assistance.tests.flowkit import make_file
from huigong.honours.testing import make_honour

pytestmark = pytest.mark.django_db


def _page(client, user, h):
    client.force_login(user)
    return client.get(f"/honours/register/{h.pk}/").content.decode()


def test_without_a_file_staff_who_help_can_start_one(client, w):
    person = w.member.person
    h = make_honour(w, person)
    html = _page(client, w.district_staff, h)
    start = f"/assistance/files/new/?head={person.pk}"
    assert 'data-testid="hardship-start"' in html and start in html
    assert client.get(start).status_code == 200  # assistance's own page for her, as the link says
    html = _page(client, w.viewer, h)  # may read, does not do hardship help
    assert "hardship-start" not in html and "请有帮扶业务权限的人员" in html
    listing = client.get("/honours/register/").content.decode()
    assert "hardship-flag" not in listing


def test_her_open_file_is_linked_and_flagged(client, w):
    person = w.member.person
    h = make_honour(w, person)
    f = make_file(person, w.xihu)
    html = _page(client, w.district_staff, h)
    assert f"/assistance/files/{f.pk}/" in html and f.file_no in html and "hardship-start" not in html
    listing = client.get("/honours/register/").content.decode()
    assert 'data-testid="hardship-flag"' in listing and f'href="/assistance/files/{f.pk}/"' in listing


def test_a_file_outside_the_users_subtree_is_named_not_linked(client, w):
    person = w.member.person
    h = make_honour(w, person)
    f = make_file(person, w.qingdao)
    html = _page(client, w.district_staff, h)
    assert f"/assistance/files/{f.pk}/" not in html and f.file_no not in html
    assert "已有在档的困难职工档案" in html and "hardship-start" not in html
    listing = client.get("/honours/register/").content.decode()
    assert 'data-testid="hardship-flag"' in listing and f"/assistance/files/{f.pk}/" not in listing


def test_the_outsider_sees_neither_her_page_nor_her_file(client, w):
    h = make_honour(w, w.member.person)
    make_file(w.member.person, w.xihu)
    client.force_login(w.outsider)
    assert client.get(f"/honours/register/{h.pk}/").status_code == 404
    assert "hardship-flag" not in client.get("/honours/register/").content.decode()
