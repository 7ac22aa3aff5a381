from django.apps import AppConfig


def _index_session(sender, request, user, **kwargs):
    # Every sign-in (console, portal, admin, a test client) goes through django.contrib.auth.login,
    # which sends this signal: the one place that sees them all. login() may have flushed the old
    # session, leaving the new one without a key until it is saved: save it now to learn the key.
    from .services import session_index_add

    session = getattr(request, "session", None)
    if session is None:
        return
    if not session.session_key:
        session.save()
    session_index_add(user=user, session_key=session.session_key)


class AccountsConfig(AppConfig):
    name = "huigong.accounts"
    label = "accounts"
    verbose_name = "账号"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_index_session, dispatch_uid="huigong.accounts.index_session")

        from huigong.core.approvals import services as approvals

        from .approvers import approver_accounts

        # The kernel's approval chains ask who holds a capability at a union through this hook.
        approvals.register_approvers(approver_accounts)
