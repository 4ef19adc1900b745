"""Row "function DLQ" of testing.md's "Where moto is wrong" table.

moto 5.2.5 drops ``DeadLetterConfig`` on CreateFunction and
UpdateFunctionConfiguration. AWS (aws-reference.md §2) stores it, returns it
from GetFunction / GetFunctionConfiguration (and the Create/Update responses),
and clears it on ``TargetArn: ""``; a published version keeps the DLQ it had.

Recorded against AWS (aws-recorded-behaviour.md §4): ``DeadLetterConfig: {}``
does NOT remove the DLQ, and a function without one has no ``DeadLetterConfig``
key. ``TargetArn: ""`` as the way to clear it is not recorded; docs/aws-behaviour.md
gives the evidence it rests on.
"""

from typing import Any

from moto.awslambda.models import LambdaFunction

_original_init = LambdaFunction.__init__
_original_update_configuration = LambdaFunction.update_configuration
_original_get_configuration = LambdaFunction.get_configuration


def _target_arn(config: Any) -> str | None:
    if not isinstance(config, dict):
        return None
    return config.get("TargetArn") or None


def _init(self: LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
    _original_init(self, account_id, spec, *args, **kwargs)
    self.dead_letter_target_arn = _target_arn(spec.get("DeadLetterConfig"))


def _update_configuration(self: LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
    config = config_updates.get("DeadLetterConfig")
    # Only an explicit empty TargetArn removes the DLQ; `{}` leaves it as it is (recorded `delete_dlq`).
    if isinstance(config, dict) and "TargetArn" in config:
        self.dead_letter_target_arn = _target_arn(config)
    return _original_update_configuration(self, config_updates)


def _get_configuration(self: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
    config = _original_get_configuration(self, on_create)
    target = getattr(self, "dead_letter_target_arn", None)
    if target:
        config["DeadLetterConfig"] = {"TargetArn": target}
    return config


def apply() -> None:
    LambdaFunction.__init__ = _init
    LambdaFunction.update_configuration = _update_configuration
    LambdaFunction.get_configuration = _get_configuration
