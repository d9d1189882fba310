"""Kill rate of the mistake suites and pass rate of the equivalence suites.

A mistake is killed when it loses points; it is killed precisely when the
test cells that lost points are exactly the ones its catalogue entry names.
An equivalent solution passes when it keeps every automatic point.
"""
from dataclasses import dataclass

from backprop_course.course import lost_cells

from .catalogs import catalog
from .submissions import EQUIVALENT, KNOWN_MISTAKE, MISTAKE


@dataclass
class SuiteResult:
    assignment: str
    mistakes: int
    killed: int
    killed_precisely: int
    equivalents: int
    equivalents_full_marks: int
    surprises: list

    def lines(self):
        def rate(part, whole):
            return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "0/0"
        return [f"{self.assignment}: mistakes killed {rate(self.killed, self.mistakes)}, "
                f"only on the intended questions {rate(self.killed_precisely, self.mistakes)}; "
                f"equivalent solutions with full marks {rate(self.equivalents_full_marks, self.equivalents)}"
                ] + [f"  unexpected: {surprise}" for surprise in self.surprises]


def suite_result(assignment, scores, test_points):
    """Compare the graded ``scores`` ({student: {grade_id: score}}) with the catalogue."""
    result = SuiteResult(assignment, 0, 0, 0, 0, 0, [])
    for fixture in catalog(assignment):
        cells = scores.get(fixture.name)
        if cells is None:
            result.surprises.append(f"{fixture.name}: not graded")
            continue
        lost = set(lost_cells(cells, test_points))
        if fixture.kind in (MISTAKE, KNOWN_MISTAKE):
            result.mistakes += 1
            result.killed += bool(lost)
            result.killed_precisely += lost == set(fixture.loses)
        elif fixture.kind == EQUIVALENT:
            result.equivalents += 1
            result.equivalents_full_marks += not lost
        if lost != set(fixture.loses) and not fixture.blank:
            result.surprises.append(f"{fixture.name}: lost {sorted(lost)}, expected {sorted(fixture.loses)}")
    return result
