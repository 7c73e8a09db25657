"""YAML handed over by a user, read within bounds: every config, ``--set`` value and RL Zoo file goes through here.

PyYAML's safe loader constructs no objects but plain data, yet it is unbounded: a 1.3 KB "billion laughs"
file (aliases of aliases) loads as a tiny graph of shared objects that expands to billions of values as soon
as anything walks it (a deep copy, pydantic, the JSON of ``hyperparameters.json``), and a deeply nested
file exhausts the stack. So a YAML text is read in two passes over libyaml's C parser:

1. the event stream is scanned (no objects built) to bound the file's nesting depth and its size *as
   expanded*: an alias counts as many values as the node it repeats, so a bomb is refused after a few
   hundred events, and an alias of a node that is still open (a recursive structure) is refused outright;
2. only then is the text loaded with the safe loader.

Anchors and aliases stay allowed within the bound (RL Zoo's files share defaults with ``<<: *defaults``).
The limits are far above any job config (the shipped ones have under 200 values, RL Zoo's largest file under
3,000) and keep reading any input under a second and a few megabytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from experiments.errors import UserError

MAX_BYTES = 1_000_000
"""The largest YAML file read (a job config is a few KB; data belongs in ``inputs``)."""
MAX_DEPTH = 50
"""The deepest nesting of mappings and lists."""
MAX_VALUES = 100_000
"""The most values (scalars, mappings and lists) a text may hold once its aliases are expanded."""

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YAMLInputError(UserError, ValueError):
    """YAML that cannot be read safely or at all; the message names its source."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


def read_yaml_file(path: Path) -> Any:
    """The data of the YAML file ``path`` (UTF-8, at most :data:`MAX_BYTES`), bounded as :func:`load_yaml`."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as error:
        raise YAMLInputError(str(path), f"cannot read it: {error.strerror or error}") from None
    if len(data) > MAX_BYTES:
        raise YAMLInputError(str(path), f"the file is larger than {MAX_BYTES:,} bytes; a config is a few KB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise YAMLInputError(
            str(path), f"not UTF-8 text (byte {data[error.start]:#04x} at offset {error.start}); save it as UTF-8"
        ) from None
    return load_yaml(text, str(path))


def load_yaml(text: str, source: str) -> Any:
    """Safely load one YAML document, refusing one nested deeper than :data:`MAX_DEPTH` or expanding past
    :data:`MAX_VALUES` values (``source`` names the text in errors)."""
    if len(text) > MAX_BYTES:
        raise YAMLInputError(source, f"longer than {MAX_BYTES:,} characters")
    try:
        _check_bounds(text, source)
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as error:
        raise YAMLInputError(source, f"not valid YAML: {error}".replace("\n", " ")) from None


def _check_bounds(text: str, source: str) -> None:
    # one frame per open mapping/list: [its anchor, its expanded size so far]
    stack: list[list[Any]] = [[None, 0]]
    sizes: dict[str, int] = {}  # anchor -> expanded size of the node it names
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append([event.anchor, 1])
            if len(stack) - 1 > MAX_DEPTH:
                raise YAMLInputError(source, f"nested deeper than {MAX_DEPTH} levels (line {_line(event)})")
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, size = stack.pop()
            if anchor is not None:
                sizes[anchor] = size
        elif isinstance(event, yaml.AliasEvent):
            if any(frame[0] == event.anchor for frame in stack):
                raise YAMLInputError(source, f"alias *{event.anchor} refers to itself (line {_line(event)})")
            size = sizes.get(event.anchor, 1)  # an undefined alias is the loader's error to report
        elif isinstance(event, yaml.ScalarEvent):
            size = 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        else:  # stream and document events
            continue
        stack[-1][1] += size
        if sum(frame[1] for frame in stack) > MAX_VALUES:
            raise YAMLInputError(
                source,
                f"expands to more than {MAX_VALUES:,} values (line {_line(event)}); aliases count as the values they "
                "repeat",
            )


def _line(event: yaml.Event) -> int:
    return event.start_mark.line + 1 if event.start_mark is not None else 0
