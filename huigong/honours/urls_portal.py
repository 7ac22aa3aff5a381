app_name = "honours_portal"
urlpatterns: list = []
