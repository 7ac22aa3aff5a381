"""The client IP of the request being served, for audit rows written deep inside services."""

import ipaddress
from contextvars import ContextVar

from django.conf import settings

_ip: ContextVar[str | None] = ContextVar("huigong_ip", default=None)


def current_ip() -> str | None:
    return _ip.get()


def client_ip(request) -> str | None:
    """The client's address. Behind HUIGONG_TRUSTED_PROXIES reverse proxies (each appending the address
    it received from to X-Forwarded-For) it is the entry that many places from the right: entries further
    left were written by the client and prove nothing."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = int(getattr(settings, "HUIGONG_TRUSTED_PROXIES", 0) or 0)
    if proxies <= 0:
        return remote
    chain = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
    if len(chain) < proxies:
        return remote
    candidate = chain[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _ip.reset(token)
