from django.urls import path

from . import views

app_name = "checkups"
urlpatterns = [
    path("", views.home, name="home"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/enroll/", views.campaign_enroll, name="campaign_enroll"),
    path("campaigns/<int:pk>/report/", views.campaign_report, name="report"),
    path("campaigns/<int:pk>/report.pdf", views.campaign_report_pdf, name="report_pdf"),
    path("templates/", views.template_list, name="templates"),
    path("templates/seed/", views.template_seed, name="template_seed"),
    path("templates/<int:pk>/", views.template_detail, name="template"),
    path("template-items/<int:pk>/", views.template_item_edit, name="template_item"),
    path("exams/<int:pk>/", views.exam_detail, name="exam"),
    path("exams/<int:pk>/self-assessment/", views.self_assess, name="self_assess"),
    path("exams/<int:pk>/visit/", views.visit, name="visit"),
    path("exams/<int:pk>/findings/", views.finding_add, name="finding_add"),
    path("exams/<int:pk>/instruments/", views.instrument_issue, name="instrument_issue"),
    path("exams/<int:pk>/return-visit/", views.return_visit, name="return_visit"),
    path("exams/<int:pk>/report.pdf", views.exam_pdf, name="exam_pdf"),
    path("instruments/<int:pk>.pdf", views.instrument_pdf, name="instrument_pdf"),
    path("instruments/<int:pk>/reply/", views.instrument_reply, name="instrument_reply"),
    path("photos/<int:pk>/", views.response_photo, name="photo"),
]
