"""Row "event invoke config" of testing.md's "Where moto is wrong" table.

moto 5.2.5 appends every Put to a list and Get returns the first one ever put
(later Puts and Updates are invisible), Update is a Put, the Qualifier is
ignored, and Update/List serialise LastModified as an ISO string (SDK v3:
"Expected real number, got implicit NaN").

AWS (aws-reference.md §1): one config per (function, qualifier); Put replaces
the whole config (omitted settings are removed); Update merges the given
settings and needs at least one; Get/Update/Delete of a missing config and any
call on a missing function or qualifier are 404 ResourceNotFoundException;
List returns one entry per qualifier; LastModified is epoch seconds.

Recorded against AWS (aws-recorded-behaviour.md §1-§3): a Put with none of the
three settings is InvalidParameterValueException, checked before the function;
a Lambda destination that does not exist, or the function itself, is refused;
a missing function reads "The function doesn't exist." on Put, Update and List,
and the "doesn't have an EventInvokeConfig" text on Get and Delete; every answer
carries both DestinationConfig halves and a qualified FunctionArn; List has no
NextMarker key when everything fits one page.
"""

import json
import time
from typing import Any

from moto.awslambda.models import EventInvokeConfig, LambdaBackend
from moto.awslambda.responses import LambdaResponse

from .errors import LambdaError, invalid, not_found
from .functions import LATEST, function_exists, resolve, split_ref, unqualified_arn

SETTINGS = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
MAX_LIST_ITEMS = 50
_NOTHING_SET = "You must specify at least one of error handling or destination setting."
_NO_FUNCTION = "The function doesn't exist."


def _store(backend: LambdaBackend) -> dict[tuple[str, str], dict[str, Any]]:
    # Lives on the backend object, so /moto-api/reset (which rebuilds backends) clears it.
    if not hasattr(backend, "_retryctl_event_invoke_configs"):
        backend._retryctl_event_invoke_configs = {}
    return backend._retryctl_event_invoke_configs


def _validate(settings: dict[str, Any]) -> None:
    # moto's own range and ARN-pattern checks, re-raised in the AWS error shape.
    try:
        EventInvokeConfig("", "", settings)
    except Exception as err:  # moto raises its ValidationException (a JsonRESTError)
        message = getattr(err, "message", str(err))
        raise LambdaError("ValidationException", message) from None


def _destination(dest: Any) -> dict[str, Any]:
    # AWS always answers with both members; an unset one is an empty object.
    out: dict[str, Any] = {"OnSuccess": {}, "OnFailure": {}}
    for key in ("OnSuccess", "OnFailure"):
        target = (dest or {}).get(key) or {}
        if target.get("Destination"):
            out[key] = {"Destination": target["Destination"]}
    return out


def _response(backend: LambdaBackend, name: str, qualifier: str, entry: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "LastModified": entry["LastModified"],
        "FunctionArn": f"{unqualified_arn(backend, name)}:{qualifier}",
    }
    for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
        if key in entry:
            body[key] = entry[key]
    body["DestinationConfig"] = _destination(entry.get("DestinationConfig"))
    return body


def _missing_config(backend: LambdaBackend, name: str, qualifier: str) -> LambdaError:
    return not_found(f"The function {unqualified_arn(backend, name)}:{qualifier} doesn't have an EventInvokeConfig")


def _ref(self: LambdaResponse) -> str:
    return self.path.split("/functions/", 1)[1].split("/event-invoke-config", 1)[0]


def _target(self: LambdaResponse, *, as_missing_config: bool = False) -> tuple[str, str]:
    """(name, qualifier) of the addressed config.

    A missing function is "The function doesn't exist." on Put and Update, but
    Get and Delete answer with the same text as for a missing config.
    """
    ref = _ref(self)
    qualifier = self.querystring.get("Qualifier", [None])[0]
    try:
        return resolve(self.backend, ref, qualifier)
    except LambdaError:
        if as_missing_config:
            name, in_ref = split_ref(ref)
            raise _missing_config(self.backend, name, in_ref or qualifier or LATEST) from None
        raise not_found(_NO_FUNCTION) from None


def _check_destinations(backend: LambdaBackend, name: str, settings: dict[str, Any]) -> None:
    own = unqualified_arn(backend, name)
    for key in ("OnSuccess", "OnFailure"):
        arn = ((settings.get("DestinationConfig") or {}).get(key) or {}).get("Destination") or ""
        if ":lambda:" not in arn or ":function:" not in arn:
            continue
        target, _ = split_ref(arn)
        if f"{arn}:".startswith(f"{own}:"):
            raise invalid("You can't specify the function as a destination for itself.")
        if not function_exists(backend, target) or not arn.startswith(unqualified_arn(backend, target)):
            raise invalid(f"The destination ARN {arn} is invalid.")


