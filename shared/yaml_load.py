"""Safe YAML for the config files, parsed by libyaml's C code when PyYAML was built with it.

A worker reads the routing file before its first response; a routing file of a few hundred
receivers took the pure-Python parser half a second, which every new worker process made its
first responses wait. The C parser takes a tenth of that, builds the same plain data, and raises
the same `yaml.YAMLError` with a `problem_mark`; without libyaml the pure-Python one is used.
"""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """Parse YAML text into plain Python data (no arbitrary objects), like `yaml.safe_load`."""
    return yaml.load(text, Loader=SafeLoader)
