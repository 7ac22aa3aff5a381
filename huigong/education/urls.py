from django.urls import path

from . import views

app_name = "education"
urlpatterns: list = [
    path("", views.home, name="home"),
    path("institutions/new/", views.institution_create, name="institution_create"),
    path("programmes/new/", views.programme_create, name="programme_create"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme_detail"),
    path("programmes/<int:pk>/rules/", views.programme_rules, name="programme_rules"),
    path("programmes/<int:pk>/majors/", views.major_add, name="major_add"),
    path("programmes/<int:pk>/do/<str:action>/", views.programme_action, name="programme_action"),
    path("programmes/<int:pk>/applications/", views.applications, name="applications"),
    path("programmes/<int:pk>/cohort/", views.enrolments, name="enrolments"),
    path("programmes/<int:pk>/report/", views.report, name="report"),
    path("programmes/<int:pk>/payment-batch/", views.batch_create, name="batch_create"),
    path("review/", views.review_queue, name="queue"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/points/", views.application_points, name="application_points"),
    path("applications/<int:pk>/decide/", views.application_decide, name="application_decide"),
    path("applications/<int:pk>/documents/<str:which>/", views.application_document, name="application_document"),
    path("applications/<int:pk>/enrol/", views.enrolment_confirm, name="enrolment_confirm"),
    path("enrolments/<int:pk>/", views.enrolment_detail, name="enrolment_detail"),
    path("enrolments/<int:pk>/<str:action>/", views.enrolment_action, name="enrolment_action"),
    path("notices/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/<str:action>/", views.notice_action, name="notice_action"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/bank-sheet/", views.batch_bank_sheet, name="batch_bank_sheet"),
    path("batches/<int:pk>/results/", views.batch_import_results, name="batch_import_results"),
    path("payments/<int:pk>/<str:action>/", views.payment_action, name="payment_action"),
]
