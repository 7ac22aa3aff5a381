from django.urls import path

from . import views

app_name = "research"
urlpatterns: list = [
    path("", views.home, name="home"),
    path("showcase/", views.showcase, name="showcase"),
    path("programmes/new/", views.programme_create, name="programme_create"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme_detail"),
    path("programmes/<int:pk>/open/", views.programme_action, {"action": "open"}, name="programme_open"),
    path("programmes/<int:pk>/close/", views.programme_action, {"action": "close"}, name="programme_close"),
    path("programmes/<int:pk>/topics/", views.topic_add, name="topic_add"),
    path("programmes/<int:pk>/rules/", views.rule_set, name="rule_set"),
    path("programmes/<int:pk>/apply/", views.project_create, name="project_create"),
    path("programmes/<int:pk>/batch/", views.batch_create, name="batch_create"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/report.pdf", views.project_pdf, name="project_pdf"),
    path("projects/<int:pk>/team/", views.project_team, name="project_team"),
    path("projects/<int:pk>/submit/", views.project_submit, name="project_submit"),
    path("projects/<int:pk>/decide/", views.project_decide, name="project_decide"),
    path("projects/<int:pk>/fieldwork/", views.fieldwork_add, name="fieldwork_add"),
    path("projects/<int:pk>/midterm/", views.midterm, name="midterm"),
    path("projects/<int:pk>/report/", views.report_upload, name="report_upload"),
    path("projects/<int:pk>/award/", views.award, name="award"),
    path("reports/<int:pk>/file/", views.report_file, name="report_file"),
    path("reports/<int:pk>/decide/", views.report_decide, name="report_decide"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/bank-sheet/", views.batch_sheet, name="batch_sheet"),
    path("batches/<int:pk>/results/", views.batch_results, name="batch_results"),
    path("payments/<int:pk>/paid/", views.payment_action, {"action": "paid"}, name="payment_paid"),
    path("payments/<int:pk>/failed/", views.payment_action, {"action": "failed"}, name="payment_failed"),
    path("payments/<int:pk>/retry/", views.payment_action, {"action": "retry"}, name="payment_retry"),
]
