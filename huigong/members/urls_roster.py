# Roster import/export routes (members:import_*, members:export); included by members/urls.py.
urlpatterns: list = []
