"""Routes of the flow side: programmes, applications and approval, notices, payouts, ledger."""

from django.urls import path

from .views import aid, ledger, notices, payouts

urlpatterns: list = [
    path("programmes/", aid.programme_list, name="programme_list"),
    path("programmes/new/", aid.programme_create, name="programme_create"),
    path("programmes/<int:pk>/", aid.programme_detail, name="programme_detail"),
    path("programmes/<int:pk>/status/", aid.programme_status, name="programme_status"),
    path("programmes/<int:pk>/budget/", aid.programme_budget, name="programme_budget"),
    path("caps/", aid.household_cap, name="household_cap"),
    path("applications/", aid.application_list, name="application_list"),
    path("applications/new/", aid.application_create, name="application_create"),
    path("applications/<int:pk>/", aid.application_detail, name="application_detail"),
    path("applications/<int:pk>/<str:action>/", aid.application_action, name="application_action"),
    path("approvals/", aid.approval_queue, name="approval_queue"),
    path("notices/", notices.notice_list, name="notice_list"),
    path("notices/new/", notices.notice_create, name="notice_create"),
    path("notices/<int:pk>/", notices.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/pdf/", notices.notice_pdf, name="notice_pdf"),
    path("notices/<int:pk>/objection/", notices.notice_objection, name="notice_objection"),
    path("notices/<int:pk>/end/", notices.notice_end, name="notice_end"),
    path("objections/<int:pk>/resolve/", notices.notice_objection_resolve, name="notice_objection_resolve"),
    path("n/<str:token>/", notices.notice_public, name="notice_public"),
    path("batches/", payouts.batch_list, name="batch_list"),
    path("batches/new/", payouts.batch_create, name="batch_create"),
    path("batches/<int:pk>/", payouts.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/export/", payouts.batch_export, name="batch_export"),
    path("batches/<int:pk>/submit/", payouts.batch_submit, name="batch_submit"),
    path("batches/<int:pk>/import/", payouts.batch_import, name="batch_import"),
    path("batches/<int:pk>/sent/", payouts.batch_sent, name="batch_sent"),
    path("payouts/<int:pk>/<str:action>/", payouts.payout_action, name="payout_action"),
    path("ledger/", ledger.ledger, name="ledger"),
    path("ledger/export.xlsx", ledger.ledger_export, {"fmt": "xlsx"}, name="ledger_export_xlsx"),
    path("ledger/export.pdf", ledger.ledger_export, {"fmt": "pdf"}, name="ledger_export_pdf"),
]
