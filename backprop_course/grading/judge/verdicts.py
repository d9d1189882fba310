"""Verdicts given in the nbgrader process, where student code cannot reach.

The hidden part of each test cell is a probe (``gradecheck.run_probes``, see
``backprop_course.gradecheck.probes``): it
calls the student's functions and emits what they returned as records. The
kernel is the student's, so anything it reports is data, never a verdict.
Two preprocessors in the autograde pipeline (nbgrader_config.py) do the rest:

- ``PlaceProbeSeeds``, before ``Execute``: writes into each hidden probe call
  the seed of this student, assignment and test cell, derived from the
  course's secret (``ProbeSecret``). The probes' inputs are unknown until
  grading, and the same on every re-grade.
- ``JudgeProbes``, after ``Execute`` and before ``SaveAutoGrades``: builds the
  same cases from the same seed and the course's own data, reads each test
  cell's records strictly (``read_records``), computes the expected values
  from the assignment's trusted part (``backprop_course.units``), compares them, and replaces
  the cell's outputs entirely: none for a pass, one error output with an
  actionable message for a failure. So nothing the kernel printed,
  displayed, raised or swallowed changes a score.

No expected value, reference function or reference output ever enters the
kernel or the files it can read.
"""
import hashlib
import hmac
import math
import os
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
from nbformat import NotebookNode
from nbformat.v4 import new_output
from numpy.typing import ArrayLike
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer, Unicode
from traitlets.config import Config, LoggingConfigurable

from ... import units
from ...gradecheck.core import CheckFailed
from ...gradecheck.diagnosis import HARD_CODED_HINT, mismatch
from ...gradecheck.probes import MAX_PROBE_ENTRIES, PROBE_MIME, Case
from ..cells import is_test_cell
from ..sandbox import studentfiles
from .gradebookwrites import OneStudentsWrite, flag_for_review
from .verdict import DIAGNOSED, VERDICT_KEY, Kind, Verdict

VERDICTS_KEY = "backprop_verdicts"
DIGEST_KEY = "backprop_submission_digest"  # in nbgrader's resources, from PlaceProbeSeeds to JudgeProbes
PROBE_CALL = re.compile(r'run_probes\((?P<cell>"\w+"), globals\(\), seed=\d+\)')
RECORD_KEYS = {"cell", "probe", "result", "mutated"}
MAX_DETAIL = 300


class ProbeSecret(LoggingConfigurable):
    """The course's secret, from which every student's probe inputs are derived.

    It lives in the course directory, which the sandboxed kernel cannot see,
    and is never committed (.gitignore). It is made on first use.
    """

    path = Unicode("", help="File holding the secret (default: .probe_secret in the course directory)."
                   ).tag(config=True)

    def location(self) -> Path:
        return Path(self.path or Path(CourseDirectory(config=self.config).root) / ".probe_secret")

    def read(self) -> bytes:
        location = self.location()
        try:
            with open(location, "x", encoding="ascii") as made:  # exactly one writer, even in parallel jobs
                os.chmod(location, 0o600)
                made.write(secrets.token_hex(32))
        except FileExistsError:
            pass
        for _ in range(50):  # another job may be writing it this instant
            text = location.read_text(encoding="ascii").strip()
            if text:
                return text.encode()
            time.sleep(0.01)
        raise RuntimeError(f"the probe secret {location} is empty")


def probe_seed(secret: bytes, assignment: str, student: str, grade_id: str, submission: str) -> int:
    """A 64-bit seed for one student's test cell; nobody without the secret can predict it.

    ``submission`` is ``submission_digest`` of everything the student
    submitted. A kernel can always learn the seeds it was given and print
    them, in any encoding, into outputs that reach the feedback; what makes
    that useless is that a table of answers for those seeds must come back
    in a submission (the kernel has no network), and any change to the
    submission, a notebook's cell or a file beside it, gives new seeds. The
    same submission graded again gets the same seeds.
    """
    message = "\0".join((assignment, student, grade_id, submission)).encode()
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:8], "big")


