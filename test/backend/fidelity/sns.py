"""SNS subscription ``RedrivePolicy`` as AWS stores it (issue 14).

moto 5.2.5 stores any ``RedrivePolicy`` string without validation and keeps
``""`` as an empty attribute. AWS accepts only a JSON object whose one key is
``deadLetterTargetArn`` naming an SQS queue in the subscription's region and
account (``maxReceiveCount`` and other keys are rejected with
``InvalidParameter``), and ``""`` removes the policy: GetSubscriptionAttributes
then has no ``RedrivePolicy`` at all.
"""

import json
import re
from typing import Any

from moto.sns.exceptions import SNSInvalidParameter
from moto.sns.models import SNSBackend

_original_set = SNSBackend.set_subscription_attributes
_SQS_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:sqs:([a-z0-9-]+):(\d{12}):[A-Za-z0-9_-]{1,80}(\.fifo)?$")


def _invalid(reason: str) -> SNSInvalidParameter:
    return SNSInvalidParameter(f"Invalid parameter: RedrivePolicy: {reason}")


def _check(subscription_arn: str, value: str) -> None:
    try:
        policy = json.loads(value)
    except ValueError:
        raise _invalid("failed to parse JSON") from None
    if not isinstance(policy, dict):
        raise _invalid("must be a JSON object")
    extra = sorted(set(policy) - {"deadLetterTargetArn"})
    if extra:
        raise _invalid(f"unknown key(s) {', '.join(extra)}; the only key is deadLetterTargetArn")
    target = policy.get("deadLetterTargetArn")
    match = _SQS_ARN.match(target) if isinstance(target, str) else None
    if not match:
        raise _invalid("deadLetterTargetArn must be an SQS queue ARN")
    parts = subscription_arn.split(":")
    region, account, topic = parts[3], parts[4], parts[5]
    if match.group(1) != region or match.group(2) != account:
        raise _invalid("the dead-letter queue must be in the subscription's region and account")
    if topic.endswith(".fifo") != bool(match.group(3)):
        raise _invalid("the dead-letter queue type (FIFO or standard) must match the topic's")


def _set_subscription_attributes(self: SNSBackend, arn: str, name: str, value: Any) -> None:
    if name == "RedrivePolicy":
        if value in (None, ""):
            _original_set(self, arn, name, value)
            subscription = self.subscriptions.get(arn)
            if subscription is not None:
                subscription.attributes.pop("RedrivePolicy", None)
            return
        _check(arn, value)
    _original_set(self, arn, name, value)


def apply() -> None:
    SNSBackend.set_subscription_attributes = _set_subscription_attributes  # type: ignore[method-assign]
