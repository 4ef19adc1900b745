"""retryctl's fidelity patches for moto, one module per area.

Each module names the row of the "Where moto is wrong" table in
/work/shared/testing.md it fixes and exposes ``apply()``. Each is proven
necessary by a test in test/integration/backend/ that also runs against a
vanilla moto and shows the AWS behaviour missing there.
"""

from collections.abc import Callable

from . import (
    dead_letter_config,
    discovery,
    esm,
    event_delivery,
    event_invoke_config,
    events,
    function_updates,
    pipes,
    scheduler,
    sns,
)

PATCHES: dict[str, Callable[[], None]] = {
    "event_invoke_config": event_invoke_config.apply,
    "dead_letter_config": dead_letter_config.apply,
    # After dead_letter_config: it wraps the get_configuration that one installs.
    "function_updates": function_updates.apply,
    "esm": esm.apply,
    "events": events.apply,
    "sns": sns.apply,
    "scheduler": scheduler.apply,
    "pipes": pipes.apply,
    "event_delivery": event_delivery.apply,
    # After dead_letter_config and function_updates: its listing uses the get_configuration they install.
    "discovery": discovery.apply,
}


def apply_all() -> list[str]:
    for patch in PATCHES.values():
        patch()
    return list(PATCHES)