def submission_digest(nb: NotebookNode, folder: str | Path | None = None) -> str:
    """A digest of the student's work: every cell but the test cells (which the autograder rewrites), and
    every file of the submitted ``folder``, by name and content."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        if not is_test_cell(cell):
            digest.update(f"{cell.cell_type}\0{len(cell.source)}\0{cell.source}".encode())
    for path in sorted(Path(folder).rglob("*")) if folder else ():
        if path.is_file() and not path.is_symlink():
            name = str(path.relative_to(folder)).encode()
            digest.update(b"\0file\0%d\0%s\0%d\0" % (len(name), name, path.stat().st_size))
            with open(path, "rb") as content:
                for block in iter(lambda: content.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


def submitted_folder(config: Config, info: Mapping[str, str]) -> Path:
    """The student's submitted folder, which nbgrader copied into the kernel's (outside the kernel's reach)."""
    course = CourseDirectory(config=config)
    return Path(course.format_path(course.submitted_directory, info["student"], info["assignment"]))


class PlaceProbeSeeds(NbGraderPreprocessor):
    """Before Execute: put this student's seed into every hidden probe call (a linked notebook is refused)."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        info = resources["nbgrader"]
        folder = submitted_folder(self.config, info)
        refused = studentfiles.refusal(folder, f"{info['notebook']}.ipynb")
        if refused:
            raise studentfiles.SubmissionRefused(f"{info['student']} is not graded: {refused}")
        secret = ProbeSecret(config=self.config).read()
        submission = submission_digest(nb, folder)
        resources[DIGEST_KEY] = submission  # for JudgeProbes: the same seeds, whatever changes meanwhile
        for cell in nb.cells:
            if is_test_cell(cell):
                seed = probe_seed(secret, info["assignment"], info["student"], cell.metadata.nbgrader.grade_id,
                                  submission)
                cell.source = PROBE_CALL.sub(lambda call: f"run_probes({call['cell']}, globals(), seed={seed})",
                                             cell.source)
        return nb, resources


class CourseData:
    """An assignment's data as the course holds it: read from the instructor's source folder, not the student's."""

    def __init__(self, unit: units.Unit, source_folder: str | Path) -> None:
        self.unit, self.source_folder = unit, Path(source_folder)
        self._cache = {}

    def __call__(self, name: str) -> tuple[np.ndarray, ...]:
        if name not in self._cache:
            self._cache[name] = self.unit.load_data(name, self.source_folder)
        return tuple(np.array(part) for part in self._cache[name])


class BadRecords(Exception):
    """The records of a test cell cannot be trusted as a whole; the message says why."""


def _clean(text, limit=MAX_DETAIL):
    """Student-controlled text, made safe to quote in one line of feedback."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."


def read_records(outputs: Sequence[Mapping[str, Any]], grade_id: str, max_records: int) -> dict[str, dict[str, Any]]:
    """{probe id: record} from a test cell's outputs, or BadRecords.

    Only display_data outputs of PROBE_MIME are records; everything else the
    kernel wrote is ignored. Each record must be a dict of known keys, for
    this cell, with one record per probe id.
    """
    records = {}
    found = [output for output in outputs
             if output.get("output_type") == "display_data" and PROBE_MIME in output.get("data", {})]
    if len(found) > max_records:
        raise BadRecords(f"{len(found)} probe records arrived, more than the {max_records} that this test sends: "
                         "something in the notebook emitted records of its own")
    for output in found:
        record = output["data"][PROBE_MIME]
        if not isinstance(record, dict) or not set(record) <= RECORD_KEYS or not isinstance(record.get("probe"), str):
            raise BadRecords("a probe record is malformed: something in the notebook emitted records of its own")
        if record.get("cell") != grade_id:
            raise BadRecords(f"a probe record for another test ({_clean(record.get('cell'), 40)!r}) arrived in "
                             "this one: something in the notebook emitted records of its own")
        probe = _clean(record["probe"], 40)
        if probe in records:
            raise BadRecords(f"the probe {probe!r} reported more than once: something in the notebook emitted "
                             "records of its own")
        records[probe] = record
    return records


def decode_array(result: Mapping[str, Any]) -> np.ndarray:
    """The numbers of an ``array`` result as float64, or BadRecords; None entries become NaN.

    Policy: the shape is at most 4 non-negative ints with at most
    MAX_PROBE_ENTRIES entries; data holds exactly that many JSON numbers
    (not booleans, not strings), finite, or null for a non-finite number.
    """
    shape, data = result.get("shape"), result.get("data")
    if not (isinstance(shape, list) and len(shape) <= 4 and all(type(n) is int and n >= 0 for n in shape)):
        raise BadRecords("a probe record has no valid shape")
    size = math.prod(shape)
    if size > MAX_PROBE_ENTRIES or not isinstance(data, list) or len(data) > MAX_PROBE_ENTRIES:
        raise BadRecords(f"a probe record is oversized (more than {MAX_PROBE_ENTRIES} numbers)")
    if len(data) != size:
        raise BadRecords("a probe record's numbers do not fill its shape")
    values = []
    for number in data:
        if number is None:
            values.append(math.nan)
        elif type(number) is float and math.isfinite(number) or type(number) is int and abs(number) < 2**63:
            values.append(float(number))
        else:
            raise BadRecords("a probe record holds something other than finite numbers")
    return np.array(values, dtype=np.float64).reshape(shape)


def _result_verdict(case, result):
    """The verdict on a result that is not numbers (None if it is an array)."""
    kind = result.get("kind") if isinstance(result, dict) else None
    if kind == "array":
        return None
    if kind == "missing":
        return _failed(Kind.NOT_DEFINED, case, name=case.variable or case.function)
    if kind in ("none", "function", "text", "dict", "not_numbers", "too_big"):
        return _failed(Kind.NOT_NUMBERS, case, returned=kind, **(
            {"type": _clean(result.get("type"), 40)} if kind == "not_numbers" else {}))
    if kind == "raised":
        return _failed(Kind.RAISED, case, error=_clean(result.get("detail", "")))
    raise BadRecords("a probe record has a result of unknown kind")


def _failed(kind, case=None, **details):
    """A failed verdict of ``kind`` at ``case`` (None: the cell as a whole)."""
    if case is None:
        return Verdict(kind, details=details)
    # A wrong answer where a case made to catch hard-coding looks (its hint says so) is the other sign of it.
    return Verdict(kind, case.what, case.where, case.where_for_class, details, case.hint,
                   hard_coded=case.hint == HARD_CODED_HINT and kind in DIAGNOSED)


@dataclass
class CellVerdict:
    verdict: Verdict

    @property
    def passed(self) -> bool:
        return self.verdict.passed

    @property
    def message(self) -> str:
        return self.verdict.words()


class Reference:
    """One assignment's cases, their expected values and the known mistakes they name, from its unit."""

    def __init__(self, unit: units.Unit, data: CourseData) -> None:
        self.unit, self.data = unit, data

    @classmethod
    def of(cls, course_root: str | Path, source_folder: str | Path, assignment: str) -> Self:
        """The reference of ``assignment``: its unit in ``course_root``, its data in ``source_folder``."""
        unit = units.unit(course_root, assignment)
        return cls(unit, CourseData(unit, source_folder))

    def cases(self, grade_id: str, seed: int) -> list[Case]:
        return self.unit.probe_cases(grade_id, seed, self.data)

    def expected(self, case: Case) -> ArrayLike:
        return self.unit.expected(case, self.data)

    def mistakes(self, case: Case) -> dict[str, ArrayLike]:
        return self.unit.mistakes(case)


def judge_case(case: Case, record: Mapping[str, Any], reference: Reference) -> Verdict | None:
    """The verdict on one case's record: None if it passes."""
    result = record.get("result")
    failed = _result_verdict(case, result)
    if failed:
        return failed
    got = decode_array(result)
    if case.normalize:
        try:
            got = case.normalize(case.what, got)
        except CheckFailed as problem:
            return _failed(Kind.WRONG_FORM, case, problem=str(problem))
    mutated = record.get("mutated") or []
    if not isinstance(mutated, list) or not all(isinstance(name, str) for name in mutated):
        raise BadRecords("a probe record is malformed")
    if mutated:
        return _failed(Kind.MUTATED, case, name=_clean(mutated[0], 20))
    if case.method:
        return _method_verdict(case, got, reference.expected(case))
    # The known mistakes are worked out only for a wrong answer.
    found = mismatch(got, reference.expected(case), lambda: reference.mistakes(case), names=case.entries)
    return _failed(Kind(found[0]), case, **found[1]) if found else None


def _method_verdict(case, got, answers):
    """A method probe's verdict: None if ``got`` is one of the answers that a derivative built from the
    changed pieces gives (``answers["follows"]``); else METHOD, saying how it went: the values it gave
    before the change (``"unchanged"``), what an estimate by differences gives (``"estimates"``), or
    neither."""
    def among(values):
        return any(mismatch(got, value) is None for value in values)
    if among(answers["follows"]):
        return None
    how = "same" if among(answers["unchanged"]) else "estimate" if among(answers["estimates"]) else "other"
    return _failed(Kind.METHOD, case, change=case.method, how=how)


def judge_cell(grade_id: str, seed: int, outputs: Sequence[Mapping[str, Any]], reference: Reference,
               max_records: int = 32) -> CellVerdict:
    """The verdict on one test cell, from its outputs (the kernel's records) alone."""
    try:
        cases = reference.cases(grade_id, seed)
    except KeyError:
        return CellVerdict(_failed(Kind.NO_JUDGE, of=f"the test cell {grade_id!r}"))
    try:
        records = read_records(outputs, grade_id, max_records)
        if "inputs" in records:
            result = records["inputs"].get("result")
            detail = _clean(result.get("detail", "") if isinstance(result, dict) else "")
            return CellVerdict(_failed(Kind.NO_INPUTS, error=detail))
        unknown = sorted(set(records) - {case.probe for case in cases})
        if unknown:
            raise BadRecords(f"a record for an unknown probe {unknown[0]!r} arrived: something in the notebook "
                             "emitted records of its own")
        for index, case in enumerate(cases):
            if case.probe not in records:
                return CellVerdict(_missing(case, outputs))
            verdict = judge_case(case, records[case.probe], reference)
            if verdict:
                same = _same_values_later(case, cases[index + 1:], records) if index == 0 else None
                return CellVerdict(same or verdict)
        return CellVerdict(Verdict())
    except BadRecords as error:
        return CellVerdict(_failed(Kind.UNTRUSTED, reason=str(error)))


def _same_values_later(case, later, records):
    """Wrong at the first inputs and exactly the same at a later case made to catch hard-coding (other
    data or network: HARD_CODED_HINT): the hard-coded verdict, as the visible check gives it too."""
    def result(one):
        try:
            return np.asarray(decode_array(records[one.probe].get("result")), dtype=np.float64)
        except Exception:  # no result there, or not an array: nothing to compare
            return None

    got = result(case)
    if got is None or not case.where:
        return None
    # Two looks at the same input, or two different variables, may well agree: only those cases count.
    for other in later:
        if other.probe in records and other.hint == HARD_CODED_HINT and other.where:
            value = result(other)
            if value is not None and value.shape == got.shape and np.array_equal(value, got):
                return Verdict(Kind.HARD_CODED, case.what, case.where, case.where_for_class,
                               {"other_where": other.where}, hard_coded=True)
    return None


def _missing(case, outputs):
    for output in outputs:
        if output.get("output_type") == "error" and output.get("ename") == "CellTimeoutError":
            return _failed(Kind.TIMED_OUT, case)
    return _failed(Kind.NO_RESULT, case)


def failure_output(message: str, ename: str = "CheckFailed") -> NotebookNode:
    return new_output("error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])


class JudgeProbes(OneStudentsWrite, NbGraderPreprocessor):
    """After Execute, before SaveAutoGrades: replace each test cell's outputs by the trusted verdict."""

    max_records = Integer(32, help="Probe records one test cell may carry; more fail the cell.").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        started = time.perf_counter()
        info = resources["nbgrader"]
        secret = ProbeSecret(config=self.config).read()
        course = CourseDirectory(config=self.config)
        source_folder = course.format_path(course.source_directory, ".", info["assignment"])
        try:
            reference = Reference.of(course.root, source_folder, info["assignment"])
        except units.NoSuchAssignment as missing:
            reference = None
            self.log.error("%s: every test cell of %s fails", missing, info["student"])
        for_review = False
        submission = resources.get(DIGEST_KEY) or submission_digest(nb, submitted_folder(self.config, info))
        for cell in nb.cells:
            if not is_test_cell(cell):
                continue
            grade_id = cell.metadata.nbgrader.grade_id
            seed = probe_seed(secret, info["assignment"], info["student"], grade_id, submission)
            try:
                judged = judge_cell(grade_id, seed, cell.get("outputs", []), reference, self.max_records) \
                    if reference else CellVerdict(_failed(Kind.NO_JUDGE, of="this assignment"))
            except Exception:  # whatever the records did to the judge, this cell fails alone
                self.log.exception("The records of %s in %s's notebook broke the judge", grade_id, info["student"])
                judged = CellVerdict(_failed(Kind.UNTRUSTED, reason="its records could not be read"))
            timed_out = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"
                         and output.get("ename") in ("CellTimeoutError", "DeadKernelError")]
            cell.outputs = [] if judged.passed else \
                [failure_output(judged.message, timed_out[0].ename if timed_out else "CheckFailed")]
            cell.metadata[VERDICT_KEY] = judged.verdict.as_data()
            for_review |= judged.verdict.kind == Kind.METHOD or judged.verdict.hard_coded
        if for_review:  # advice for the TA in formgrader too (its Flagged?); the TA may give the points back there
            flag_for_review(info)
        nb.metadata[VERDICTS_KEY] = {"seconds": round(time.perf_counter() - started, 4)}
        return nb, resources
