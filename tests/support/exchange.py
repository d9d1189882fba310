"""nbgrader's exchange, as the tests and benchmarks of grading on submit fill it."""
import secrets


def leave_submission(inbound, student, assignment, when, fill, secret=None):
    """What `nbgrader submit` leaves in the exchange's inbound folder, appearing at once: a folder
    ``student+assignment+time+random`` with the notebooks that ``fill(folder)`` writes, ``timestamp.txt``
    and ``submission_secret.txt``. ``when``: an aware datetime in UTC. Returns the folder."""
    stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    staging = inbound.parent / f".staging-{secrets.token_hex(8)}"
    staging.mkdir(parents=True)
    fill(staging)
    (staging / "timestamp.txt").write_text(stamp)
    (staging / "submission_secret.txt").write_text(secret or secrets.token_hex(16))
    inbound.mkdir(parents=True, exist_ok=True)
    return staging.rename(inbound / f"{student}+{assignment}+{stamp}+{secrets.token_hex(4)}")
