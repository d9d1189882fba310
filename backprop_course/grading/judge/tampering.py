"""Flag code in a submission that reaches for the grader: advice for the TA.

The score no longer depends on the kernel's honesty: the verdict is given in
the nbgrader process from the probes' records (verdicts.py). So this scan of
the student-editable cells (monkeypatching numpy, builtins, sys.modules or
our check module, reading frames, importing the grading package, reading
course files, network or shell access) withholds nothing. It tells a TA where
to look: a static scan is always one spelling behind, and a student who
imports ``inspect`` to debug has done nothing wrong.

``FlagTampering`` runs in nbgrader's autograde pipeline (configured in
nbgrader_config.py, so plain ``nbgrader autograde`` does it). For a flagged
notebook it records the reasons in the notebook's metadata and in a note at
its top (which formgrader shows), and marks the submission flagged in the
gradebook. Its scores are what its answers earned.
"""
import ast
import re
from pathlib import Path
from typing import Any, NamedTuple

from nbformat import NotebookNode
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_locked
from nbformat.v4 import new_markdown_cell
from traitlets import Dict, List, Set, Unicode

from .gradebookwrites import OneStudentsWrite, flag_for_review

TAMPERING_KEY = "backprop_tampering"
# The defaults of FlagTampering's settings (see there). The modules shipped
# beside the notebook are guarded too (shipped_modules).
GUARDED_MODULES = {"np", "numpy", "pd", "pandas", "builtins", "__builtins__", "sys", "importlib", "inspect",
                   "math", "warnings", "os", "io", "contextlib", "nbgrader"}
FRAME_ACCESS = {("sys", "_getframe"), ("inspect", "currentframe"), ("inspect", "stack"),
                ("inspect", "getouterframes"), ("gc", "get_referrers"), ("gc", "get_objects")}
FORBIDDEN_IMPORTS = {"backprop_course": "imports the grading package",
                     "ctypes": "imports ctypes", "socket": "opens network connections",
                     "urllib": "opens network connections", "requests": "opens network connections",
                     "http": "opens network connections"}
# Settings that students change innocently; not an attack on the grader.
BENIGN_PREFIXES = ("pd.options", "pandas.options", "sys.stdout", "sys.stderr", "np.random.seed")
COURSE_PATHS = (r"gradebook\.db|(^|/)source/|(^|/)autograded/|(^|/)submitted/|(^|/)assignments/|nbgrader_config|"
                r"\.\./\.\.|release/")
SHELL = re.compile(r"^\s*(!|%%?(system|bash|sh|script|writefile)\b)", re.MULTILINE)


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


class Rules(NamedTuple):
    """What the scan looks for: FlagTampering's settings."""
    guarded_modules: frozenset = frozenset(GUARDED_MODULES)
    frame_access: frozenset = frozenset(FRAME_ACCESS)
    forbidden_imports: dict = FORBIDDEN_IMPORTS
    benign_prefixes: tuple = BENIGN_PREFIXES
    course_paths: str = COURSE_PATHS


