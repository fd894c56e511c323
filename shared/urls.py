"""URL converters: an `<int:...>` path part must fit the database's integer id columns."""

from __future__ import annotations

from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from shared.inputs import ID_MAX


class IdConverter(IntegerConverter):
    """`<int:...>` bounded by the id columns: a larger number is a 404 that names the limit.

    Without the bound, /cases/9223372036854775808 reached the database and failed there (500).
    """

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > ID_MAX:
            raise NotFound(f"nothing has id {number}: ids stop at {ID_MAX}")
        return number


def bound_int_converter(app: Flask) -> None:
    """Make `<int:...>` mean an id in range; call before any blueprint is registered."""
    app.url_map.converters["int"] = IdConverter
