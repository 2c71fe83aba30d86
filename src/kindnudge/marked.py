"""YAML containers that remember where they were written.

Their own small module so that the loader (which needs PyYAML) and the
helpers that read them (which must not) both import them, and neither imports
the other: imports flow yamlfile -> yamlloader -> marked.
"""

from __future__ import annotations

from typing import Any

from kindnudge.errors import Location


class MarkedDict(dict):
    """A mapping plus the position of itself, each key and each value."""

    where: Location
    key_where: dict[Any, Location]
    value_where: dict[Any, Location]

    def at(self, key: Any) -> Location:
        return self.value_where.get(key, self.where)

    def key_at(self, key: Any) -> Location:
        return self.key_where.get(key, self.where)


class MarkedList(list):
    """A sequence plus the position of itself and each item."""

    where: Location
    item_where: list[Location]

    def at(self, index: int) -> Location:
        return self.item_where[index] if index < len(self.item_where) else self.where
