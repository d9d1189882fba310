"""One student's feedback, as a Dask task: nbgrader's generate_feedback and release_feedback in a warm worker.

The service submits it as soon as the student's grades are in the real gradebook, so feedback is written
beside the class's other gradings, by the workers, and reads what formgrader and the export read.
"""
import html
import shutil
import time
from pathlib import Path

from ..course import Course
from ..parallel.runner import in_course_folder


def answer(course_root: str | Path, assignment: str, student: str, status: str, reason: str) -> float:
    """Generate this student's feedback (or a page saying why there is none, from the grading's ``status`` and
    ``reason``), release it to them alone, and return the time (seconds since the epoch) it was released."""
    from nbgrader.apps import NbGraderAPI

    with in_course_folder(course_root):
        course = Course(course_root)
        api = NbGraderAPI(coursedir=course.settings, config=course.config)
        feedback = course.folder("feedback", student, assignment)
        shutil.rmtree(feedback, ignore_errors=True)  # derived: an earlier submission's must not be released again
        if course.folder("autograded", student, assignment).is_dir():
            api.generate_feedback(assignment, student, force=True)  # a crashed or timed-out notebook's too
        submitted = course.folder("submitted", student, assignment)
        expected = sorted(path.name for path in course.folder("source", assignment=assignment).glob("*.ipynb"))
        for notebook in submitted.glob("*.ipynb"):
            if not (feedback / f"{notebook.stem}.html").is_file():
                why = reason or "nbgrader could not grade it"
                if notebook.name not in expected:
                    why = (f"{notebook.name} is not a notebook of {assignment}; only {', '.join(expected)} is graded, "
                           "so save your work under that name")
                _write_ungraded_page(feedback, submitted, notebook.stem, status, why)
        released = api.release_feedback(assignment, student)
        if not released["success"]:
            raise RuntimeError(f"nbgrader release_feedback failed: {released.get('error') or released.get('log')}")
    return time.time()


def _write_ungraded_page(feedback: Path, submitted: Path, notebook: str, status: str, reason: str) -> None:
    """Feedback for a notebook that nbgrader could not grade, with the reason, where release_feedback looks."""
    feedback.mkdir(parents=True, exist_ok=True)
    for stamp in ("timestamp.txt", "submission_secret.txt"):
        if (submitted / stamp).is_file():
            shutil.copyfile(submitted / stamp, feedback / stamp)
    (feedback / f"{notebook}.html").write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(notebook)}</title></head><body>"
        f"<h1>{html.escape(notebook)}: {html.escape(status)}</h1><p>This submission could not be graded: "
        f"{html.escape(reason)}.</p><p>Fix it and submit again; your newest submission is the one graded."
        "</p></body></html>\n", encoding="utf-8")
