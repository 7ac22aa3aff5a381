"""Console pages of event check-in, mounted at /activities/gate/ (the app's contributions)."""

from django.urls import path

from . import checkin_views as v

app_name = "activities_gate"

urlpatterns = [
    path("", v.home, name="home"),
    path("events/<int:event_id>/", v.event_gates, name="event"),
    path("events/<int:event_id>/scans/", v.scan_log, name="scans"),
    path("scans/<int:scan_id>/review/", v.scan_review, name="review"),
    path("sessions/<int:session_id>/bulk/", v.session_bulk, name="bulk"),
    path("<int:gate_id>/", v.gate_page, name="gate"),
    path("<int:gate_id>/edit/", v.gate_edit, name="edit"),
    path("sw.js", v.gate_sw, name="sw"),
    path("<int:gate_id>/roster/", v.gate_roster, name="roster"),
    path("<int:gate_id>/search/", v.gate_search, name="search"),
    path("<int:gate_id>/manual/<int:registration_id>/", v.gate_manual, name="manual"),
]