def _settings(body: dict[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in SETTINGS if body.get(k) is not None}


def _ok(body: Any, status: int = 200) -> tuple[int, dict[str, str], str]:
    return status, {"Content-Type": "application/json", "status": str(status)}, json.dumps(body)


def put_function_event_invoke_config(self: LambdaResponse):  # noqa: ANN201
    settings = _settings(self.json_body)
    # Checked before the function exists (put_functionname_nootherargs).
    if not settings:
        raise invalid(_NOTHING_SET)
    name, qualifier = _target(self)
    _validate(settings)
    _check_destinations(self.backend, name, settings)
    entry = {**settings, "LastModified": time.time()}
    _store(self.backend)[(name, qualifier)] = entry
    return _ok(_response(self.backend, name, qualifier, entry))


def update_function_event_invoke_config(self: LambdaResponse):  # noqa: ANN201
    name, qualifier = _target(self)
    settings = _settings(self.json_body)
    if not settings:
        raise invalid(_NOTHING_SET)
    _validate(settings)
    _check_destinations(self.backend, name, settings)
    store = _store(self.backend)
    current = store.get((name, qualifier))
    if current is None:
        raise _missing_config(self.backend, name, qualifier)
    merged = dict(current)
    for key, value in settings.items():
        if key == "DestinationConfig":
            # Each destination is its own option: a given OnFailure leaves OnSuccess as it was.
            merged_dest = dict(current.get("DestinationConfig") or {})
            merged_dest.update({k: v for k, v in value.items() if k in ("OnSuccess", "OnFailure")})
            merged[key] = merged_dest
        else:
            merged[key] = value
    merged["LastModified"] = time.time()
    store[(name, qualifier)] = merged
    return _ok(_response(self.backend, name, qualifier, merged))


def get_function_event_invoke_config(self: LambdaResponse):  # noqa: ANN201
    name, qualifier = _target(self, as_missing_config=True)
    entry = _store(self.backend).get((name, qualifier))
    if entry is None:
        raise _missing_config(self.backend, name, qualifier)
    return _ok(_response(self.backend, name, qualifier, entry))


def delete_function_event_invoke_config(self: LambdaResponse):  # noqa: ANN201
    name, qualifier = _target(self, as_missing_config=True)
    if _store(self.backend).pop((name, qualifier), None) is None:
        raise _missing_config(self.backend, name, qualifier)
    return 204, {"status": "204"}, ""


def list_function_event_invoke_configs(self: LambdaResponse):  # noqa: ANN201
    try:
        name, _ = resolve(self.backend, _ref(self))
    except LambdaError:
        raise not_found(_NO_FUNCTION) from None
    entries = [
        _response(self.backend, name, q, entry)
        for (fn, q), entry in _store(self.backend).items()
        if fn == name
    ]
    try:
        max_items = int(self.querystring.get("MaxItems", [MAX_LIST_ITEMS])[0])
        start = int(self.querystring.get("Marker", ["0"])[0] or 0)
    except ValueError:
        raise invalid("Invalid Marker or MaxItems") from None
    if not 1 <= max_items <= MAX_LIST_ITEMS:
        raise LambdaError(
            "ValidationException",
            f"1 validation error detected: Value '{max_items}' at 'maxItems' failed to satisfy "
            f"constraint: Member must have value less than or equal to {MAX_LIST_ITEMS}",
        )
    page = entries[start : start + max_items]
    body: dict[str, Any] = {"FunctionEventInvokeConfigs": page}
    if start + max_items < len(entries):
        body["NextMarker"] = str(start + max_items)
    return _ok(body)


_original_delete_function = LambdaBackend.delete_function
_original_delete_alias = LambdaBackend.delete_alias


def _delete_function(self: LambdaBackend, function_name: str, qualifier: str | None = None) -> None:
    _original_delete_function(self, function_name, qualifier)
    name, in_name = split_ref(function_name)
    gone = in_name or qualifier
    store = _store(self)
    for key in [k for k in store if k[0] == name and (gone is None or k[1] == gone)]:
        del store[key]


def _delete_alias(self: LambdaBackend, name: str, function_name: str) -> None:
    _original_delete_alias(self, name, function_name)
    fn, _ = split_ref(function_name)
    _store(self).pop((fn, name), None)


def apply() -> None:
    LambdaResponse.put_function_event_invoke_config = put_function_event_invoke_config
    LambdaResponse.update_function_event_invoke_config = update_function_event_invoke_config
    LambdaResponse.get_function_event_invoke_config = get_function_event_invoke_config
    LambdaResponse.delete_function_event_invoke_config = delete_function_event_invoke_config
    LambdaResponse.list_function_event_invoke_configs = list_function_event_invoke_configs
    # Deleting a function (or one qualifier, or an alias) deletes its configs, as in AWS.
    LambdaBackend.delete_function = _delete_function
    LambdaBackend.delete_alias = _delete_alias
