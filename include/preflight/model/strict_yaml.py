"""The YAML loader every configuration file is read with: safe, and refusing duplicate keys
(PyYAML would silently keep the last one). Shared by the catalog loader and the ODCS reader."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["StrictLoader"]


# libyaml's parser when PyYAML was built with it (the wheels are): about 5x faster on a
# large catalog, which every Airflow task loads again. The constructor stays PyYAML's.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StrictLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """A SafeLoader that refuses duplicate keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
