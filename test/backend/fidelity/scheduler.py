"""EventBridge Scheduler's UpdateSchedule replaces the whole schedule (issue 14).

moto 5.2.5's UpdateSchedule ignores ``ActionAfterCompletion`` (the old value
survives an update that leaves it out), leaves ``State`` empty when it is
omitted, and stores any ``RetryPolicy``. AWS "uses all values, including empty
values, specified in the request and overrides the existing schedule": an
omitted ``ActionAfterCompletion`` becomes ``NONE``, an omitted ``State``
``ENABLED``; ``MaximumRetryAttempts`` is 0-185 and
``MaximumEventAgeInSeconds`` 60-86400 (ValidationException otherwise).
"""

from typing import Any

from moto.scheduler.exceptions import ValidationException
from moto.scheduler.models import Schedule
from moto.scheduler.responses import EventBridgeSchedulerResponse

_original_validate_target = Schedule.validate_target
_original_update = EventBridgeSchedulerResponse.update_schedule


def _validate_target(target: dict[str, Any]) -> dict[str, Any]:
    retry = (target or {}).get("RetryPolicy") or {}
    attempts = retry.get("MaximumRetryAttempts")
    age = retry.get("MaximumEventAgeInSeconds")
    if attempts is not None and not 0 <= attempts <= 185:
        raise ValidationException(
            f"1 validation error detected: Value '{attempts}' at 'target.retryPolicy.maximumRetryAttempts' "
            "failed to satisfy constraint: Member must have value less than or equal to 185"
        )
    if age is not None and not 60 <= age <= 86400:
        raise ValidationException(
            f"1 validation error detected: Value '{age}' at 'target.retryPolicy.maximumEventAgeInSeconds' "
            "failed to satisfy constraint: Member must have value between 60 and 86400"
        )
    return _original_validate_target(target)


def _update_schedule(self: EventBridgeSchedulerResponse) -> str:
    out = _original_update(self)
    group_name = self._get_param("GroupName")
    name = self.uri.split("?")[0].split("/")[-1]
    schedule = self.scheduler_backend.get_schedule(group_name, name)
    schedule.action_after_completion = self._get_param("ActionAfterCompletion") or "NONE"
    schedule.state = self._get_param("State") or "ENABLED"
    return out


def apply() -> None:
    Schedule.validate_target = staticmethod(_validate_target)  # type: ignore[method-assign]
    EventBridgeSchedulerResponse.update_schedule = _update_schedule  # type: ignore[method-assign]
