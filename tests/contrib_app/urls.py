from django.urls import path

from . import views

app_name = "contribdemo"
urlpatterns = [path("", views.home, name="home")]
