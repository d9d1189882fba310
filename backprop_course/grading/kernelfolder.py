"""Take back the kernel's folder before nbgrader writes into it.

The sandboxed kernel may write only in its working folder, which is the
folder where nbgrader then writes the autograded notebook and whose files it
chmods, as the grader's user and outside the sandbox. A symbolic link left
there by the student's code (``chain_rule.ipynb -> /course/nbgrader_config.json``)
would make nbgrader write or chmod whatever it points at; a FIFO would make
it block. ``CleanKernelFolder`` runs right after ``Execute`` (its kernel is
gone by then, with every process it started: bwrap's PID namespace dies
with it) and removes everything in the folder that is neither a regular
file nor a folder, so the writes that follow stay inside.
"""
import os
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor


def remove_links_and_specials(folder):
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


class CleanKernelFolder(NbGraderPreprocessor):
    """After Execute: no link or special file in the kernel's folder survives to nbgrader's writes."""

    def preprocess(self, nb, resources):
        folder = resources.get("metadata", {}).get("path")
        if folder:
            removed = remove_links_and_specials(folder)
            if removed:
                info = resources.get("nbgrader", {})
                self.log.warning("Removed what %s's kernel left that is not a plain file: %s",
                                 info.get("student", "the student"), ", ".join(removed))
        return nb, resources
