from celery import shared_task


@shared_task(acks_late=True)
def destroy_expired_personal_data_task() -> dict:
    """Nightly (beat: 02:30 Moscow time): destroy expired and withdrawn personal data (PDN-03).
    Restartable: each citizen is destroyed in its own transaction with its evidence."""
    from privacy.retention import destroy_expired

    report = destroy_expired()
    return {"destroyed": len(report.destroyed), "held": len(report.held), "purged": report.purged}


@shared_task(acks_late=True)
def subject_requests_escalate_task() -> int:
    """Daily (beat: 09:15 Moscow time): escalate subjects' requests past their legal due day (PDN-06)."""
    from privacy.subject_access import requests_escalate

    return requests_escalate()
