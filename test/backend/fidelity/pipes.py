"""EventBridge Pipes updates (issue 14).

moto 5.2.5's UpdatePipe replaces the stored stream parameters with what the
request sends, so the immutable ``StartingPosition`` is lost, checks no ranges,
and never shows the pipe ``UPDATING``. AWS keeps ``StartingPosition`` (it is
not part of ``UpdatePipeSource*StreamParameters``), rejects
``MaximumRetryAttempts`` outside -1..10000 and ``MaximumRecordAgeInSeconds``
outside -1 or 60..604800 with ValidationException, moves the pipe through
``UPDATING`` and answers another UpdatePipe during it with ConflictException
(409). The UPDATING → RUNNING step follows moto's state manager (model
``pipes::pipe``, by default one call per step), so a test can hold the pipe in
motion.
"""

from typing import Any

from moto.pipes.exceptions import ConflictException, ValidationException
from moto.pipes.models import EventBridgePipesBackend, PipeStatus

_original_update = EventBridgePipesBackend.update_pipe
_original_transitions = PipeStatus.status_transitions.__func__  # type: ignore[attr-defined]
_STREAMS = ("KinesisStreamParameters", "DynamoDBStreamParameters")
_IMMUTABLE = ("StartingPosition", "StartingPositionTimestamp")
_IN_MOTION = {"CREATING", "UPDATING", "STARTING", "STOPPING", "DELETING"}


def _transitions(cls: Any) -> list[tuple[str | None, str]]:
    return [*_original_transitions(cls), ("UPDATING", PipeStatus.RUNNING.value)]


def _check_ranges(params: dict[str, Any]) -> None:
    attempts = params.get("MaximumRetryAttempts")
    age = params.get("MaximumRecordAgeInSeconds")
    if attempts is not None and not -1 <= attempts <= 10000:
        raise ValidationException(
            f"1 validation error detected: Value '{attempts}' at 'maximumRetryAttempts' failed to satisfy "
            "constraint: Member must have value between -1 and 10000"
        )
    if age is not None and not (age == -1 or 60 <= age <= 604800):
        raise ValidationException(
            f"1 validation error detected: Value '{age}' at 'maximumRecordAgeInSeconds' failed to satisfy "
            "constraint: Member must be -1 or between 60 and 604800"
        )


def _update_pipe(self: EventBridgePipesBackend, name: str, *args: Any, **kwargs: Any) -> Any:
    pipe = self.pipes.get(name)
    if pipe is not None:
        # As DescribePipe does: one tick of moto's state manager per call (default: manual, 1 tick).
        pipe.advance()
    if pipe is not None and pipe.current_state in _IN_MOTION:
        raise ConflictException(
            f"Pipe {name} is in state {pipe.current_state}; wait until the change finished",
            resource_id=name,
            resource_type="pipe",
        )
    new = kwargs.get("source_parameters")
    if pipe is not None and isinstance(new, dict):
        old = pipe.source_parameters or {}
        for key in _STREAMS:
            if isinstance(new.get(key), dict):
                _check_ranges(new[key])
                for field in _IMMUTABLE:
                    if field in (old.get(key) or {}):
                        new[key][field] = old[key][field]
    updated = _original_update(self, name, *args, **kwargs)
    updated.status = "UPDATING"
    updated._tick = 0
    return updated


def apply() -> None:
    PipeStatus.status_transitions = classmethod(_transitions)  # type: ignore[method-assign,assignment]
    EventBridgePipesBackend.update_pipe = _update_pipe  # type: ignore[method-assign]
