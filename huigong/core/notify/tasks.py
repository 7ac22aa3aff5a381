from celery import shared_task


@shared_task(name="huigong.notify.deliver", ignore_result=True)
def deliver() -> None:
    """Enqueued after the commit of a decision that wrote pending rows (core.tasks.enqueue)."""
    from .services import deliver_due

    deliver_due()
