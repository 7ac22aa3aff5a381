app_name = "honours"
urlpatterns: list = []
