"""Search text never travels in a URL. A member can be looked up by ID number or phone; a URL is kept by
access logs (gunicorn's, the proxy's), browser history and Referer headers. So a search form POSTs; the
view keeps the text in the session behind a short random token and redirects (303) to the list with
?s=<token> next to the other, harmless filters. Pagination, the export link and reloads carry the token;
it means nothing outside the session that made it.

    if request.method == "POST":
        return searchtext.redirect_with_token(request, reverse("members:list"))
    data, error = searchtext.query_from(request)      # GET params with "q" restored from the token
"""

from __future__ import annotations

import re
import secrets

from django.http import HttpResponseRedirect, QueryDict
from django.utils.translation import gettext as _

TOKEN_PARAM = "s"
_SESSION_KEY = "hg_search_text"
_KEEP = 20  # latest searches per session; an older token answers "search again"
_DIGITS = re.compile(r"\d{7,}")


def looks_personal(text: str) -> bool:
    """An ID number, a phone or a long run of digits from one (spaces, dashes and +86 ignored)."""
    squeezed = re.sub(r"[\s\-+()]", "", text or "")
    return bool(_DIGITS.search(squeezed))


def stash(request, text: str) -> str:
    """The token under which `text` is kept in this session (the same text keeps its token)."""
    kept: dict[str, str] = dict(request.session.get(_SESSION_KEY) or {})
    for token, value in kept.items():
        if value == text:
            break
    else:
        token = secrets.token_urlsafe(6)
    kept.pop(token, None)
    kept[token] = text  # newest last
    request.session[_SESSION_KEY] = dict(list(kept.items())[-_KEEP:])
    return token


def recall(request, token: str) -> str | None:
    return (request.session.get(_SESSION_KEY) or {}).get(token)


def redirect_with_token(request, url: str, *, field: str = "q") -> HttpResponseRedirect:
    """Answer to a search form's POST: the other fields go into the URL, the search text behind a token."""
    params = QueryDict(mutable=True)
    for key, values in request.POST.lists():
        if key in ("csrfmiddlewaretoken", field, TOKEN_PARAM, "page"):
            continue
        kept = [v for v in values if v != ""]
        if kept:
            params.setlist(key, kept)
    text = request.POST.get(field, "").strip()
    if text:
        params[TOKEN_PARAM] = stash(request, text)
    response = HttpResponseRedirect(f"{url}?{params.urlencode()}" if params else url)
    response.status_code = 303
    return response


def query_from(request, *, field: str = "q") -> tuple[QueryDict, str]:
    """The GET parameters with `field` restored from ?s=<token>, and an error message for the page.
    A search text in the URL itself is still honoured for names (old links, bookmarks), never for numbers:
    those are refused with a message, so no page teaches anyone to put one there."""
    data = request.GET.copy()
    error = ""
    token = data.pop(TOKEN_PARAM, [""])[-1]
    in_url = data.get(field, "")
    if token:
        text = recall(request, token)
        if text is None:
            error = _("搜索已过期，请重新输入搜索内容")
            data.pop(field, None)
        else:
            data[field] = text
    elif in_url and looks_personal(in_url):
        error = _("为保护个人信息，身份证号、手机号不能写在网址中，请在搜索框中输入")
        data.pop(field, None)
    return data, error
