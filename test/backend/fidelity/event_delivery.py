"""EventBridge delivery to targets: the event envelope (a row beside "EventBridge" in testing.md's table).

moto 5.2.5 delivers a rule's matched event to an SQS target through its default
input template, which leaves out ``account``.

AWS (EventBridge User Guide, "Amazon EventBridge events" / event structure
reference): every event a target receives without an input transformer carries
the whole envelope: ``version``, ``id``, ``detail-type``, ``source``,
``account``, ``time``, ``region``, ``resources`` and ``detail``. retryctl's drift
feed maps a CloudTrail event to resources by its ``account`` and ``region``.
"""

from moto.events.utils import EventTemplateParser

_ENVELOPE = (
    '{"version": "0", "id": "<id>", "detail-type": "<detail-type>", "source": "<source>", '
    '"account": "<account>", "time": <time>, "region": "<region>", "resources": <resources>, '
    '"detail": <detail>}'
)


def apply() -> None:
    EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = _ENVELOPE
