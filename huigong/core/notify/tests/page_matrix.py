"""Rows of the console page matrix (huigong/orgs/tests/test_views_matrix.py runs them) for the
notifications pages, declared in the app's contributions (apps.py)."""


def _notification(c) -> int:
    """A notification of 李小红's (杭州某科技公司工会, inside 西湖区), written through the outbox."""
    from huigong.core.notify import services
    from huigong.core.notify.models import Notification

    services.notify(event="join.decided", key="matrix:1", person=c.member.person, title="入会申请已通过",
                    node_path=c.tech.path)
    return Notification.objects.filter(event_key="matrix:1").values_list("pk", flat=True).first()


# name -> (args builder, capability the page needs beyond VIEW, methods)
ROUTES = {
    "notify:list": (lambda c: [], None, "GET"),
    "notify:detail": (lambda c: [_notification(c)], None, "GET"),
}
