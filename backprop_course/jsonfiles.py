"""JSON files that several of the course's processes update (the grading service, a TA's autograde, a release).

``updating(path)`` reads the file under an exclusive lock, yields its data for the caller to change, and
writes it back atomically (a new file renamed over the old), so that two updates never interleave and a
kill mid-write leaves the old file whole. A file that is missing, unreadable or not a JSON object counts
as empty: the caller rebuilds what it writes, rather than every later run failing on it.
"""
import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def read(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except (FileNotFoundError, ValueError):  # an unreadable file (permissions) is an error, not an empty one
        return {}
    return data if isinstance(data, dict) else {}


@contextlib.contextmanager
def updating(path: str | Path) -> Iterator[dict[str, Any]]:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = read(path)
        yield data
        with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False) as scratch:
            json.dump(data, scratch, indent=1, sort_keys=True)
            scratch.write("\n")
            os.fchmod(scratch.fileno(), 0o666 & ~_umask())  # as open() would make it, not the scratch file's 0600
        os.replace(scratch.name, path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
