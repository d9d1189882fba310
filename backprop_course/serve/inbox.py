"""What waits in nbgrader's exchange: each student's submissions, and whether their feedback is out.

The service keeps no state of its own. A submission is answered when the
feedback of each of its notebooks is in the exchange's feedback folder,
under the name that ``nbgrader fetch_feedback`` looks for (nbgrader's own
``notebook_hash`` of the submission's secret and the notebook's name). So
after a crash, what is unanswered is exactly what was not graded.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..course import Course


@dataclass(frozen=True)
class Submission:
    """One ``nbgrader submit``: a folder ``student+assignment+timestamp+random`` of the exchange's inbound."""
    student: str
    assignment: str
    timestamp: datetime
    folder: Path

    @property
    def notebooks(self) -> list[str]:
        return sorted(path.stem for path in self.folder.glob("*.ipynb"))

    def feedback_files(self, feedback_folder: Path) -> list[Path]:
        """Where nbgrader's release_feedback puts the feedback of each of this submission's notebooks."""
        from nbgrader.utils import notebook_hash

        secret_file = self.folder / "submission_secret.txt"
        secret = secret_file.read_text() if secret_file.is_file() else ""
        if not secret:
            return []
        return [feedback_folder / f"{notebook_hash(secret=secret, notebook_id=name)}.html" for name in self.notebooks]

    def answered(self, feedback_folder: Path) -> bool:
        files = self.feedback_files(feedback_folder)
        return bool(files) and all(path.is_file() for path in files)


class Exchange:
    """The course's folders in nbgrader's exchange, as nbgrader_config.py names them."""

    def __init__(self, course_folder: Path) -> None:
        self.course_folder = Path(course_folder)
        self.inbound = self.course_folder / "inbound"
        self.feedback = self.course_folder / "feedback"

    @classmethod
    def of(cls, course: Course) -> "Exchange":
        """The exchange folders of ``course``: ``c.Exchange.root``/``c.CourseDirectory.course_id``."""
        from nbgrader.exchange.default.exchange import Exchange as NbgraderExchange

        configured = course.config.Exchange
        root = configured.root if "root" in configured else NbgraderExchange.class_traits()["root"].default_value
        return cls(Path(root) / course.settings.course_id)

    def submissions(self, assignments: set[str]) -> list[Submission]:
        """Every submission of ``assignments`` in the inbound folder, oldest first."""
        from nbgrader.utils import parse_utc

        found = []
        for folder in self.inbound.glob("*+*+*") if self.inbound.is_dir() else []:
            parts = folder.name.split("+")
            if len(parts) < 3 or parts[1] not in assignments or not folder.is_dir():
                continue
            try:
                timestamp = parse_utc(parts[2])
            except (ValueError, OverflowError):
                continue  # not a folder that nbgrader submit wrote
            found.append(Submission(parts[0], parts[1], timestamp, folder))
        return sorted(found, key=lambda submission: submission.timestamp)

    def answered_since(self, submission: Submission) -> Submission | None:
        """The student's newest answered submission of its assignment, if it is ``submission`` or newer: the
        one that nbgrader's collect took, which is newer if the student submitted again meanwhile."""
        mine = [item for item in self.submissions({submission.assignment}) if item.student == submission.student
                and item.timestamp >= submission.timestamp and item.answered(self.feedback)]
        return mine[-1] if mine else None

    def waiting(self, assignments: set[str]) -> tuple[list[Submission], list[Submission]]:
        """(each student's latest unanswered submission of each assignment, the older unanswered ones that it
        replaces and that are never graded)."""
        latest: dict[tuple[str, str], list[Submission]] = defaultdict(list)
        for submission in self.submissions(assignments):
            latest[submission.student, submission.assignment].append(submission)
        waiting, skipped = [], []
        for history in latest.values():
            newest = history[-1]
            if newest.notebooks and not newest.answered(self.feedback):
                waiting.append(newest)
                skipped += [older for older in history[:-1] if older.notebooks and not older.answered(self.feedback)]
        return sorted(waiting, key=lambda submission: submission.timestamp), skipped
