"""Headless Chromium driven over the DevTools protocol, with no network beyond this machine.

Enough of a browser for the TA's round in tests/test_ta_round.py: open a
page, run JavaScript in it, wait for a condition, and collect every
JavaScript error and failed request on the way, so a test can fail on any.
Only loopback addresses resolve, so a page that needs a CDN breaks as it
would in an offline classroom.
"""
import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request

import websocket

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--remote-debugging-port=0"]


class BrowserError(AssertionError):
    """The page did not do what the test waited for."""


class Browser:
    """One headless Chromium with one page. Use it as a context manager."""

    def __init__(self, window=(1280, 1600)):
        self.profile = tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True)
        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile.name}", f"--window-size={window[0]},{window[1]}",
             "about:blank"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        port = self._devtools_port()
        pages = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        page = next(target for target in pages if target["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.next_id, self.errors, self.events = 0, [], []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    def _devtools_port(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if found:
                return int(found.group(1))
        raise RuntimeError("Chromium did not start its DevTools server")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.socket.close()
        self.process.kill()
        self.process.wait()
        self.profile.cleanup()

    def send(self, method, **params):
        self.next_id += 1
        request = self.next_id
        self.socket.send(json.dumps({"id": request, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == request:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._note(message)

    def _note(self, event):
        method, params = event.get("method"), event.get("params", {})
        self.events.append(method)
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append(details.get("exception", {}).get("description") or details.get("text"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.errors.append(" ".join(str(arg.get("value", arg.get("description", ""))) for arg in params["args"]))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.errors.append(f"{params['entry'].get('text')} ({params['entry'].get('url', '')})")

    def goto(self, url):
        self.events.clear()
        self.send("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'")

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page (awaiting a promise)."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:80]!r} threw {result['exceptionDetails'].get('text')}: "
                               f"{result['exceptionDetails'].get('exception', {}).get('description')}")
        return result["result"].get("value")

    def wait_for(self, condition, timeout=60):
        """Wait until the JavaScript ``condition`` is true in the page; return its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(condition)
            except BrowserError:
                value = None  # mid-navigation
            if value:
                return value
            time.sleep(0.2)
        raise BrowserError(f"timed out waiting for {condition!r}")

    def screenshot(self, path, selector=None):
        """A PNG of the page's viewport, or of the element ``selector`` (with a margin around it)."""
        import base64
        options = {"format": "png"}
        if selector:
            box = self.evaluate(f"""(() => {{ const r = document.querySelector({json.dumps(selector)})
                .getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, r.width, r.height]; }})()""")
            options.update(captureBeyondViewport=True, clip={
                "x": max(0, box[0] - 20), "y": max(0, box[1] - 400), "width": box[2] + 40, "height": box[3] + 420,
                "scale": 1})
        data = self.send("Page.captureScreenshot", **options)["data"]
        path.write_bytes(base64.b64decode(data))
        return path
