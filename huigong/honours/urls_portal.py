"""Worker-facing pages of this app, mounted under /portal/honours/ (namespace honours_portal)."""

from django.urls import path

from .views import portal as views

app_name = "honours_portal"
urlpatterns: list = [
    path("", views.mine, name="mine"),
    path("innovations/", views.innovations, name="innovations"),
    path("innovations/new/", views.innovation_new, name="innovation_new"),
    path("innovations/<int:pk>/", views.innovation, name="innovation"),
    path("innovations/<int:pk>/gains/", views.innovation_gain, name="innovation_gain"),
    path("innovations/<int:pk>/resubmit/", views.innovation_resubmit, name="innovation_resubmit"),
    path("verify/<str:token>/", views.verify, name="verify"),
]
