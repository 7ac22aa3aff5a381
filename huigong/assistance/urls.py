"""Console pages of the assistance app (namespace "assistance"). Two modules so that the screening/files
side and the programmes/approval/money side grow without touching each other's routes."""

from . import urls_files, urls_flow

app_name = "assistance"
urlpatterns = [*urls_files.urlpatterns, *urls_flow.urlpatterns]
