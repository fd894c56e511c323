"""The touchpoint names other services read from the routing file, without the router's code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from services.router.config import load_config
from shared.routes_file import RoutesFileError, parse_touchpoint_names, touchpoint_names
from shared.settings.files import EXAMPLE_ROUTES


def test_the_names_are_the_routers_touchpoints_then_its_default() -> None:
    config = load_config(EXAMPLE_ROUTES)
    names = touchpoint_names(EXAMPLE_ROUTES)
    assert names == (*(t.name for t in config.touchpoints), config.default_touchpoint)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("touchpoints: {app: {description: x}}", ("app", "general")),
        ("touchpoints: {app: {description: x}}\ndefault_touchpoint: other", ("app", "other")),
        ("touchpoints: {app: {}, other: {}}\ndefault_touchpoint: other", ("app", "other")),
    ],
)
def test_parsing(text: str, names: tuple[str, ...]) -> None:
    assert parse_touchpoint_names(text) == names


@pytest.mark.parametrize("text", ["touchpoints: [a, b]", "route: {}", "touchpoints: {a: [", "- x"])
def test_a_file_without_touchpoints_is_an_error_naming_it(text: str) -> None:
    with pytest.raises(RoutesFileError, match=r"^f\.yml: "):
        parse_touchpoint_names(text, source="f.yml")


def test_a_broken_edit_keeps_the_last_good_names(tmp_path: Path) -> None:
    path = tmp_path / "routes.yml"
    with pytest.raises(RoutesFileError, match=r"routes\.yml"):
        touchpoint_names(path)  # never readable: nothing to fall back on
    path.write_text("touchpoints: {app: {description: x}}\n")
    assert touchpoint_names(path) == ("app", "general")
    path.write_text("touchpoints: {app: {description: x}, web: {description: y}}\n")
    os.utime(path, ns=(1, 1))  # a new mtime, whatever the file system's resolution
    assert touchpoint_names(path) == ("app", "web", "general")
    path.write_text("touchpoints: [")
    os.utime(path, ns=(2, 2))
    assert touchpoint_names(path) == ("app", "web", "general")
