"""Console pages of the events app, mounted at /activities/ (namespace activities)."""

from django.urls import path

from . import views, views_contest

app_name = "activities"
urlpatterns: list = [
    path("", views.home, name="home"),
    path("new/", views.event_create, name="event_create"),
    path("<int:pk>/", views.event_detail, name="event_detail"),
    path("<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("<int:pk>/sessions/", views.session_add, name="session_add"),
    path("<int:pk>/invitations/", views.event_invite, name="event_invite"),
    path("<int:pk>/<str:action>/", views.event_action, name="event_action"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/shares/", views.share_set, name="share_set"),
    path("sessions/<int:pk>/register/", views.session_register, name="session_register"),
    path("sessions/<int:pk>/import/", views.session_import, name="session_import"),
    path("sessions/<int:pk>/sheet.<str:fmt>", views.attendance_sheet, name="attendance_sheet"),
    path("sessions/<int:pk>/do/<str:action>/", views.session_action, name="session_action"),
    path("registrations/<int:pk>/cancel/", views.registration_cancel, name="registration_cancel"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:pk>/", views.approval_decide, name="approval_decide"),
    path("contests/", views_contest.contest_list, name="contests"),
    path("contests/new/", views_contest.contest_create, name="contest_create"),
    path("contests/<int:pk>/", views_contest.contest_detail, name="contest_detail"),
    path("contests/<int:pk>/bank/", views_contest.contest_bank, name="contest_bank"),
    path("contests/<int:pk>/rounds/", views_contest.round_add, name="contest_round_add"),
    path("contests/<int:pk>/do/<str:action>/", views_contest.contest_action, name="contest_action"),
    path("contests/questions/<int:pk>/", views_contest.question_edit, name="question_edit"),
]
