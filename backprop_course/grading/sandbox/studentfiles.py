"""Only a student's own regular files travel: never a link, a device, a pipe or a socket.

nbgrader copies a submission's files (submitted/ into autograded/, and
autograded/ into feedback/) with ``shutil.copy``, which follows links and
reads devices, as the grader's user and outside any sandbox. A link in a
submission would bring the course's secret, a reference solution, the
gradebook or a classmate's notebook into the student's kernel (and its
target could change between gradings without changing the seeds), and a
link to /dev/zero would fill the grader's disk. nbgrader has no setting for
this, so ``guard`` wraps the listing its converters copy from
(``nbgrader.converters.base.find_all_files``) to leave such entries out,
saying so in the log; ``sandbox.configure`` installs it for every nbgrader
command that reads the course's config. ``refusal`` is what
``PlaceProbeSeeds`` checks before a notebook runs: a submitted notebook, or
the folders above it, that are links are refused.

``nbgrader collect`` copies each submission out of the exchange, as the
instructor, following links too; ``CollectRegularFiles`` (nbgrader's
``ExchangeFactory.collect`` setting, in nbgrader_config.py) hands nbgrader's
own collect a copy of the student's regular files and folders only.
"""
import logging
import os
import shutil
import stat
import tempfile
from pathlib import Path

import nbgrader.converters.base as converters
from nbgrader.exchange.default.collect import ExchangeCollect

LOG = logging.getLogger("backprop_course")


class SubmissionRefused(RuntimeError):
    """This submission is not graded; the message says why."""


def is_regular_file(path: str | Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _regular_files_only(find_all_files):
    def find_regular_files(path, exclude=None):
        kept = []
        for name in find_all_files(path, exclude):
            if is_regular_file(name):
                kept.append(name)
            else:
                LOG.warning("Not copying %s: a submission holds regular files only (not links, devices or pipes)", name)
        return kept
    find_regular_files.regular_only = True
    return find_regular_files


def guard() -> None:
    """Make nbgrader's converters copy regular files only (once per process)."""
    if not getattr(converters.find_all_files, "regular_only", False):
        converters.find_all_files = _regular_files_only(converters.find_all_files)


def refusal(submitted_folder: str | Path, notebook_name: str) -> str | None:
    """Why the submitted notebook must not be graded (a link, or in a linked folder), or None."""
    folder = Path(submitted_folder)
    for path in (folder.parent, folder):
        if path.is_symlink():
            return f"the submitted folder {path.name} is a link, not a folder of the student's own"
    notebook = folder / notebook_name
    if notebook.is_symlink() or (notebook.exists() and not is_regular_file(notebook)):
        return f"the submitted notebook {notebook_name} is a link or a special file, not the student's own file"
    return None


def copy_regular_files(source: str | Path, destination: str | Path) -> None:
    """Copy ``source``'s regular files and real folders into ``destination``, never through a link."""
    for folder, _, names in os.walk(source):  # links to folders are not walked
        target = Path(destination) / os.path.relpath(folder, source)
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            path = os.path.join(folder, name)
            if is_regular_file(path):
                shutil.copy2(path, target / name, follow_symlinks=False)
            else:
                LOG.warning("Not collecting %s: a submission holds regular files only (not links, devices or pipes)",
                            path)


class CollectRegularFiles(ExchangeCollect):
    """nbgrader's collect, of the student's regular files and folders only."""

    def do_copy(self, src: str, dest: str, log: logging.Logger | None = None) -> None:
        with tempfile.TemporaryDirectory(prefix="backprop-collect-") as staging:
            own = Path(staging) / "submission"
            copy_regular_files(src, own)
            super().do_copy(str(own), dest, log)
