from django.urls import path

from .views import files, screening

urlpatterns: list = [
    path("", files.home, name="home"),
    path("rules/", screening.rule_list, name="rule_list"),
    path("rules/<int:pk>/edit/", screening.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", screening.rule_delete, name="rule_delete"),
    path("sweeps/", screening.sweep_list, name="sweep_list"),
    path("sweeps/new/", screening.sweep_create, name="sweep_create"),
    path("sweeps/<int:pk>/", screening.sweep_detail, name="sweep_detail"),
    path("sweeps/<int:pk>/apply-rules/", screening.sweep_apply, name="sweep_apply"),
    path("sweeps/<int:pk>/close/", screening.sweep_close, name="sweep_close"),
    path("sweeps/assignments/<int:pk>/visit/", screening.sweep_visit, name="sweep_visit"),
    path("sweeps/assignments/<int:pk>/visit/people/", screening.sweep_visit_people, name="sweep_visit_people"),
    path("files/", files.file_list, name="file_list"),
    path("files/new/", files.file_create, name="file_create"),
    path("files/<int:pk>/", files.file_detail, name="file_detail"),
    path("files/<int:pk>/edit/", files.file_edit, name="file_edit"),
    path("files/<int:pk>/open/", files.file_open, name="file_open"),
    path("files/<int:pk>/review/", files.file_review, name="file_review"),
    path("files/<int:pk>/close/", files.file_close, name="file_close"),
    path("files/<int:pk>/members/", files.file_member_add, name="file_member_add"),
    path("files/<int:pk>/members/<int:member_id>/remove/", files.file_member_remove, name="file_member_remove"),
    path("files/<int:pk>/evidence/", files.evidence_upload, name="evidence_upload"),
    path("files/<int:pk>/evidence/<int:evidence_id>/", files.evidence_download, name="evidence_download"),
    path("files/<int:pk>/reveal/<str:what>/", files.file_reveal, name="file_reveal"),
    path("help-requests/", files.help_request_list, name="help_requests"),
    path("help-requests/<int:pk>/decline/", files.help_request_decline, name="help_request_decline"),
]
