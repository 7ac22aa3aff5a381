"""The worker's ticket page, mounted at /portal/activities/gate/ (the app's contributions)."""

from django.urls import path

from . import checkin_views_portal as v

app_name = "activities_gate_portal"

urlpatterns = [
    path("tickets/<int:registration_id>/", v.ticket, name="ticket"),
]
