"""Row "EventBridge" of testing.md's "Where moto is wrong" table (targets per rule).

moto 5.2.5 accepts any number of targets on a rule, and its ListTargetsByRule
answers the last page with ``"NextToken": null``.

Recorded against AWS (aws-recorded-behaviour.md §7, EV ``test_add_exceed_fife_targets_per_rule``,
``test_list_target_by_rule_limit``): a PutTargets that would leave a rule with
more than 5 targets fails as a whole with 400 LimitExceededException "The
requested resource exceeds the maximum number allowed." (no FailedEntries,
nothing stored); the last page of ListTargetsByRule has no NextToken key.
"""

import json
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.events.models import Rule
from moto.events.responses import EventsHandler

MAX_TARGETS_PER_RULE = 5

_original_put_targets = Rule.put_targets
_original_list_targets = EventsHandler.list_targets_by_rule


class LimitExceededException(JsonRESTError):
    code = 400

    def __init__(self) -> None:
        super().__init__("LimitExceededException", "The requested resource exceeds the maximum number allowed.")


def put_targets(self: Rule, targets: list[dict[str, Any]]) -> None:
    ids = {t["Id"] for t in self.targets} | {t["Id"] for t in targets}
    if len(ids) > MAX_TARGETS_PER_RULE:
        raise LimitExceededException()
    _original_put_targets(self, targets)


def list_targets_by_rule(self: EventsHandler):  # noqa: ANN201
    answer = _original_list_targets(self)
    body, headers = answer
    parsed = json.loads(body)
    if isinstance(parsed, dict) and "Targets" in parsed and parsed.get("NextToken") is None:
        parsed.pop("NextToken", None)
        return json.dumps(parsed), headers
    return answer


def apply() -> None:
    Rule.put_targets = put_targets
    EventsHandler.list_targets_by_rule = list_targets_by_rule
