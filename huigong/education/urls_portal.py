"""Worker-facing pages, mounted under /portal/education/ (namespace education_portal); the published
draw's verification page and the notice's public page need no sign-in."""

from django.urls import path

from . import views_portal as views

app_name = "education_portal"
urlpatterns: list = [
    path("", views.home, name="home"),
    path("apply/<int:pk>/", views.apply, name="apply"),
    path("applications/<int:pk>/", views.application, name="application"),
    path("applications/<int:pk>/correct/", views.correct, name="correct"),
    path("applications/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("draws/<int:pk>/", views.draw, name="draw"),
    path("draws/<int:pk>/entrants.txt", views.draw_entrants, name="draw_entrants"),
    path("notice/<str:token>/", views.notice_public, name="notice_public"),
]
