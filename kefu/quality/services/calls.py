"""A recorded call's check by its notes (checks.check_call), announced once: CallChecked, whose
severe findings alert the supervisors at once as a chat's do (kefu/notifications)."""

from __future__ import annotations

from django.db import transaction

from kefu.core.events import emit
from kefu.quality.events import CallChecked
from kefu.quality.models import Inspection
from kefu.quality.services.checks import check_call


def check_recorded_call(call_id: int) -> Inspection | None:
    """Check the call once; a new check is announced, a call checked already is left as it is."""
    if Inspection.objects.filter(call_id=call_id).exists():
        return None
    with transaction.atomic():
        inspection = check_call(call_id)
        if inspection is not None and inspection.call_id is not None:
            emit(
                CallChecked(
                    inspection_id=inspection.pk,
                    call_id=inspection.call_id,
                    agent_id=inspection.agent_id,
                    score=inspection.score,
                    severe=inspection.severe,
                )
            )
    return inspection
