from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("totp/", views.totp, name="totp"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.password_change, name="password_change"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:staff_id>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:staff_id>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path("staff/<int:staff_id>/activate/", views.staff_activate, name="staff_activate"),
    path("staff/<int:staff_id>/reset-password/", views.staff_reset_password, name="staff_reset_password"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
