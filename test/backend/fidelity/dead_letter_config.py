"""Row "function DLQ" of testing.md's "Where moto is wrong" table.

moto 5.2.5 drops ``DeadLetterConfig`` on CreateFunction and
UpdateFunctionConfiguration. AWS (aws-reference.md §2) stores it, returns it
from GetFunction / GetFunctionConfiguration (and the Create/Update responses),
and clears it on ``TargetArn: ""``; a published version keeps the DLQ it had.
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
    if "DeadLetterConfig" in config_updates:
        # An empty TargetArn (or an empty object) removes the DLQ.
        self.dead_letter_target_arn = _target_arn(config_updates["DeadLetterConfig"])
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
