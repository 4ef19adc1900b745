"""retryctl's fidelity patches for moto, one module per area."""

PATCHES: dict = {}


def apply_all() -> list[str]:
    for patch in PATCHES.values():
        patch()
    return list(PATCHES)
