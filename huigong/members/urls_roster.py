# Roster import/export routes (members:import_*, members:export); included by members/urls.py.
from django.urls import path

from . import views_roster

urlpatterns: list = [
    path("imports/", views_roster.import_list, name="import_list"),
    path("imports/template.xlsx", views_roster.import_template, name="import_template"),
    path("imports/<int:pk>/", views_roster.import_detail, name="import_detail"),
    path("imports/<int:pk>/progress/", views_roster.import_progress, name="import_progress"),
    path("imports/<int:pk>/errors.xlsx", views_roster.import_errors, name="import_errors"),
    path("export.xlsx", views_roster.export, name="export"),
    path("exports/", views_roster.export_list, name="export_list"),
    path("exports/<int:pk>/", views_roster.export_detail, name="export_detail"),
    path("exports/<int:pk>/progress/", views_roster.export_progress, name="export_progress"),
    path("exports/<int:pk>/download.xlsx", views_roster.export_download, name="export_download"),
]
