"""The English catalogue: the switch serves English pages, and the committed .po/.mo are complete and current.

Chinese is the default language and the msgids are the Chinese text, so an untranslated string does not
break anything: it just shows up in Chinese on an English page. These tests are what notices.
"""

from __future__ import annotations

import ast
import gettext as gnu_gettext
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

LOCALE_DIR = Path(settings.BASE_DIR) / "huigong" / "locale"
PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
MO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.mo"
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")


# --- a tiny .po reader (no polib in the project) ---------------------------------------------------


def parse_po(path: Path) -> list[dict]:
    """Entries as dicts: ctxt, id, plural, strs ({-1: msgstr} or {0: .., 1: ..}), flags; header dropped,
    obsolete (#~) entries ignored."""
    entries, cur, field = [], None, None

    def flush():
        if cur is not None and cur["id"] is not None:
            entries.append(cur)

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            flush()
            cur = field = None
            continue
        if cur is None:
            cur = {"ctxt": None, "id": None, "plural": None, "strs": {}, "flags": set()}
        if line.startswith("#,"):
            cur["flags"].update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        m = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$', line)
        if m:
            kw, idx, value = m.group(1), m.group(2), ast.literal_eval(m.group(3))
            if kw.startswith("msgstr"):
                field = ("strs", int(idx) if idx is not None else -1)
                cur["strs"][field[1]] = value
            else:
                field = ({"msgctxt": "ctxt", "msgid": "id", "msgid_plural": "plural"}[kw],)
                cur[field[0]] = value
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if field[0] == "strs":
                cur["strs"][field[1]] += value
            else:
                cur[field[0]] += value
        else:
            raise AssertionError(f"unreadable .po line: {line!r}")
    return [e for e in entries if e["id"] != ""]


def _key(e: dict) -> tuple[str | None, str]:
    return (e["ctxt"], e["id"])


# --- visible text of a page ------------------------------------------------------------------------


class _Text(HTMLParser):
    """Text a person sees or hears (screen readers): character data outside script/style, plus the
    title, placeholder, aria-label and alt attributes."""

    def __init__(self):
        super().__init__()
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "placeholder", "aria-label", "alt") and value:
                self.chunks.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.chunks.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.chunks


def _section(html: str, start: str, end: str) -> str:
    i = html.index(start)
    return html[i : html.index(end, i)]


def _untranslated(html: str, data: set[str]) -> list[str]:
    """Chinese left on the page once the data (names of unions, people, employers…) is taken out."""
    left = []
    for chunk in visible_text(html):
        for value in sorted(data, key=len, reverse=True):
            chunk = chunk.replace(value, "")
        if CJK.search(chunk):
            left.append(chunk)
    return left


def _cast_data(cast) -> set[str]:
    from huigong.members.models import Person
    from huigong.orgs.models import Enterprise, UnionNode

    data = set(UnionNode.objects.values_list("name", flat=True))
    # Union pickers label each option "name（code）".
    data |= {f"（{code}）" for code in UnionNode.objects.values_list("code", flat=True)}
    data |= set(Enterprise.objects.values_list("name", flat=True))
    data |= set(Enterprise.objects.values_list("industry", flat=True))
    data |= set(Person.objects.values_list("name", flat=True))
    # The switch names Chinese in Chinese on purpose, and the search hint shows what a Chinese
    # name and its pinyin look like.
    data |= {"中文", "简体中文", "张三", "骑手"}
    return {d for d in data if d}


def _switch_to_english(client) -> None:
    resp = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert resp.status_code == 302


# --- pages -----------------------------------------------------------------------------------------


def test_default_language_renders_chinese(client, cast):
    client.force_login(cast.city_admin)
    html = client.get(reverse("console:home")).content.decode()
    assert '<html lang="zh-hans">' in html
    nav = _section(html, '<nav class="nav"', "</nav>")
    assert "会员" in nav and "组织架构" in nav and "Members" not in nav
    assert "退出" in html and "Sign out" not in html


def test_login_page_in_english(client, db):
    _switch_to_english(client)
    html = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="en">' in html
    for label in ("Sign in", "Username", "Password", "Union member services"):
        assert label in html
    assert _untranslated(html, {"简体中文"}) == []


