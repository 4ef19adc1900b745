"""Resolving a Lambda FunctionName (+ Qualifier) the way the Lambda API accepts it.

FunctionName may be a name, a full ARN or a partial ARN (``123456789012:function:NAME``),
each optionally suffixed with ``:QUALIFIER``; a qualifier in the name wins over
the ``Qualifier`` query parameter.
"""

from urllib.parse import unquote

from moto.awslambda.exceptions import UnknownFunctionException
from moto.awslambda.utils import make_function_arn

from .errors import not_found

LATEST = "$LATEST"


def split_ref(ref: str) -> tuple[str, str | None]:
    """Returns (function name, qualifier or None) from any accepted FunctionName form."""
    ref = unquote(ref)
    if ":function:" in ref:
        rest = ref.split(":function:", 1)[1]
    else:
        rest = ref
    if ":" in rest:
        name, qualifier = rest.split(":", 1)
        return name, qualifier
    return rest, None


def unqualified_arn(backend, name: str) -> str:  # noqa: ANN001
    return make_function_arn(backend.region_name, backend.account_id, name)


def function_exists(backend, name: str) -> bool:  # noqa: ANN001
    try:
        backend._lambdas.get_function_by_name_forbid_qualifier(name)
    except UnknownFunctionException:
        return False
    return True


def resolve(backend, ref: str, qualifier_param: str | None = None) -> tuple[str, str]:  # noqa: ANN001
    """Returns (name, qualifier) after checking that the function and the qualifier exist.

    Raises the AWS-shaped ResourceNotFoundException otherwise.
    """
    name, qualifier = split_ref(ref)
    qualifier = qualifier or qualifier_param or LATEST
    base = unqualified_arn(backend, name)
    try:
        backend._lambdas.get_function_by_name_forbid_qualifier(name)
    except UnknownFunctionException:
        raise not_found(f"Function not found: {base}") from None
    if qualifier == LATEST:
        return name, qualifier
    if backend._lambdas._get_version(name, qualifier) is not None:
        return name, qualifier
    if qualifier in backend._lambdas._get_function_aliases(name):
        return name, qualifier
    raise not_found(f"Function not found: {base}:{qualifier}")
