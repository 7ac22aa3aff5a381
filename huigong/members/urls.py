from django.urls import include, path

from . import urls_roster, views

app_name = "members"
# People pages live here; roster import/export routes live in urls_roster.py.
urlpatterns: list = [
    path("", views.member_list, name="list"),
    path("new/", views.member_create, name="create"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/edit/", views.member_edit, name="edit"),
    path("<int:pk>/transfer/", views.member_transfer, name="transfer"),
    path("<int:pk>/withdraw/", views.member_withdraw, name="withdraw"),
    path("<int:pk>/reveal/<str:field>/", views.member_reveal, name="reveal"),
    path("", include(urls_roster.urlpatterns)),
]
