"""What each release of an assignment gave students, so that the instructor's own change is not a student's.

An instructor who changes a graded or locked cell after release (more points for a test, a fixed
instruction) and releases again leaves earlier submissions holding the earlier release's cell. nbgrader
grades them with the new one, which is right, but its checks would blame each student for the difference.

``RecordRelease``, the last step of ``nbgrader generate_assignment``, adds each graded or locked cell's
points and released source (its digest) to ``.backprop/releases/<assignment>.json`` in the course
folder: every version any release gave out, oldest first. ``make release`` first records the release
folder as it stands, so that an assignment released before its history began is known too.
``RestoreLockedCells`` asks ``ReleaseHistory.gave`` whether a submitted cell is one of them. A student
cannot make a changed cell look released: its source must be byte for byte one that a release gave.
"""
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool

from ... import jsonfiles

HISTORY_FOLDER = Path(".backprop") / "releases"


def digest(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


class ReleaseHistory:
    """Every released version of each graded or locked cell of one assignment: {notebook: {grade_id: [...]}}."""

    def __init__(self, course_root: str | Path, assignment: str) -> None:
        self.path = history_path(course_root, assignment)
        self.notebooks = _versions(jsonfiles.read(self.path))

    def gave(self, notebook: str, grade_id: str, **cell: Any) -> bool:
        """Whether a release gave out this cell with these ``points`` and ``source`` (given ones compared)."""
        return any(all(version.get(key) == value for key, value in cell.items())
                   for version in self.notebooks.get(notebook, {}).get(grade_id, []))


def history_path(course_root: str | Path, assignment: str) -> Path:
    return Path(course_root) / HISTORY_FOLDER / f"{assignment}.json"


def record(course_root: str | Path, assignment: str, notebooks: Mapping[str, NotebookNode]) -> None:
    """Add what ``notebooks`` ({name: released notebook}) give students to the assignment's history."""
    with jsonfiles.updating(history_path(course_root, assignment)) as history:
        cleaned = _versions(history)
        history.clear()
        history.update(cleaned)
        for name, notebook in notebooks.items():
            cells = history.setdefault(name, {})
            for cell in notebook.cells:
                meta = cell.metadata.get("nbgrader", {})
                if "grade_id" in meta and (meta.get("grade") or meta.get("locked")):
                    version = {"points": meta.get("points"), "source": digest(cell.source)}
                    versions = cells.setdefault(meta["grade_id"], [])
                    if version not in versions:
                        versions.append(version)


def record_release_folder(course_root: str | Path, assignment: str, release: Path) -> None:
    """Record the notebooks that ``release`` (an assignment's release folder) holds: the release before the
    next, for an assignment released before its history began."""
    record(course_root, assignment, {path.stem: nbformat.read(path, as_version=4)
                                     for path in sorted(release.glob("*.ipynb"))})


def _versions(data: Any) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The well-formed part of a history file's data (a hand-edited or damaged file counts for what it holds)."""
    if not isinstance(data, dict):
        return {}
    return {notebook: {grade_id: [version for version in versions if isinstance(version, dict)]
                       for grade_id, versions in cells.items() if isinstance(versions, list)}
            for notebook, cells in data.items() if isinstance(cells, dict)}


class RecordRelease(NbGraderPreprocessor):
    """Last step of ``nbgrader generate_assignment``: remember what this release gives students."""

    enabled = Bool(True, help="Record the release. Off where a release is only built to grade with (the "
                              "parallel command's gradebook template).").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        if self.enabled:
            info = resources["nbgrader"]
            record(os.path.abspath(CourseDirectory(parent=self).root), info["assignment"], {info["notebook"]: nb})
        return nb, resources
