"""Worker pages of the events app, mounted at /portal/activities/ (namespace activities_portal)."""

from django.urls import path

from . import views_portal as views
from . import views_portal_contest as contest

app_name = "activities_portal"
urlpatterns: list = [
    path("", views.events, name="events"),
    path("<int:pk>/", views.event, name="event"),
    path("<int:pk>/ballot/", views.ballot, name="ballot"),
    path("sessions/<int:pk>/register/", views.register, name="register"),
    path("mine/", views.mine, name="mine"),
    path("mine/<int:pk>/", views.registration, name="registration"),
    path("mine/<int:pk>/<str:action>/", views.registration_action, name="registration_action"),
    path("mine/<int:pk>/certificate.pdf", views.certificate, name="certificate"),
    path("certificates/<str:token>/", views.certificate_verify, name="certificate_verify"),
    path("contests/<int:pk>/", contest.contest, name="contest"),
    path("contests/<int:pk>/start/", contest.start, name="contest_start"),
    path("attempts/<int:pk>/", contest.attempt, name="attempt"),
    path("contests/<int:pk>/board/", contest.board, name="contest_board"),
]
