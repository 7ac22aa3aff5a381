"""Worker-facing pages of this app, mounted under /portal/benefits/ (namespace benefits_portal)."""

from django.urls import path

from . import views_portal as views

app_name = "benefits_portal"
urlpatterns: list = [
    path("", views.programmes, name="programmes"),
    path("<int:pk>/claim/", views.claim, name="claim"),
    path("claims/", views.claims, name="claims"),
    path("claims/<int:pk>/", views.claim_detail, name="claim_detail"),
    path("claims/<int:pk>/cancel/", views.claim_cancel, name="claim_cancel"),
    path("reimbursements/", views.reimbursements, name="reimbursements"),
    path("reimbursements/new/", views.reimbursement_new, name="reimbursement_new"),
    path("reimbursements/<int:pk>/receipt/", views.my_receipt, name="receipt"),
    path("sites/", views.sites, name="sites"),
]
