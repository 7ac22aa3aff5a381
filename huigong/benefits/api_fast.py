"""The claim rush's front door: POST /api/v1/benefit-claims from a worker's own portal session.

The route is the API's (`benefits.api.claim_create`, documented, validated and answered by
django-ninja), and so is every answer. In a rush for places nearly every call is the same: a signed-in
worker claiming for themself with `{"programme_id": n}`, and ninja's general machinery around it (the
authentication chain, parameter models, a provisional response, the exception lookup) cost a tenth of
such a call's CPU. This door answers exactly that case with the API's own pieces: the CSRF check its
session authentication makes, its input schema (`ClaimIn`), the shared `claim_for` and `ClaimOut`, its
exception handlers and JSON renderer. Anything else (another method, a bearer token, a staff session,
no session, a failed CSRF check, a body the schema refuses) goes to the API's view unchanged, which
answers it as it always has. `HUIGONG_CLAIM_FAST_PATH = False` sends every call there.

Tests (benefits/tests/test_api_fast.py) send the same claims through both and require the same status
and body, and that the door's answers involve no ninja operation at all."""

from __future__ import annotations

from django.conf import settings
from django.middleware.csrf import CsrfViewMiddleware
from pydantic import ValidationError as SchemaError

ROUTE = "benefit-claims"
# The check ninja's session authentication makes (ninja.utils.check_csrf) without its second pass over
# the cookie: CsrfViewMiddleware, in MIDDLEWARE, has read it for this request already. Without that
# middleware nothing passes here and every call goes to the API's view, which checks for itself.
_csrf = CsrfViewMiddleware(lambda request: None)


def claim_door(api, api_view):
    """A view for the claims route: a worker's own claim answered here, everything else by `api_view`
    (the route's ninja view, which also serves GET)."""
    from huigong.benefits.api import ClaimIn, ClaimOut, claim_for, session_worker

    def view(request, *args, **kwargs):
        if (request.method != "POST" or "HTTP_AUTHORIZATION" in request.META
                or not settings.HUIGONG_CLAIM_FAST_PATH):
            return api_view(request, *args, **kwargs)
        if session_worker(request) is None or _csrf.process_view(request, None, (), {}) is not None:
            return api_view(request, *args, **kwargs)
        # The user itself rather than the middleware's lazy wrapper (evaluated by now): every attribute read
        # through the wrapper costs a proxy call, and the claim reads the user's many times.
        user = getattr(request.user, "_wrapped", request.user)
        try:
            payload = ClaimIn.model_validate_json(request.body)
        except (ValueError, TypeError, SchemaError):  # not JSON, not an object, or refused: the API says how
            return api_view(request, *args, **kwargs)
        request.auth = user  # as the API's WorkerSessionAuth leaves it (the user)
        try:
            claim = claim_for(request, payload)
        except Exception as exc:  # noqa: BLE001 - the API's handlers answer (or re-raise) as for its own view
            return api.on_exception(request, exc)
        return api.create_response(request, ClaimOut.model_validate(claim).model_dump(), status=201)

    view.csrf_exempt = True  # as ninja's views: CSRF is checked above, for session calls only
    return view


def with_claim_door(api):
    """The API's URL patterns (api.urls) with the claims route's view behind the door above. The API is
    handed in by the URLconf that mounts it: benefits is a domain and imports no surface."""
    from django.urls import URLPattern

    patterns, app_name, namespace = api.urls
    out = []
    for p in patterns:
        if isinstance(p, URLPattern) and str(p.pattern) == ROUTE:
            p = URLPattern(p.pattern, claim_door(api, p.callback), p.default_args, p.name)
        out.append(p)
    return out, app_name, namespace
