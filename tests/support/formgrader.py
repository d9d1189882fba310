"""A Jupyter server with formgrader on a course, for tests that grade as a TA does."""
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Formgrader:
    """A running server: ``base`` URL, ``token``, and formgrader's REST API as a TA's browser calls it."""

    def __init__(self, base, token):
        self.base, self.token = base, token

    def call(self, path, body=None):
        request = urllib.request.Request(f"{self.base}{path}", method="GET" if body is None else "PUT",
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=120) as response:
            text = response.read().decode()
        return json.loads(text) if path.startswith("/formgrader/api/") else text

    def grade(self, submission_id, scores, comments):
        """Score and comment hand-graded parts ({grade_id: points}, {grade_id: text}) of one submitted notebook,
        as formgrader's score box and comment box do."""
        query = f"?submission_id={submission_id}"
        grades = {grade["name"]: grade["id"] for grade in self.call(f"/formgrader/api/grades{query}")}
        boxes = {box["name"]: box["id"] for box in self.call(f"/formgrader/api/comments{query}")}
        for name, score in scores.items():
            self.call(f"/formgrader/api/grade/{grades[name]}", {"manual_score": score, "extra_credit": 0})
        for name, text in comments.items():
            self.call(f"/formgrader/api/comment/{boxes[name]}", {"manual_comment": text})


@contextlib.contextmanager
def running(course_root, runtime_folder, port=None):
    """A Jupyter server rooted at the course (its nbgrader_config.py, its gradebook), until the block ends."""
    port, token = port or free_port(), secrets.token_hex(16)
    bin_folder = Path(sys.executable).parent
    environment = dict(os.environ, PATH=os.pathsep.join([str(bin_folder), os.environ.get("PATH", "")]),
                       JUPYTER_RUNTIME_DIR=str(runtime_folder))
    base = f"http://127.0.0.1:{port}"
    with open(Path(course_root) / "server.log", "w") as log:
        server = subprocess.Popen([str(bin_folder / "jupyter"), "server", "--no-browser", "--ServerApp.ip=127.0.0.1",
                                   f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
                                   f"--ServerApp.root_dir={course_root}",
                                   *(["--allow-root"] if os.geteuid() == 0 else [])],
                                  cwd=course_root, env=environment, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("the Jupyter server did not start:\n"
                                           + (Path(course_root) / "server.log").read_text()) from None
                    time.sleep(0.3)
            yield Formgrader(base, token)
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
