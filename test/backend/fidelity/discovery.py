"""Fleet discovery's reads: ListFunctions paging and the tagging API's GetResources.

Not a row of testing.md's "Where moto is wrong" table (found when fleet
discovery was built, issue #12). moto 5.2.5:

- ListFunctions ignores ``MaxItems`` and ``Marker``: every function comes back
  in one answer, so a client's paging is never exercised.
- GetResources caps every page at ``TagsPerPage`` tags, defaulting it to 100
  when the request names only ``ResourcesPerPage``: 100 functions with two tags
  each take three pages instead of one.
- GetResources leaves ``PaginationToken`` out of the last page.
- GetResources drops a function whose tags were all removed.

AWS (Lambda API reference, ListFunctions; Resource Groups Tagging API
reference, GetResources): ListFunctions "returns a maximum of 50 items in each
response, even if you set the number higher", with ``NextMarker`` while more
remain; GetResources pages by ``ResourcesPerPage`` (1–100) alone unless the
request names ``TagsPerPage`` instead, ends with an empty ``PaginationToken``
(``""``), and returns "all the tagged or previously tagged resources", a
function whose tags were removed with an empty ``Tags`` list.
"""

import json
import sys
from typing import Any

from moto.awslambda.models import LambdaBackend
from moto.awslambda.responses import LambdaResponse
from moto.core.resource_tagging import TaggedResource
from moto.core.responses import ActionResult
from moto.resourcegroupstaggingapi.exceptions import ResourceGroupsTaggingAPIError
from moto.resourcegroupstaggingapi.responses import ResourceGroupsTaggingAPIResponse

from .errors import invalid

FUNCTIONS_PAGE_LIMIT = 50
_PREVIOUSLY_TAGGED = "_retryctl_previously_tagged"

_original_untag = LambdaBackend.untag_resource


def list_functions(self: LambdaResponse):  # noqa: ANN201
    version = self.querystring.get("FunctionVersion", [None])[0]
    functions = list(self.backend.list_functions(version))
    try:
        max_items = int(self.querystring.get("MaxItems", [FUNCTIONS_PAGE_LIMIT])[0])
        start = int(self.querystring.get("Marker", ["0"])[0] or 0)
    except ValueError:
        raise invalid("Invalid Marker or MaxItems") from None
    if max_items < 1 or start < 0:
        raise invalid("Invalid Marker or MaxItems")
    size = min(max_items, FUNCTIONS_PAGE_LIMIT)
    body: dict[str, Any] = {"Functions": [fn.get_configuration() for fn in functions[start : start + size]]}
    if start + size < len(functions):
        body["NextMarker"] = str(start + size)
    return 200, {"Content-Type": "application/json", "status": "200"}, json.dumps(body)


def _untag(self: LambdaBackend, resource_arn: str, tag_keys: list[str]) -> None:
    _original_untag(self, resource_arn, tag_keys)
    self.__dict__.setdefault(_PREVIOUSLY_TAGGED, set()).add(resource_arn)


def iter_tagged_resources(self: LambdaBackend):  # noqa: ANN201
    previously = self.__dict__.get(_PREVIOUSLY_TAGGED, set())
    for fn in self.list_functions():
        extra = {"include_untagged": True} if fn.function_arn in previously else {}
        yield TaggedResource(arn=fn.function_arn, tags=fn.tags, resource_type="lambda:function", extra=extra)


def get_resources(self: ResourceGroupsTaggingAPIResponse) -> ActionResult:
    resources_per_page = self._get_int_param("ResourcesPerPage", 50)
    tags_per_page = self._get_int_param("TagsPerPage")
    if resources_per_page not in range(1, 101):
        raise ResourceGroupsTaggingAPIError(
            "InvalidParameterException", "ResourcesPerPage must be between 1 and 100"
        )
    if tags_per_page is not None and tags_per_page not in range(100, 501):
        raise ResourceGroupsTaggingAPIError(
            "InvalidParameterException", "TagsPerPage must be between 100 and 500"
        )
    token, resources = self.backend.get_resources(
        pagination_token=self._get_param("PaginationToken"),
        tag_filters=self._get_param("TagFilters", []),
        resources_per_page=resources_per_page,
        # Only a request that names TagsPerPage is paged by tags.
        tags_per_page=sys.maxsize if tags_per_page is None else tags_per_page,
        resource_type_filters=self._get_param("ResourceTypeFilters", []),
        resource_arn_list=self._get_param("ResourceARNList", []),
    )
    return ActionResult(
        {
            "ResourceTagMappingList": [
                {"ResourceARN": r.arn, "Tags": [{"Key": k, "Value": v} for k, v in r.tags.items()]}
                for r in resources
            ],
            "PaginationToken": token or "",
        }
    )


def apply() -> None:
    LambdaResponse.list_functions = list_functions
    LambdaBackend.untag_resource = _untag
    LambdaBackend.iter_tagged_resources = iter_tagged_resources
    ResourceGroupsTaggingAPIResponse.get_resources = get_resources
