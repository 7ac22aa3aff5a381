from celery import shared_task


@shared_task(name="members.roster_import_run", acks_late=True, ignore_result=True)
def roster_import_run_task(import_id: int) -> None:
    # The service records success, rejection and failure on the import itself.
    from huigong.members.roster.services import roster_import_run

    roster_import_run(import_id)