@pytest.mark.parametrize(
    "url_name,labels",
    [
        ("console:home", ["Active members", "Joined this month", "Unions below", "Recent changes"]),
        ("members:list", ["Name, pinyin, initials, ID number or phone", "More filters", "Employment form"]),
        ("orgs:tree", ["Find a union (name or code)", "Level", "Code"]),
    ],
)
def test_console_pages_in_english(client, cast, url_name, labels):
    client.force_login(cast.city_admin)
    _switch_to_english(client)
    html = client.get(reverse(url_name)).content.decode()
    assert '<html lang="en">' in html
    nav = _section(html, '<nav class="nav"', "</nav>")
    for label in (
        "Home",
        "Union tree",
        "Members",
        "Employers",
        "Service sites",
        "Audit log",
        "Accounts",
        "API tokens",
    ):
        assert f"<span>{label}</span>" in nav
    assert not CJK.search("".join(visible_text(nav)))
    assert "Sign out" in html and "Admin" in html  # top bar: sign-out button, role badge
    for label in labels:
        assert label in html
    assert _untranslated(html, _cast_data(cast)) == []


@pytest.mark.parametrize(
    "page",
    [
        "orgs:enterprise_list",
        "orgs:site_list",
        "console:audit",
        "console:audit_access",
        "accounts:staff_list",
        "accounts:tokens",
        "accounts:profile",
        "accounts:password_change",
        "members:import_list",
        "member_detail",
        "node_detail",
        "enterprise_detail",
    ],
)
def test_other_console_pages_have_no_chinese_ui_text_in_english(client, cast, page):
    args = {
        "member_detail": ("members:detail", [cast.member.person_id]),
        "node_detail": ("orgs:node_detail", [cast.xihu.pk]),
        "enterprise_detail": ("orgs:enterprise_detail", [cast.platform.pk]),
    }.get(page, (page, []))
    client.force_login(cast.city_admin)
    _switch_to_english(client)
    resp = client.get(reverse(args[0], args=args[1]))
    assert resp.status_code == 200
    assert _untranslated(resp.content.decode(), _cast_data(cast)) == []


def test_words_with_two_meanings_in_english_get_the_right_one(client, cast):
    from django.core.paginator import Paginator
    from django.template import RequestContext, Template
    from django.test import RequestFactory
    from django.utils import translation

    client.force_login(cast.city_admin)
    _switch_to_english(client)
    html = client.get(reverse("members:detail", args=[cast.member.person_id])).content.decode()
    # 退会 is the action on the button and the status in the history.
    assert f'href="{reverse("members:withdraw", args=[cast.member.person_id])}">Withdraw</a>' in html
    with translation.override("en"):
        request = RequestFactory().get("/members/", {"page": 3})
        pager = Template('{% include "partials/pagination.html" %}').render(
            RequestContext(request, {"page_obj": Paginator(list(range(500)), 50).get_page(3)})
        )
    # 首页 is "Home" in the nav and "First" (page) in the pager.
    assert ">First</a>" in pager and "Home" not in pager and "page 3 of 10" in pager


def test_membership_statuses_and_union_levels_in_english(client, cast):
    from django.utils import translation

    from huigong.members.models import MembershipStatus
    from huigong.orgs.models import NodeLevel

    with translation.override("en"):
        assert str(MembershipStatus.ACTIVE.label) == "Active"
        assert str(NodeLevel.GRASSROOTS.label) == "Grassroots union"
        assert str(NodeLevel.JOINT.label) == "Joint union"
    with translation.override("zh-hans"):
        assert str(MembershipStatus.ACTIVE.label) == "在会"


# --- the catalogue ---------------------------------------------------------------------------------


