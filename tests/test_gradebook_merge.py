"""The parallel command's one gradebook writer: a job's results go into the real gradebook as nbgrader's would."""
import json

from nbgrader.api import Gradebook

from backprop_course.parallel import read_results, record_results
from backprop_course.parallel.merge import remember_answers
from support.gradebooks import alembic_on_path, one_submission_gradebook


def grades(url):
    with Gradebook(url) as book:
        notebook = book.find_submission_notebook("nb", "a", "s")
        return notebook.flagged, {grade.name: (grade.auto_score, grade.manual_score, grade.needs_manual_grade)
                                  for grade in notebook.grades}


def test_a_jobs_results_are_written_and_a_tas_manual_score_stays(tmp_path, monkeypatch):
    alembic_on_path(monkeypatch)
    job, real = (one_submission_gradebook(tmp_path / f"{name}.db") for name in ("job", "real"))
    with Gradebook(job) as book:  # what autograde wrote in the job's private gradebook
        notebook = book.find_submission_notebook("nb", "a", "s")
        notebook.flagged = True
        for grade in notebook.grades:
            grade.auto_score = {"test_one": 1.0, "answer_one": None}[grade.name]
            grade.needs_manual_grade = grade.name == "answer_one"
        book.db.commit()
    with Gradebook(real) as book:  # a TA already graded the answer by hand
        book.find_grade("answer_one", "nb", "a", "s").manual_score = 1.5
        book.db.commit()
    with Gradebook(real) as book:
        record_results(book, "a", "s", read_results(job, "a", "s"))
    flagged, written = grades(real)
    assert flagged
    assert written["test_one"][0] == 1.0
    assert written["answer_one"][1] == 1.5, "the TA's manual score was overwritten"


def test_a_job_without_results_leaves_the_gradebook_alone(tmp_path, monkeypatch):
    alembic_on_path(monkeypatch)
    real = one_submission_gradebook(tmp_path / "real.db")
    before = grades(real)
    with Gradebook(real) as book:
        record_results(book, "a", "s", read_results(one_submission_gradebook(tmp_path / "empty.db"), "a", "nobody"))
    assert grades(real) == before


def job_graded_the_answer_again(job_url, unchanged):
    """A job's results in which answer_one is hand-graded and needs grading, as nbgrader's step leaves it."""
    with Gradebook(job_url) as book:
        grade = book.find_grade("answer_one", "nb", "a", "s")
        grade.auto_score, grade.needs_manual_grade = None, True
        book.db.commit()
    results = read_results(job_url, "a", "s")
    results["notebooks"]["nb"]["unchanged_answers"] = ["answer_one"] if unchanged else []
    return results


def test_an_unchanged_answer_that_a_ta_resolved_stays_resolved_and_a_changed_one_reopens(tmp_path, monkeypatch):
    alembic_on_path(monkeypatch)
    for unchanged in (True, False):
        job, real = (one_submission_gradebook(tmp_path / f"{name}-{unchanged}.db") for name in ("job", "real"))
        with Gradebook(real) as book:
            grade = book.find_grade("answer_one", "nb", "a", "s")
            grade.manual_score, grade.needs_manual_grade = 2.0, False
            book.db.commit()
        with Gradebook(real) as book:
            record_results(book, "a", "s", job_graded_the_answer_again(job, unchanged))
        _, written = grades(real)
        assert written["answer_one"] == (None, 2.0, not unchanged)


def test_a_job_whose_autograde_failed_leaves_the_gradebook_as_it_was(tmp_path, monkeypatch):
    """As after a failed serial run: nothing of the job's rows is copied, nothing the TA closed reopens."""
    alembic_on_path(monkeypatch)
    job, real = (one_submission_gradebook(tmp_path / f"{name}.db") for name in ("job", "real"))
    with Gradebook(real) as book:
        grade = book.find_grade("answer_one", "nb", "a", "s")
        grade.manual_score, grade.needs_manual_grade = 2.0, False
        book.db.commit()
    before = grades(real)
    results = read_results(job, "a", "s", autograded=tmp_path / "no-autograded-notebook-here")
    assert results["notebooks"]["nb"]["autograded"] is False
    with Gradebook(real) as book:
        record_results(book, "a", "s", results)
    assert grades(real) == before


def test_the_answers_a_job_saw_are_remembered_only_when_its_results_are_in(tmp_path):
    from backprop_course.grading.judge.manualgrades import digests_path
    info = {"assignment": "a", "student": "s", "notebook": "nb"}
    results = {"notebooks": {"nb": {"autograded": True, "digests": {"answer_one": "abc"}}}}
    assert not digests_path(tmp_path, info).exists()
    remember_answers(tmp_path, "a", "s", results)
    assert json.loads(digests_path(tmp_path, info).read_text()) == {"answer_one": "abc"}
