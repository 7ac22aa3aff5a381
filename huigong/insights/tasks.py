from celery import shared_task


@shared_task(name="insights.rollups_refresh", acks_late=True, ignore_result=True)
def rollups_refresh_task(groups: list[str] | None = None) -> None:
    from huigong.insights.rollups import rollups_refresh

    rollups_refresh(groups=groups)


@shared_task(name="insights.report_run", acks_late=True, ignore_result=True)
def report_run_task(report_id: int) -> None:
    # The service records success and failure on the report itself.
    from huigong.insights.services import report_run

    report_run(report_id)
