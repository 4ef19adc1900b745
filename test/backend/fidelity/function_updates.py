"""Row "function updates" of testing.md's "Where moto is wrong" table.

moto 5.2.5 answers every UpdateFunctionConfiguration / UpdateFunctionCode with
``LastUpdateStatus: Successful`` and never refuses a second update.

Recorded against AWS (aws-recorded-behaviour.md §4, API ``test_redundant_updates``,
``test_lambda_concurrent_config_updates``): every update response says
``LastUpdateStatus: InProgress`` with ``LastUpdateStatusReason: "The function is
being created."`` and ``LastUpdateStatusReasonCode: "Creating"``; reads show the
same until the update is done, then ``Successful`` without the Reason fields; an
update while one is in progress is 409 ResourceConflictException.

How long the update stays in progress is the one thing a test chooses: the
request header ``x-retryctl-update-window-ms`` (the fault proxy's
``functionConflictMs`` sets it). Without it the window is 0 ms, so the update
response says InProgress and the next read already sees Successful.
"""

import json
import time
from typing import Any
from urllib.parse import unquote

from moto.awslambda.exceptions import UnknownFunctionException
from moto.awslambda.models import LambdaFunction
from moto.awslambda.responses import LambdaResponse

from .errors import LambdaError

WINDOW_HEADER = "x-retryctl-update-window-ms"
IN_PROGRESS = {
    "LastUpdateStatus": "InProgress",
    "LastUpdateStatusReason": "The function is being created.",
    "LastUpdateStatusReasonCode": "Creating",
}


def _busy(fn: LambdaFunction) -> bool:
    return time.time() < getattr(fn, "_retryctl_busy_until", 0.0)


def _function(self: LambdaResponse) -> LambdaFunction | None:
    name = unquote(self.path.rsplit("/", 2)[-2])
    try:
        return self.backend._lambdas.get_function_by_name_or_arn_with_qualifier(name)
    except UnknownFunctionException:
        return None  # moto's own handler answers the 404


def _window_seconds(self: LambdaResponse) -> float:
    raw = self.headers.get(WINDOW_HEADER) or "0"
    try:
        return max(0.0, float(raw) / 1000)
    except ValueError:
        return 0.0


def _guarded(original: Any) -> Any:
    def handler(self: LambdaResponse):  # noqa: ANN202
        fn = _function(self)
        if fn is not None and _busy(fn):
            raise LambdaError(
                "ResourceConflictException",
                "The operation cannot be performed at this time. "
                f"An update is in progress for resource: {fn.function_arn}",
            )
        status, headers, body = original(self)
        if fn is None or status != 200:
            return status, headers, body
        fn._retryctl_busy_until = time.time() + _window_seconds(self)
        config = json.loads(body)
        config.update(IN_PROGRESS)
        return status, headers, json.dumps(config)

    return handler


def apply() -> None:
    # Wraps whatever get_configuration is by now (dead_letter_config patches it too).
    original_get_configuration = LambdaFunction.get_configuration

    def get_configuration(self: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
        config = original_get_configuration(self, on_create)
        if not on_create and _busy(self):
            config.update(IN_PROGRESS)
        return config

    LambdaFunction.get_configuration = get_configuration
    LambdaResponse.update_function_configuration = _guarded(LambdaResponse.update_function_configuration)
    LambdaResponse.update_function_code = _guarded(LambdaResponse.update_function_code)
