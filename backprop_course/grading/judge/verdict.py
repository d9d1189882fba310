"""A verdict as data: its kind, the details its message needs, and the one function that words it.

The judge (verdicts.py) gives one ``Verdict`` per test cell and stores it,
whole, in the cell's metadata (``VERDICT_KEY``). The student's message is
``verdict.words()``; the class report groups students by
``verdict.words(for_class=True)``, which leaves out what differs from student
to student; statuses and flags read the kind and ``hard_coded``, never the text.
"""
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Self

from ...gradecheck.core import error_hint
from ...gradecheck.diagnosis import describe, hard_coded_message, method_message, sentence
from ...gradecheck.probes import MAX_PROBE_ENTRIES

VERDICT_KEY = "backprop_verdict"  # in a test cell's metadata


class Kind(StrEnum):
    PASSED = "passed"
    # The answer is numbers, but not the right ones (the diagnoses of gradecheck.diagnosis.diagnosis).
    NOT_FINITE = "not finite"
    SHAPE = "wrong shape"
    SIGN = "wrong sign"
    SWAPPED = "swapped"
    TRANSPOSED = "transposed"
    FACTOR = "constant factor"
    WRONG_VALUES = "wrong values"
    KNOWN_MISTAKE = "known mistake"
    HARD_CODED = "hard-coded"
    # The right numbers, but not from the pieces the derivative should be built from (a method probe).
    METHOD = "not the chain rule"
    # The answer is not numbers of the right form, or not there.
    WRONG_FORM = "wrong form"
    NOT_NUMBERS = "not numbers"
    RAISED = "raised"
    MUTATED = "mutated its input"
    NOT_DEFINED = "not defined"
    TIMED_OUT = "timed out"
    NO_RESULT = "no result"
    # The test itself could not judge.
    NO_INPUTS = "no inputs"
    UNTRUSTED = "untrusted"
    NO_JUDGE = "no judge"


# What a result that is not numbers says, by the record's kind (gradecheck.probes.encode_result).
_NOT_NUMBERS = {
    "none": "returned None: is a `return` statement missing?",
    "function": "returned a function, not numbers: did you forget to call it with ( )?",
    "text": "returned text, not numbers",
    "dict": "returned a dict; expected numbers",
    "not_numbers": "returned {type}, which is not an array of numbers",
    "too_big": f"returned more than {MAX_PROBE_ENTRIES} numbers; expected an array of the parameter's shape",
}
# The diagnoses whose phrase gradecheck.diagnosis.describe gives.
DIAGNOSES = {Kind.NOT_FINITE, Kind.SHAPE, Kind.SIGN, Kind.SWAPPED, Kind.TRANSPOSED, Kind.FACTOR, Kind.WRONG_VALUES}
# Wrong numbers, diagnosed: the verdicts that say where, and the case's hint.
DIAGNOSED = DIAGNOSES | {Kind.KNOWN_MISTAKE}


@dataclass
class Verdict:
    """The judge's word on one test cell: the first case that failed, or PASSED."""
    kind: Kind = Kind.PASSED
    what: str = ""          # how the call is named: "f(W, x)"
    where: str = ""         # where it failed, in this student's words: "at 37 random points"
    where_for_class: str = ""  # the same place without this student's numbers (the case's; default: where)
    details: dict = field(default_factory=dict)
    hint: str = ""
    # Right at the notebook's own inputs but wrong at others, or the same values at every input.
    hard_coded: bool = False

    @property
    def passed(self) -> bool:
        return self.kind == Kind.PASSED

    def words(self, for_class: bool = False) -> str:
        """The message: what the student reads, or (``for_class``) the same without their own numbers."""
        if self.passed:
            return ""
        what, details = self.what, self.details
        where = (self.where_for_class or self.where) if for_class else self.where
        if self.kind in DIAGNOSED:
            if self.kind == Kind.KNOWN_MISTAKE:
                problem = details["description"]
            else:  # a student's own numbers are left out for the class: error size, unnamed entries
                unnamed = "wrong" in details and "names" not in details
                own = {"error"} | ({"wrong", "shape", "factor"} if unnamed else set())
                problem = describe(self.kind.value, {key: value for key, value in details.items()
                                                     if not (for_class and key in own)})
            # A known mistake says what to change; a hint about other causes would only distract.
            hint = "" if self.kind == Kind.KNOWN_MISTAKE else self.hint
            return sentence(f"{what} {problem}" + (f", {where}" if where else ""), hint)
        if self.kind == Kind.HARD_CODED:
            return hard_coded_message(what, where, details["other_where"])
        if self.kind == Kind.METHOD:
            return method_message(what, where, details["change"], details["how"])
        if self.kind == Kind.WRONG_FORM:
            return details["problem"]
        if self.kind == Kind.NOT_NUMBERS:
            return f"{what} " + _NOT_NUMBERS[details["returned"]].format(type=details.get("type", ""))
        if self.kind == Kind.RAISED:
            return f"{what} raised {details['error']}{error_hint(details['error'])}"
        if self.kind == Kind.MUTATED:
            return (f"{what} changed {details['name']} in place; compute new arrays instead of modifying the "
                    "parameters or arguments it reads")
        if self.kind == Kind.NOT_DEFINED:
            return (f"{details['name']} is not defined when this test runs: run the cell that defines it, and keep "
                    "its name")
        if self.kind == Kind.TIMED_OUT:
            return f"{what} {where} did not finish within the time limit".replace("  ", " ")
        if self.kind == Kind.NO_RESULT:
            return (f"no result arrived from {what} {where}: the test was stopped before it, or its report was "
                    "suppressed").replace("  ", " ")
        if self.kind == Kind.NO_INPUTS:
            return (f"the test could not build its inputs ({details['error']}): did the notebook delete, move or "
                    "change a file shipped with it, or the working folder?")
        if self.kind == Kind.UNTRUSTED:
            return f"This test cannot be trusted: {details['reason']}."
        if self.kind == Kind.NO_JUDGE:
            return f"the autograder has no judge for {details['of']}; tell your instructor"
        raise ValueError(f"a verdict of unknown kind {self.kind!r}")

    def as_data(self) -> dict[str, Any]:
        """The verdict as JSON data, to store with the graded cell."""
        data = asdict(self)
        data["kind"] = self.kind.value
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Self:
        return cls(**{**data, "kind": Kind(data["kind"])})

