from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("signup/", views.signup, name="signup"),
    path("logout/", views.logout_view, name="logout"),
    path("services/", views.services_page, name="services"),
    path("messages/", views.message_list, name="messages"),
    path("messages/read-all/", views.messages_read_all, name="messages_read_all"),
    path("messages/<int:pk>/", views.message_detail, name="message_detail"),
    path("me/", views.me, name="me"),
    path("consent/<str:purpose>/", views.consent, name="consent"),
    path("consent/<str:purpose>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
]
