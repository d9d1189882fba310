"""The course's assignments: each one unit, a folder of ``assignments/`` in the course directory.

The engine knows no assignment. It finds each one in
``<course root>/assignments/<name>/`` (beside ``source/<name>/``), which holds

- ``checks.py``: what students get, shipped beside the notebook as
  ``gradecheck/__init__.py`` with the engine's ``core.py``, ``diagnosis.py``,
  ``probes.py`` and ``changes.py`` (``Unit.ship``). It defines ``probe_cases(grade_id,
  seed, load)``, ``load_data(name, folder)`` and ``run_probes``; optionally
  ``known_mistakes(function, args, kwargs, parameters)``.
  The grader loads the same file as ``backprop_course.gradecheck.<name>``, so
  its ``from .core import ...`` means the same code on both sides.
- ``__init__.py``: what the grader needs and students never see:
  ``expected(case, data)``, the right answer of a case (from the unit's own
  reference, say), and optionally ``write_data(folder)``, which writes the
  data files shipped beside the notebook.

The course directory is out of every kernel's reach (the sandbox), so the
trusted part never reaches a student. docs/authors.md tells a course author
how to add one.
"""
import functools
import hashlib
import importlib.util
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike

    from .gradecheck.probes import Case

UNITS_FOLDER = "assignments"
SHIPPED_PACKAGE = "gradecheck"  # the name the notebooks import
ENGINE_SHIPPED = Path(__file__).resolve().parent / "gradecheck"
ENGINE_MODULES = ("core.py", "diagnosis.py", "probes.py", "changes.py")


class NoSuchAssignment(LookupError):
    """The course has no unit of this name."""


def unit_names(course_root: str | Path) -> tuple[str, ...]:
    """The names of the course's assignments, in order: every folder of assignments/ with a checks.py."""
    folder = Path(course_root) / UNITS_FOLDER
    return tuple(sorted(path.parent.name for path in folder.glob("*/checks.py")))


def _load(module_name, path, package_folder=None):
    spec = importlib.util.spec_from_file_location(
        module_name, path, submodule_search_locations=[str(package_folder)] if package_folder else None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # before it runs: its relative imports look for it there
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


class Unit:
    """One assignment of a course: its checks (shipped) and its trusted part (never shipped)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder).resolve()
        self.name = self.folder.name
        # Two courses in one process (a scratch copy beside the real one) must not share modules.
        self._key = f"{self.name}_{hashlib.sha256(str(self.folder).encode()).hexdigest()[:10]}"

    @functools.cached_property
    def checks(self) -> ModuleType:
        from . import gradecheck  # the package that the checks' relative imports resolve in
        return _load(f"{gradecheck.__name__}.{self._key}", self.folder / "checks.py")

    @functools.cached_property
    def trusted(self) -> ModuleType:
        return _load(f"backprop_assignment_{self._key}", self.folder / "__init__.py", self.folder)

    def probe_cases(self, grade_id: str, seed: int,
                    data: Callable[[str], tuple["np.ndarray", ...]]) -> list["Case"]:
        return self.checks.probe_cases(grade_id, seed, data)

    def load_data(self, name: str, folder: str | Path) -> tuple["np.ndarray", ...]:
        return self.checks.load_data(name, folder)

    def expected(self, case: "Case", data: Callable[[str], tuple["np.ndarray", ...]]) -> "ArrayLike":
        return self.trusted.expected(case, data)

    def mistakes(self, case: "Case") -> dict[str, "ArrayLike"]:
        """{description: value} of the known mistakes at this case, so a message can name them."""
        known = getattr(self.checks, "known_mistakes", None)
        if known is None or case.method:  # a method probe's network is changed on purpose
            return {}
        return known(case.function, [value for _, value in case.args], case.kwargs, case.parameters)

    def ship(self, source_folder: str | Path) -> None:
        """Write what students get of this unit into its source folder: ``gradecheck/`` and the data."""
        package = Path(source_folder) / SHIPPED_PACKAGE
        shutil.rmtree(package, ignore_errors=True)
        package.mkdir()
        for copy, original in self.shipped_copies(source_folder).items():
            shutil.copyfile(original, copy)
        if hasattr(self.trusted, "write_data"):
            self.trusted.write_data(Path(source_folder))

    def shipped_copies(self, source_folder: str | Path) -> dict[Path, Path]:
        """{shipped file: its original}: what ``ship`` copies, and the test keeps the same."""
        package = Path(source_folder) / SHIPPED_PACKAGE
        return {package / "__init__.py": self.folder / "checks.py",
                **{package / name: ENGINE_SHIPPED / name for name in ENGINE_MODULES}}


@functools.cache
def _compiled(path):
    return compile(Path(path).read_text(encoding="utf-8"), str(path), "exec")


def run_as_notebook(path: Path, namespace: dict[str, object]) -> dict[str, object]:
    """Run the file at ``path`` in ``namespace`` as a notebook's cells run, and return that namespace.

    A unit's reference answers are written like a notebook's: module-level
    functions that find the given code, and the parameters, among their
    globals, which the caller has put in ``namespace`` (a fresh one per use,
    so that nothing one answer changes reaches the next).
    """
    namespace.setdefault("__name__", "__main__")
    exec(_compiled(path), namespace)
    return namespace


@functools.cache
def _unit(folder):
    return Unit(folder)


def unit_at(folder: str | Path) -> Unit:
    """The unit in ``folder`` (loaded once per process): how a unit's trusted part reaches its own checks."""
    return _unit(Path(folder).resolve())


def unit(course_root: str | Path, name: str) -> Unit:
    """The course's unit called ``name`` (loaded once per process), or NoSuchAssignment."""
    folder = (Path(course_root) / UNITS_FOLDER / name).resolve()
    if not (folder / "checks.py").is_file():
        raise NoSuchAssignment(f"the course has no assignment {name!r} (no {folder / 'checks.py'})")
    return _unit(folder)