class _Scanner(ast.NodeVisitor):
    def __init__(self, rules):
        self.reasons, self.rules = [], rules
        self.course_paths = re.compile(rules.course_paths)

    def _flag(self, reason):
        if reason not in self.reasons:
            self.reasons.append(reason)

    def _check_target(self, target):
        if isinstance(target, ast.Subscript):
            base = _dotted(target.value)
            if base in ("sys.modules", "__builtins__", "builtins.__dict__"):
                self._flag(f"edits {base}")
            return
        if isinstance(target, ast.Attribute):
            dotted = _dotted(target)
            if (dotted and dotted.split(".")[0] in self.rules.guarded_modules
                    and not dotted.startswith(tuple(self.rules.benign_prefixes))):
                self._flag(f"replaces {dotted}")

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._check_target(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check_target(node.target)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._check_target(target)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _dotted(node.func)
        if name in ("setattr", "delattr") and node.args:
            target = _dotted(node.args[0])
            if target and target.split(".")[0] in self.rules.guarded_modules:
                self._flag(f"calls {name} on {target}")
        if name and tuple(name.rsplit(".", 1)) in self.rules.frame_access:
            self._flag(f"inspects the caller's frames ({name})")
        self.generic_visit(node)

    def _import(self, module):
        root = (module or "").split(".")[0]
        if root in self.rules.forbidden_imports:
            self._flag(self.rules.forbidden_imports[root])

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._import(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self._import(node.module)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and self.course_paths.search(node.value):
            self._flag(f"refers to course files ({node.value[:40]!r})")


def scan_source(source: str, rules: Rules = Rules()) -> list[str]:
    """Reasons to suspect tampering in one cell's code (empty if none)."""
    scanner = _Scanner(rules)
    if SHELL.search(source):
        scanner._flag("runs shell commands")
    # IPython syntax (magics, !cmd) is not Python: drop those lines to parse the rest.
    python = "\n".join("" if re.match(r"\s*[!%]", line) else line for line in source.splitlines())
    try:
        scanner.visit(ast.parse(python))
    except SyntaxError:
        pass  # a broken cell fails by itself; there is nothing to run
    except (RecursionError, MemoryError, ValueError):  # nested past what the parser or the scan can walk
        scanner._flag("has code too deeply nested to scan")
    return scanner.reasons


def scan_notebook(notebook: NotebookNode, rules: Rules = Rules()) -> list[str]:
    """Reasons to suspect tampering in the student-editable (unlocked) code cells."""
    reasons = []
    for cell in notebook.cells:
        if cell.cell_type == "code" and not is_locked(cell):
            for reason in scan_source(cell.source, rules):
                if reason not in reasons:
                    reasons.append(reason)
    return reasons


def shipped_modules(folder: str | Path) -> set[str]:
    """The modules shipped beside an assignment's notebook (its .py files and packages), by import name."""
    folder = Path(folder)
    return {path.stem for path in folder.glob("*.py")} | {path.parent.name for path in folder.glob("*/__init__.py")}


def note_for_reviewers(reasons: list[str]) -> NotebookNode:
    return new_markdown_cell(
        "**Flagged for review by the autograder.** This notebook's own cells appear to reach for "
        "the grader: " + "; ".join(reasons) + ". Its scores are what its answers earned (the verdicts "
        "are given outside the student's kernel); a TA may want to read it.",
        metadata={"backprop": {"tampering_note": True}})


class FlagTampering(OneStudentsWrite, NbGraderPreprocessor):
    """Autograde step: flag code that reaches for the grader, for a TA to review (see module docstring).

    What it looks for is a setting, so that a course can add its own modules::

        c.FlagTampering.guarded_modules = {..., "scipy"}
    """

    guarded_modules = Set(Unicode(), default_value=GUARDED_MODULES,
                          help="Modules whose attributes a student's cell should not replace.").tag(config=True)
    forbidden_imports = Dict(value_trait=Unicode(), default_value=FORBIDDEN_IMPORTS,
                             help="Imports that are flagged: module -> the reason shown.").tag(config=True)
    benign_prefixes = List(Unicode(), default_value=list(BENIGN_PREFIXES),
                           help="Assignments under these names are innocent settings.").tag(config=True)
    course_paths = Unicode(COURSE_PATHS, help="A regular expression for strings naming course files."
                           ).tag(config=True)

    def rules(self, assignment: str | None = None) -> Rules:
        """The rules, guarding also the modules shipped with ``assignment`` (its source folder's)."""
        shipped = set()
        if assignment:
            course = CourseDirectory(config=self.config)
            folder = course.format_path(course.source_directory, ".", assignment)
            shipped = shipped_modules(folder) - {"nbgrader_config"}
        return Rules(frozenset(self.guarded_modules) | shipped, frozenset(FRAME_ACCESS),
                     dict(self.forbidden_imports), tuple(self.benign_prefixes), self.course_paths)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        reasons = scan_notebook(nb, self.rules(resources["nbgrader"]["assignment"]))
        nb.metadata.pop(TAMPERING_KEY, None)
        nb.cells = [cell for cell in nb.cells
                    if not cell.get("metadata", {}).get("backprop", {}).get("tampering_note")]
        if not reasons:
            return nb, resources
        nb.metadata[TAMPERING_KEY] = reasons
        nb.cells.insert(0, note_for_reviewers(reasons))
        info = resources["nbgrader"]
        flag_for_review(info)
        self.log.warning("Tampering suspected in %s/%s: %s", info["student"], info["assignment"],
                         "; ".join(reasons))
        return nb, resources
