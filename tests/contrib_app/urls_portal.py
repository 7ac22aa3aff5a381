from django.urls import path

from . import views

app_name = "contribdemo_portal"
urlpatterns = [path("", views.portal_home, name="home")]
