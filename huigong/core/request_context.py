"""The client IP of the request being served, for audit rows written deep inside services."""

from contextvars import ContextVar

_ip: ContextVar[str | None] = ContextVar("huigong_ip", default=None)


def current_ip() -> str | None:
    return _ip.get()


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _ip.set(request.META.get("REMOTE_ADDR"))
        try:
            return self.get_response(request)
        finally:
            _ip.reset(token)
