from django.urls import path

from . import views

app_name = "outcomes"
urlpatterns = [
    path("", views.item_list, name="list"),
    path("export/", views.item_export, name="export"),
    path("import/", views.item_import, name="import"),
    path("<int:pk>/", views.item_detail, name="detail"),
    path("<int:pk>/act/", views.item_act, name="act"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence_file"),
]
