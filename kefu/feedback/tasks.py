"""Background work of feedback: telling the reporters of a problem, a batch of them per task."""

from huey.contrib.djhuey import db_task

from kefu.feedback import services


@db_task(retries=3, retry_delay=60)
def tell_reporters_batch(problem_id: int, report_ids: list[int]) -> None:
    """Record the batch's notices (one transaction), then send them. Retried after a failure: those
    recorded are not recorded again, those sent are not sent again."""
    services.record_notices(problem_id=problem_id, report_ids=report_ids)
    services.send_notices(problem_id=problem_id, report_ids=report_ids)
