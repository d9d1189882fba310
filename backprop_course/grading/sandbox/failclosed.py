"""Autograding fails closed when the course's nbgrader_config.py does not load.

nbgrader logs a config file that raises (a typo, a missing module) and goes
on with its own defaults: a kernel outside the sandbox, and the notebook's
own test cells as scores, which is the kernel's word. So ``install`` (run by
``make setup``, through ``python -m backprop_course.grading.sandbox install``)
writes into the virtual environment's Jupyter config folder, which nbgrader
reads before the course's, an autograde pipeline of one step that refuses
every notebook. The course's nbgrader_config.py replaces that pipeline with
its own when it loads.
"""
import sys
from pathlib import Path
from typing import Any, NoReturn

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

CONFIG = '''\
# Written by `make setup` (backprop_course/grading/sandbox/failclosed.py). Autograding refuses to run unless the
# course's own nbgrader_config.py loads and sets its pipeline, which replaces this one.
c = get_config()
c.Autograde.autograde_preprocessors = ["backprop_course.grading.sandbox.failclosed.CourseConfigDidNotLoad"]
'''


class CourseConfigDidNotLoad(NbGraderPreprocessor):
    """The only autograde step when the course's config did not load: it refuses the notebook."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> NoReturn:
        raise RuntimeError("Refusing to autograde: the course's nbgrader_config.py did not load (nbgrader's log "
                           "says why), so neither the sandbox nor the judge is in place")


def config_path(prefix: str | Path = sys.prefix) -> Path:
    return Path(prefix) / "etc" / "jupyter" / "nbgrader_config.py"


def install(prefix: str | Path = sys.prefix) -> Path:
    path = config_path(prefix)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CONFIG)
    return path
