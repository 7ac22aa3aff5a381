from celery import shared_task


@shared_task(name="members.roster_import_run", acks_late=True, ignore_result=True)
def roster_import_run_task(import_id: int) -> None:
    # The service records success, rejection and failure on the import itself.
    from huigong.members.roster.services import roster_import_run

    roster_import_run(import_id)


@shared_task(name="members.member_export_run", acks_late=True, ignore_result=True)
def member_export_run_task(export_id: int) -> None:
    # The service records success and failure on the export itself.
    from huigong.members.roster.export_jobs import member_export_run

    member_export_run(export_id)
