"""Hostile files, built in the test: pickles whose loading writes a marker file."""

from __future__ import annotations

import base64
import json
import pickle
import zipfile
from pathlib import Path


class Plant:
    """Unpickling this writes ``marker``: what an attacker with write access to a bucket would plant."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return exec, (f"open({str(self.marker)!r}, 'w').write('payload ran')",)


def payload(marker: Path) -> bytes:
    return pickle.dumps(Plant(marker))


def poison_sb3_zip(model_zip: Path, marker: Path) -> None:
    """Rewrite an SB3 model.zip so that every cloudpickled entry of its ``data`` is the payload (SB3's load runs it)."""
    with zipfile.ZipFile(model_zip) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    data = json.loads(members["data"])
    encoded = base64.b64encode(payload(marker)).decode()
    for value in data.values():
        if isinstance(value, dict) and ":serialized:" in value:
            value[":serialized:"] = encoded
    members["data"] = json.dumps(data).encode()
    with zipfile.ZipFile(model_zip, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def plant(path: Path, marker: Path) -> None:
    """Replace ``path`` with the payload (an SB3 zip keeps its shape, with the payload inside)."""
    if path.name == "model.zip":
        poison_sb3_zip(path, marker)
    else:
        path.write_bytes(payload(marker))
