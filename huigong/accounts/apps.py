from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from huigong.core.contrib import Capability, Contributions, NavEntry, UrlInclude


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


def _apps_changed(setting, **kwargs):
    # The roles' capabilities come from the installed apps' declarations (a test may install one).
    if setting == "INSTALLED_APPS":
        from .models import ROLE_CAPS

        ROLE_CAPS.forget()


class AccountsConfig(AppConfig):
    name = "huigong.accounts"
    layer = "tree"  # huigong.core.layers: imports go down only
    label = "accounts"
    verbose_name = "账号"
    contributions = Contributions(
        console_urls=(UrlInclude("accounts/", "huigong.accounts.urls"),),
        nav=(
            NavEntry(130, _("账号管理"), "accounts:staff_list", "user-cog", ("accounts:staff",), cap="staff_manage", group=_("系统")),
            NavEntry(140, _("接口令牌"), "accounts:tokens", "key", ("accounts:token",), group=_("系统")),
        ),
        capabilities=(
            Capability("view", _("查看"), ("admin", "staff", "viewer", "finance", "leader")),
            Capability("staff_manage", _("管理账号"), ("admin",)),
        ),
        page_matrix=("huigong.accounts.tests.page_matrix",),
    )

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_index_session, dispatch_uid="huigong.accounts.index_session")

        from django.test.signals import setting_changed

        setting_changed.connect(_apps_changed, dispatch_uid="huigong.accounts.role_caps")

        from huigong.core.approvals import services as approvals

        from .approvers import approver_accounts

        # The kernel's approval chains ask who holds a capability at a union through this hook.
        approvals.register_approvers(approver_accounts)
