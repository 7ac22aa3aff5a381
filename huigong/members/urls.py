from django.urls import include, path

from . import urls_roster

app_name = "members"
# People pages (list, detail, create, edit, transfer, withdraw, reveal) are added here;
# roster import/export routes live in urls_roster.py.
urlpatterns: list = [
    path("", include(urls_roster.urlpatterns)),
]
