"""Row "ESM" of testing.md's "Where moto is wrong" table (storage part).

moto 5.2.5: Update/Delete of an unknown UUID answer 404 with an empty body and
no error type (the SDK cannot name the error); ListEventSourceMappings ignores
MaxItems and Marker and filters FunctionName by the literal string used at
create time; a BatchSize over the source's maximum escapes as HTTP 500.

AWS (aws-reference.md §3): 404 ResourceNotFoundException; at most 100
mappings per page with NextMarker; FunctionName filters by the function
whatever form names it; invalid values are 400 InvalidParameterValueException.
Transient states (Creating/Updating, ResourceInUseException) are the fault
proxy's job, not this patch's.

Recorded against AWS (aws-recorded-behaviour.md §5, §8): a stream mapping
carries its defaults (retries and record age -1, ``DestinationConfig:
{"OnFailure": {}}``, ``FunctionResponseTypes: []``, bisect false, …); an SQS
mapping carries none of the stream-only keys; ``FunctionArn`` keeps the
qualifier exactly as FunctionName gave it (``fn`` and ``fn:$LATEST`` differ);
an update is validated against the merged state (SQS BatchSize over 10 with a
stored window of 0 is refused, with the same text as on create).
"""

import json
from typing import Any

from moto.awslambda.models import EventSourceMapping, LambdaBackend
from moto.awslambda.responses import LambdaResponse

from .errors import invalid, not_found
from .functions import split_ref, unqualified_arn

PAGE_LIMIT = 100
_MISSING = "The resource you requested does not exist."

_original_create = LambdaResponse.create_event_source_mapping
_original_backend_create = LambdaBackend.create_event_source_mapping
_original_backend_update = LambdaBackend.update_event_source_mapping
_original_configuration = EventSourceMapping.get_configuration

_STREAM_DEFAULTS: dict[str, Any] = {
    "BisectBatchOnFunctionError": False,
    "MaximumRecordAgeInSeconds": -1,
    "MaximumRetryAttempts": -1,
    "ParallelizationFactor": 1,
    "TumblingWindowInSeconds": 0,
    "LastProcessingResult": "No records processed",
}
_STREAM_ONLY = (
    *_STREAM_DEFAULTS,
    "DestinationConfig",
    "StartingPosition",
    "StartingPositionTimestamp",
)
_BATCH_WINDOW = "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"


def get_configuration(self: EventSourceMapping) -> dict[str, Any]:
    config = _original_configuration(self)
    config.pop("Tags", None)
    config.setdefault("FunctionResponseTypes", [])
    config.setdefault("MaximumBatchingWindowInSeconds", 0)
    if not (config.get("FilterCriteria") or {}).get("Filters"):
        config.pop("FilterCriteria", None)
    if self._get_service_source_from_arn() in ("kinesis", "dynamodb"):
        for key, value in _STREAM_DEFAULTS.items():
            config.setdefault(key, value)
        on_failure = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        config["DestinationConfig"] = {"OnFailure": {"Destination": on_failure} if on_failure else {}}
        config["StateTransitionReason"] = "User action"
    else:
        for key in _STREAM_ONLY:
            config.pop(key, None)
        config["StateTransitionReason"] = "USER_INITIATED"
    return config


def _given_function_arn(backend: LambdaBackend, ref: str) -> str:
    """The FunctionArn as AWS echoes it: the unqualified ARN, plus the qualifier only if one was given."""
    name, qualifier = split_ref(ref)
    arn = unqualified_arn(backend, name)
    return f"{arn}:{qualifier}" if qualifier else arn


def _check_batch_window(source_arn: str, batch: Any, window: Any) -> None:
    standard_sqs = ":sqs:" in source_arn and not source_arn.endswith(".fifo")
    if standard_sqs and (batch or 0) > 10 and (window or 0) < 1:
        raise ValueError("InvalidParameterValueException", _BATCH_WINDOW)


def _backend_create(self: LambdaBackend, spec: dict[str, Any]) -> EventSourceMapping:
    _check_batch_window(
        spec.get("EventSourceArn") or "", spec.get("BatchSize"), spec.get("MaximumBatchingWindowInSeconds")
    )
    esm = _original_backend_create(self, spec)
    esm.function_arn = _given_function_arn(self, spec["FunctionName"])
    return esm


