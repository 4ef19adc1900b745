"""Lambda rest-json errors exactly as AWS sends them.

AWS Lambda answers an error with the HTTP status of the error shape, an
``X-Amzn-ErrorType`` header naming the shape, and a JSON body holding the
shape's members: ``Type`` ("User" for 4xx, "Service" for 5xx) and the message
under the member name the model uses (``Message`` for ResourceNotFound /
ResourceInUse / Service, ``message`` for InvalidParameterValue /
ResourceConflict / TooManyRequests). moto's own errors send
``{"__type", "message"}`` or, for some ESM paths, no body at all.
"""

import json

from werkzeug.exceptions import HTTPException

# Member name of the message per error shape (botocore lambda/2015-03-31 model).
_MESSAGE_MEMBER = {
    "ResourceNotFoundException": "Message",
    "ResourceInUseException": "Message",
    "ServiceException": "Message",
    "InvalidParameterValueException": "message",
    "ResourceConflictException": "message",
    "TooManyRequestsException": "message",
}

_STATUS = {
    "ResourceNotFoundException": 404,
    "ResourceInUseException": 400,
    "ServiceException": 500,
    "InvalidParameterValueException": 400,
    "ResourceConflictException": 409,
    "TooManyRequestsException": 429,
    # Not a modeled Lambda shape: the framework-level input validation error.
    "ValidationException": 400,
}


class LambdaError(HTTPException):
    """Raised from a patched LambdaResponse method; moto's dispatcher turns it into the response."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__()
        self.code = _STATUS[error_type]
        self.error_type = error_type
        if error_type == "ValidationException":
            body = {"message": message}
        else:
            body = {
                "Type": "Service" if self.code >= 500 else "User",
                _MESSAGE_MEMBER[error_type]: message,
            }
        self.description = json.dumps(body, separators=(",", ":"))

    def get_headers(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return [("X-Amzn-ErrorType", self.error_type), ("Content-Type", "application/json")]

    def get_body(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return self.description


def not_found(message: str) -> LambdaError:
    return LambdaError("ResourceNotFoundException", message)


def invalid(message: str) -> LambdaError:
    return LambdaError("InvalidParameterValueException", message)
