from django.urls import path

from . import views

app_name = "benefits"
urlpatterns: list = [
    path("", views.home, name="home"),
    path("programmes/new/", views.programme_create, name="programme_create"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme_detail"),
    path("programmes/<int:pk>/edit/", views.programme_edit, name="programme_edit"),
    path("programmes/<int:pk>/open/", views.programme_transition, {"action": "open"}, name="programme_open"),
    path("programmes/<int:pk>/close/", views.programme_transition, {"action": "close"}, name="programme_close"),
    path("programmes/<int:pk>/sub-quotas/", views.sub_quota_set, name="sub_quota_set"),
    path("programmes/<int:pk>/payment-batch/", views.payment_batch_create, name="payment_batch_create"),
    path("claims/<int:pk>/cancel/", views.claim_cancel, name="claim_cancel"),
    path("reimbursements/", views.reimbursement_queue, name="reimbursements"),
    path("reimbursements/<int:pk>/", views.reimbursement_detail, name="reimbursement_detail"),
    path("reimbursements/<int:pk>/receipt/", views.receipt, name="receipt"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/bank-sheet/", views.batch_bank_sheet, name="batch_bank_sheet"),
    path("batches/<int:pk>/results/", views.batch_import_results, name="batch_import_results"),
    path("payments/<int:pk>/<str:action>/", views.payment_action, name="payment_action"),
    path("visits/", views.visits, name="visits"),
    path("sites/", views.sites, name="sites"),
    path("sites/<int:pk>/", views.site_detail, name="site_detail"),
]