def _backend_update(self: LambdaBackend, uuid: str, spec: dict[str, Any]) -> EventSourceMapping | None:
    esm = self.get_event_source_mapping(uuid)
    if esm is not None:
        # Validated against the merged state: a stored window of 0 counts (invalid-update-event-source-mapping).
        _check_batch_window(
            esm.event_source_arn,
            spec.get("BatchSize", esm.batch_size),
            spec.get("MaximumBatchingWindowInSeconds", esm.max_batch_window),
        )
    updated = _original_backend_update(self, uuid, spec)
    if updated is not None and spec.get("FunctionName"):
        updated.function_arn = _given_function_arn(self, spec["FunctionName"])
    return updated


def _uuid(self: LambdaResponse) -> str:
    return self.path.rstrip("/").split("/")[-1]


def _as_invalid(err: ValueError) -> Exception:
    # moto signals range errors with ValueError("InvalidParameterValueException", msg).
    if len(err.args) == 2 and err.args[0] == "InvalidParameterValueException":
        return invalid(str(err.args[1]))
    return err


def create_event_source_mapping(self: LambdaResponse):  # noqa: ANN201
    try:
        _status, headers, body = _original_create(self)
    except ValueError as err:
        raise _as_invalid(err) from None
    # Recorded (aws-recorded-behaviour.md, state transitions): Create answers 202 with
    # State "Creating" ("Disabled" when created disabled); moto answers 201 "Enabled".
    # The stored mapping stays as moto keeps it: a later Get shows it settled.
    config = json.loads(body)
    if config.get("State") == "Enabled":
        config["State"] = "Creating"
    return 202, {**headers, "status": "202"}, json.dumps(config)


def update_event_source_mapping(self: LambdaResponse):  # noqa: ANN201
    uuid = _uuid(self)
    if self.backend.get_event_source_mapping(uuid) is None:
        raise not_found(_MISSING)
    try:
        esm = self.backend.update_event_source_mapping(uuid, self.json_body)
    except ValueError as err:
        raise _as_invalid(err) from None
    return 202, {"Content-Type": "application/json", "status": "202"}, json.dumps(esm.get_configuration())


def delete_event_source_mapping(self: LambdaResponse):  # noqa: ANN201
    esm = self.backend.delete_event_source_mapping(_uuid(self))
    if esm is None:
        raise not_found(_MISSING)
    body = esm.get_configuration()
    body["State"] = "Deleting"
    return 202, {"Content-Type": "application/json", "status": "202"}, json.dumps(body)


def _matches_function(backend: LambdaBackend, esm: Any, ref: str) -> bool:
    name, qualifier = split_ref(ref)
    wanted = unqualified_arn(backend, name)
    if qualifier:
        wanted = f"{wanted}:{qualifier}"
        return esm.function_arn == wanted
    return esm.function_arn == wanted or esm.function_arn.startswith(f"{wanted}:")


def list_event_source_mappings(self: LambdaResponse):  # noqa: ANN201
    source = self.querystring.get("EventSourceArn", [None])[0]
    function = self.querystring.get("FunctionName", [None])[0]
    esms = list(self.backend._event_source_mappings.values())
    if source:
        esms = [e for e in esms if e.event_source_arn == source]
    if function:
        esms = [e for e in esms if _matches_function(self.backend, e, function)]
    try:
        max_items = int(self.querystring.get("MaxItems", [PAGE_LIMIT])[0])
        start = int(self.querystring.get("Marker", ["0"])[0] or 0)
    except ValueError:
        raise invalid("Invalid Marker or MaxItems") from None
    if max_items < 1 or start < 0:
        raise invalid("Invalid Marker or MaxItems")
    size = min(max_items, PAGE_LIMIT)
    page = esms[start : start + size]
    body: dict[str, Any] = {"EventSourceMappings": [e.get_configuration() for e in page]}
    if start + size < len(esms):
        body["NextMarker"] = str(start + size)
    return 200, {"Content-Type": "application/json", "status": "200"}, json.dumps(body)


def apply() -> None:
    EventSourceMapping.get_configuration = get_configuration
    LambdaBackend.create_event_source_mapping = _backend_create
    LambdaBackend.update_event_source_mapping = _backend_update
    LambdaResponse.create_event_source_mapping = create_event_source_mapping
    LambdaResponse.update_event_source_mapping = update_event_source_mapping
    LambdaResponse.delete_event_source_mapping = delete_event_source_mapping
    LambdaResponse.list_event_source_mappings = list_event_source_mappings
