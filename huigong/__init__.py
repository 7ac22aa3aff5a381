# Load the Celery app with Django, so that tasks sent from the web process go to its Redis broker
# rather than to Celery's default app (and its default AMQP broker).
from .celery import app as celery_app

__all__ = ("celery_app",)
