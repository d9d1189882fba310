"""Take back the kernel's folder before nbgrader writes into it, where kernels run unconfined.

A sandboxed kernel's working folder is a filesystem of its own, which goes
with it (sandbox.py): nothing it writes reaches the host's folder. An
unconfined kernel (``BACKPROP_SANDBOX=off``) writes into the very
folder where nbgrader then writes the autograded notebook and whose files it
chmods, as the grader's user and outside the sandbox. A symbolic link left
there by the student's code (``notebook.ipynb -> /course/nbgrader_config.json``)
would make nbgrader write or chmod whatever it points at; a FIFO would make
it block. ``CleanKernelFolder`` runs right after ``Execute`` (its kernel is
gone by then, with every process it started: bwrap's PID namespace dies
with it) and removes everything in the folder that is neither a regular
file nor a folder, so the writes that follow stay inside.

It also removes the notebooks that the kernel wrote beside the graded one
(any ``.ipynb`` that is not in the submitted folder): nbgrader would take
them for notebooks of the assignment, and ``generate_feedback`` would stop
at the first one for that student.
"""
import os
from pathlib import Path
from typing import Any

from nbformat import NotebookNode
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor


def remove_links_and_specials(folder: str | Path) -> list[str]:
    """Remove every symlink, FIFO, socket or device under ``folder``; return their paths."""
    removed = []
    for root, folders, files in os.walk(folder, followlinks=False):
        for name in folders + files:
            path = Path(root) / name
            if path.is_symlink() or not (path.is_file() or path.is_dir()):
                path.unlink()
                removed.append(str(path))
        folders[:] = [name for name in folders if (Path(root) / name).is_dir()]
    return removed


def remove_new_notebooks(folder: str | Path, submitted: str | Path) -> list[str]:
    """Remove the notebooks directly in ``folder`` that ``submitted`` does not have; return their paths."""
    removed = []
    for path in sorted(Path(folder).glob("*.ipynb")):
        if not (Path(submitted) / path.name).is_file():
            path.unlink()
            removed.append(str(path))
    return removed


class CleanKernelFolder(NbGraderPreprocessor):
    """After Execute: no link, special file or new notebook in the kernel's folder survives to nbgrader's writes."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        folder = resources.get("metadata", {}).get("path")
        info = resources.get("nbgrader", {})
        if folder:
            removed = remove_links_and_specials(folder)
            if "student" in info and "assignment" in info:
                course = CourseDirectory(parent=self)
                removed += remove_new_notebooks(folder, course.format_path(
                    course.submitted_directory, info["student"], info["assignment"]))
            if removed:
                self.log.warning("Removed what %s's kernel left that is not a plain file, or is a notebook "
                                 "it wrote: %s", info.get("student", "the student"), ", ".join(removed))
        return nb, resources
