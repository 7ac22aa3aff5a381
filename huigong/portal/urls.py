from django.urls import path

from . import views, views_join, views_link, views_notify, views_staff

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("signup/", views.signup, name="signup"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_view, name="password"),
    path("terms/", views.document, {"purpose": "terms"}, name="terms"),
    path("privacy/", views.document, {"purpose": "privacy"}, name="privacy"),
    path("services/", views.services_page, name="services"),
    path("messages/", views.message_list, name="messages"),
    path("messages/read-all/", views.messages_read_all, name="messages_read_all"),
    path("messages/<int:pk>/", views.message_detail, name="message_detail"),
    path("messages/settings/", views_notify.notify_settings, name="notify_settings"),
    path("me/", views.me, name="me"),
    path("consent/<str:purpose>/", views.consent, name="consent"),
    path("consent/<str:purpose>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    # 网上入会
    path("join/", views_join.join_start, name="join_start"),
    path("join/identity/", views_join.join_identity, name="join_identity"),
    path("join/work/", views_join.join_work, name="join_work"),
    path("join/where/", views_join.join_where, name="join_where"),
    path("join/confirm/", views_join.join_confirm, name="join_confirm"),
    path("join/<int:pk>/", views_join.join_detail, name="join_detail"),
    path("join/<int:pk>/withdraw/", views_join.join_withdraw, name="join_withdraw"),
    # 我已是会员: link the account to an existing member record by proof
    path("link/", views_link.link_start, name="link_start"),
    path("link/<int:pk>/", views_link.link_detail, name="link_detail"),
    # Staff (console) pages
    path("staff/joins/", views_staff.join_list, name="staff_join_list"),
    path("staff/joins/<int:pk>/", views_staff.join_detail, name="staff_join_detail"),
    path("staff/joins/<int:pk>/accept/", views_staff.join_accept, name="staff_join_accept"),
    path("staff/joins/<int:pk>/reject/", views_staff.join_reject, name="staff_join_reject"),
    path("staff/card/", views_staff.card_check, name="staff_card_check"),
    # 会员关系转接请求 (both sides) and 我已是会员 confirmations by the union holding the record
    path("staff/transfers/", views_staff.transfer_list, name="staff_transfer_list"),
    path("staff/transfers/<int:pk>/", views_staff.transfer_detail, name="staff_transfer_detail"),
    path("staff/transfers/<int:pk>/accept/", views_staff.transfer_accept, name="staff_transfer_accept"),
    path("staff/transfers/<int:pk>/refuse/", views_staff.transfer_refuse, name="staff_transfer_refuse"),
    path("staff/links/", views_staff.link_list, name="staff_link_list"),
    path("staff/links/<int:pk>/decide/", views_staff.link_decide, name="staff_link_decide"),
]
