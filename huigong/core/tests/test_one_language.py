"""One language per message: no "中文 / English" strings in the code, and a message shown to a Chinese
user has no English in it while the same message shown to an English user has no Chinese."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation

ROOT = Path(settings.BASE_DIR) / "huigong"
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
SEPARATOR = re.compile(r"\s*/\s*")
HOLE = "\x00"  # stands for an f-string's {expression}


def bilingual_split(text: str) -> tuple[str, str] | None:
    """("中文", "English") when text reads "中文 … / English …": Chinese before a slash, words and no
    Chinese after it. Paths (`/portal/`) and pinyin search hints ("张三 / zhangsan / zs") are not."""
    for m in SEPARATOR.finditer(text):
        left, right = text[: m.start()], text[m.end() :]
        if not CJK.search(left) or CJK.search(right.replace(HOLE, "")):
            continue
        if left.endswith("<") or re.match(r"[\w-]+/", right) or "张三" in left:
            continue
        if re.match(r"[A-Za-z0-9\"'({%`" + HOLE + r"]", right) and re.search(r"[A-Za-z]{2,}\W+[A-Za-z]", right):
            return left, right
    return None


def _is_test(path: Path) -> bool:
    rel = path.relative_to(ROOT).parts
    return "tests" in rel or "migrations" in rel or path.name.startswith(("test", "conftest"))


def _string_literals(tree: ast.AST):
    """Every str constant and f-string of a module but docstrings, with its line."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    inner = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inner.update(id(v) for v in node.values)
            yield node.lineno, "".join(v.value if isinstance(v, ast.Constant) else HOLE for v in node.values)
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
              and id(node) not in inner):
            yield node.lineno, node.value


def bilingual_literals_in_python(paths) -> list[str]:
    found = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, text in _string_literals(tree):
            if bilingual_split(text):
                found.append(f"{path.relative_to(ROOT)}:{line}: {text[:80]!r}")
    return found


def bilingual_texts_in_templates(paths) -> list[str]:
    found = []
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            # Template tags and variables are not text; what is left is what a reader sees.
            text = re.sub(r"{%.*?%}|{{.*?}}|<[^>]*>", lambda m: HOLE if m.group().startswith("{{") else " ", line)
            for tag in re.findall(r'{%\s*(?:trans|translate)\s+"([^"]*)"', line):
                if bilingual_split(tag):
                    found.append(f"{path.relative_to(ROOT)}:{n}: {tag[:80]!r}")
            if bilingual_split(text):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:80]!r}")
    return found


def _code_files(suffix: str) -> list[Path]:
    return [p for p in sorted(ROOT.rglob(f"*{suffix}")) if not _is_test(p) and "vendor" not in p.parts]


# --- the scan --------------------------------------------------------------------------------------


def test_the_scan_finds_bilingual_strings_and_leaves_the_rest():
    source = '''
A = "名额已满 / all places are taken"
B = f"{x}：名额应为非负整数 / slots must be 0 or more"
C = ("超过上限："
     "本户已获 {n} 元 / over the cap")
D = _("名额已满")
E = "portal: 惠工e家 at /portal/ — sign in as rider"
F = "例如 张三 / zhangsan / zs"
G = "台账导出 .xlsx / .pdf"
'''
    tree = ast.parse(source)
    flagged = [line for line, text in _string_literals(tree) if bilingual_split(text)]
    assert flagged == [2, 3, 4]
    html = '<h1>服务器出错了 / Server error</h1>\n<p>{% trans "公示已结束 / this notice has ended" %}</p>\n' \
           '<input placeholder="{% trans \'例如 张三 / zhangsan / zs\' %}">\n<p>{% translate "公示已结束" %}</p>'
    assert bilingual_split("服务器出错了 / Server error") and bilingual_split("公示已结束 / this notice has ended")
    assert not bilingual_split("公示已结束") and not bilingual_split("例如 张三 / zhangsan / zs")
    assert len([line for line in html.splitlines() if bilingual_split(re.sub(r"{%.*?%}|<[^>]*>", " ", line))
                or any(bilingual_split(t) for t in re.findall(r'{%\s*trans\w*\s+"([^"]*)"', line))]) == 2


def test_no_bilingual_string_literal_in_the_code():
    assert bilingual_literals_in_python(_code_files(".py")) == []


def test_no_bilingual_text_in_the_templates():
    assert bilingual_texts_in_templates(_code_files(".html")) == []


# --- messages in one language ----------------------------------------------------------------------


def _one_language(zh: str, en: str) -> None:
    assert CJK.search(zh) and not LATIN_WORD.search(zh), zh
    assert LATIN_WORD.search(en) and not CJK.search(en), en


def test_form_field_errors_name_the_field_in_one_language(db):
    from huigong.orgs.forms import NodeForm

    errors = {}
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            form = NodeForm(data={"code": "x" * 40})
            assert not form.is_valid()
            errors[lang] = {field: [str(m) for m in msgs] for field, msgs in form.errors.items()}
    assert errors["zh-hans"]["name"] == ["名称不能为空"]
    assert errors["en"]["name"] == ["Name is required"]
    # Django fills in the limit after the field is named.
    assert errors["zh-hans"]["code"] == ["编码过长（最多 32 个字符）"]
    assert errors["en"]["code"] == ["Code is too long (at most 32 characters)"]


def test_service_error_names_the_row_in_one_language():
    from huigong.core.uploads import check_upload

    for lang in ("zh-hans", "en"):
        with translation.override(lang), pytest.raises(ValidationError) as e:
            check_upload(io.BytesIO(b""), field_label=translation.gettext("票据"))
        if lang == "en":
            en = e.value.messages[0]
        else:
            zh = e.value.messages[0]
    assert zh == "票据：文件是空的"
    assert en.startswith("Receipt") and "empty" in en
    _one_language(zh, en)


def test_result_sheet_row_errors_name_the_row_in_one_language():
    from huigong.core.banksheet import where

    messages = {}
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            messages[lang] = translation.gettext("%(w)s：%(k)s 重复") % {"w": where(3), "k": "HG-7"}
    assert messages["zh-hans"] == "第 3 行：HG-7 重复"
    assert messages["en"].lower().startswith("row 3: hg-7")
    _one_language(messages["zh-hans"], messages["en"])


def test_api_errors_follow_the_request_language(client, db):
    zh = client.get("/api/v1/unions").json()["detail"]
    en = client.get("/api/v1/unions", HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    assert zh == "请先登录或提供令牌"
    assert en.lower() == "sign in or send a token"
    _one_language(zh, en)