def test_catalogue_is_fully_translated_with_the_same_placeholders():
    entries = parse_po(PO)
    assert len(entries) > 300
    problems = []
    for e in entries:
        if "fuzzy" in e["flags"]:
            problems.append(("fuzzy", e["id"]))
        if any(not s.strip() for s in e["strs"].values()):
            problems.append(("empty", e["id"]))
        if e["plural"] is not None and sorted(e["strs"]) != [0, 1]:
            problems.append(("plural forms", e["id"]))
        # Sets, not lists: a bilingual msgid ("中文 %(x)s / English %(x)s") names a placeholder twice and
        # its English translation once.
        want = set(PLACEHOLDER.findall(e["id"]))
        for s in e["strs"].values():
            if set(PLACEHOLDER.findall(s)) != want:
                problems.append(("placeholders", e["id"], s))
        keeps_example = any(x in e["id"] for x in ("张三", "骑手"))  # search hints show a Chinese example
        if any(CJK.search(s) for s in e["strs"].values()) and not keeps_example:
            problems.append(("Chinese in the English text", e["id"]))
    assert problems == []


def test_compiled_catalogue_matches_the_po():
    """The .mo is committed (a fresh machine has no gettext to compile it): it must be the current .po."""
    with MO.open("rb") as fh:
        catalog = gnu_gettext.GNUTranslations(fh)._catalog
    expected = {}
    for e in parse_po(PO):
        msgid = e["id"] if e["ctxt"] is None else f"{e['ctxt']}\x04{e['id']}"
        if e["plural"] is None:
            expected[msgid] = e["strs"][-1]
        else:
            expected.update({(msgid, i): e["strs"][i] for i in (0, 1)})
    compiled = {k: v for k, v in catalog.items() if k != ""}
    assert compiled == expected, "run compilemessages and commit the .mo"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_catalogue_matches_the_strings_in_the_code(tmp_path, monkeypatch, settings):
    """makemessages over a copy of the code finds exactly the catalogue's msgids: nothing new is left
    untranslated and nothing stale is kept. Runs on a copy so the committed .po is never touched."""
    src = Path(settings.BASE_DIR) / "huigong"
    for path in src.rglob("*"):
        if path.suffix in (".py", ".html", ".txt") and "vendor" not in path.parts and path.is_file():
            target = tmp_path / "huigong" / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    copy = tmp_path / "huigong" / "locale" / "en" / "LC_MESSAGES" / "django.po"
    copy.parent.mkdir(parents=True)
    shutil.copyfile(PO, copy)
    settings.LOCALE_PATHS = [tmp_path / "huigong" / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["en"], verbosity=0, no_obsolete=True)

    committed = {_key(e) for e in parse_po(PO)}
    fresh = parse_po(copy)
    assert {_key(e) for e in fresh} - committed == set(), "new strings: run makemessages and translate them"
    assert committed - {_key(e) for e in fresh} == set(), "stale strings: run makemessages"


def test_import_template_stays_chinese_on_an_english_page(client, cast):
    """The roster importer reads Chinese labels, so the template an English page hands out must offer
    the Chinese ones or its own rows would be refused."""
    import io
    import zipfile

    client.force_login(cast.city_admin)
    _switch_to_english(client)
    resp = client.get(reverse("members:import_template"))
    assert resp.status_code == 200
    sheet = zipfile.ZipFile(io.BytesIO(b"".join(resp))).read("xl/worksheets/sheet1.xml").decode()
    assert "劳动合同" in sheet and "网约配送员/外卖骑手" in sheet
    assert "Employment contract" not in sheet


@pytest.mark.parametrize(
    "page",
    [
        "assistance:home",
        "assistance:file_list",
        "assistance:help_requests",
        "assistance:rule_list",
        "assistance:sweep_list",
        "assistance:programme_list",
        "assistance:application_list",
        "assistance:approval_queue",
        "assistance:notice_list",
        "assistance:batch_list",
        "assistance:ledger",
        "benefits:home",
        "benefits:reimbursements",
        "benefits:visits",
        "benefits:sites",
        "insights:dashboard",
        "insights:report_list",
        "portal:staff_join_list",
    ],
)
def test_new_apps_console_pages_have_no_chinese_ui_text_in_english(client, cast, page):
    client.force_login(cast.city_admin)
    _switch_to_english(client)
    resp = client.get(reverse(page))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert '<html lang="en">' in html
    assert _untranslated(html, _cast_data(cast)) == []
