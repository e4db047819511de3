"""Take the README's screenshots: each tab of a ``%%fpga`` output, rendered by JupyterLab in headless Chromium.

    .venv/bin/python docs/take_screenshots.py [--out docs/screenshots] [--keep]

Needs ``jupyterlab`` in the virtual environment and Debian's ``chromium``. The script writes a
small notebook into a temporary directory, starts JupyterLab on a free local port, opens the
notebook in Chromium (driven over the DevTools protocol with ``websocket-client``, which
jupyter_server depends on), runs every cell, clicks through the tabs of each output and saves
one PNG per view. Nothing leaves this machine: both servers listen on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--remote-allow-origins=*",
]
WIDTH, HEIGHT = 1280, 1800

SETUP = f"""\
import sys
sys.path.insert(0, {str(ROOT / "examples")!r})
import numpy as np
import models
%load_ext fpgalab
x_train, x_test, y_train, y_test = models.digits_data()"""

DESIGN = """\
%%fpga --data x_test --labels y_test --name digits
model = models.digits_mlp().fn"""

SWEEP = """\
%%fpga --sweep precision=ap_fixed<16,6>,ap_fixed<12,5>,ap_fixed<10,4> reuse=1,2,4,8,16 --data x_test --labels y_test --name digits_best
model = models.digits_mlp().fn"""

COMPARE = "%fpga compare digits digits_best"

# (file name, cell index, tab to click or None for the whole output, button to press in that tab or None)
SHOTS = [
    ("resources.png", 1, "Resources", None),
    ("latency.png", 1, "Latency", None),
    ("accuracy.png", 1, "Accuracy", None),
    ("code.png", 1, "Code", "HLS C++"),
    ("sweep.png", 2, "Sweep", None),
    ("compare.png", 3, None, None),
]

SETTINGS = {  # quiet, unwindowed notebook: every cell is in the page, no news toast
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, seconds: float) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {seconds:.0f} s")


class Page:
    """A tiny DevTools-protocol client for one page."""

    def __init__(self, port: int):
        import websocket  # websocket-client, a jupyter_server dependency

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as answer:
            targets = [t for t in json.load(answer) if t["type"] == "page"]
        self.ws = websocket.create_connection(targets[0]["webSocketDebuggerUrl"], timeout=120, suppress_origin=True)
        self.next_id = 0

    def send(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def js(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression: str, seconds: float, what: str):
        deadline = time.time() + seconds
        while time.time() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.25)
        raise TimeoutError(f"waited {seconds:.0f} s for {what}")

    def click(self, x: float, y: float) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def screenshot(self, rect: dict, path: Path) -> None:
        clip = {"x": rect["x"], "y": rect["y"], "width": rect["width"], "height": rect["height"], "scale": 1}
        data = self.send("Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))


NOTEBOOK = "[...window.jupyterapp.shell.widgets('main')].find(w => w.sessionContext)"
CELL_NODE = "(" + NOTEBOOK + ").content.widgets[{index}].node"


def output_rect(page: Page, index: int) -> dict:
    page.js(f"{CELL_NODE.format(index=index)}.scrollIntoView({{block: 'start'}})")
    time.sleep(0.5)
    return page.js(f"""(() => {{
        const area = {CELL_NODE.format(index=index)}.querySelector('.jp-Cell-outputWrapper');
        const r = area.getBoundingClientRect();
        return {{x: Math.max(0, r.x), y: Math.max(0, r.y), width: Math.min(r.width, {WIDTH}), height: r.height}};
    }})()""")


def click_tab(page: Page, index: int, title: str) -> None:
    center = page.js(f"""(() => {{
        const tabs = [...{CELL_NODE.format(index=index)}.querySelectorAll('.lm-TabBar-tab')];
        const tab = tabs.find(t => t.textContent.trim() === {json.dumps(title)});
        if (!tab) return null;
        const r = tab.getBoundingClientRect();
        return {{x: r.x + r.width / 2, y: r.y + r.height / 2}};
    }})()""")
    if center is None:
        raise RuntimeError(f"cell {index} has no tab {title!r}")
    page.click(center["x"], center["y"])
    time.sleep(0.4)
    page.wait(
        f"""(() => {{
        const panel = [...{CELL_NODE.format(index=index)}.querySelectorAll('.widget-tab-contents > .lm-Widget')]
            .find(p => !p.classList.contains('lm-mod-hidden'));
        if (!panel) return false;
        const plots = panel.querySelectorAll('.js-plotly-plot');
        return plots.length > 0 ? [...plots].every(p => p.querySelector('.main-svg')) : true;
    }})()""",
        30,
        f"tab {title} to render",
    )
    time.sleep(0.8)


def click_button(page: Page, index: int, text: str) -> None:
    """Press a button (a ToggleButtons choice) in the output of cell ``index``, if it is there."""
    center = page.js(f"""(() => {{
        const buttons = [...{CELL_NODE.format(index=index)}.querySelectorAll('button')];
        const button = buttons.find(b => b.textContent.trim() === {json.dumps(text)} && b.offsetParent !== null);
        if (!button) return null;
        const r = button.getBoundingClientRect();
        return {{x: r.x + r.width / 2, y: r.y + r.height / 2}};
    }})()""")
    if center is None:
        print(f"note: no {text!r} button in cell {index}; screenshot without it", file=sys.stderr)
        return
    page.click(center["x"], center["y"])
    time.sleep(1.5)


def write_notebook(directory: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in (SETUP, DESIGN, SWEEP, COMPARE)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = directory / "fpgalab_tour.ipynb"
    nbformat.write(nb, path)
    return path


def write_settings(directory: Path) -> Path:
    settings = directory / "settings"
    for name, value in SETTINGS.items():
        target = settings / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value))
    return settings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (for debugging)")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium")
    if chromium is None:
        print("needs Debian's chromium: apt-get install chromium", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="fpgalab-shots-"))
    notebook = write_notebook(work)
    settings = write_settings(work)
    token, lab_port, cdp_port = secrets.token_hex(16), free_port(), free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(work / "config"), "JUPYTER_RUNTIME_DIR": str(work / "runtime")}
    lab = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={lab_port}",
            f"--ServerApp.root_dir={work}",
            "--ServerApp.allow_root=True",
            f"--IdentityProvider.token={token}",
            "--LabApp.expose_app_in_browser=True",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={work / 'ws'}",
        ],
        env=env,
        stdout=open(work / "lab.log", "w"),
        stderr=subprocess.STDOUT,
    )
    browser = None
    try:
        wait_http(f"http://127.0.0.1:{lab_port}/api/status?token={token}", 60)
        browser = subprocess.Popen(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--remote-debugging-port={cdp_port}",
                f"--user-data-dir={work / 'chromium'}",
                f"--window-size={WIDTH},{HEIGHT}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_http(f"http://127.0.0.1:{cdp_port}/json/version", 30)
        page = Page(cdp_port)
        page.send("Page.enable")
        page.send("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1, mobile=False)
        page.send("Page.navigate", url=f"http://127.0.0.1:{lab_port}/doc/tree/{notebook.name}?token={token}")
        page.wait(
            f"window.jupyterapp && ({NOTEBOOK})?.sessionContext.session?.kernel?.status === 'idle'",
            120,
            "the notebook and its kernel",
        )
        page.js("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        count = len(nbformat.read(notebook, 4).cells)
        page.wait(
            f"""(() => {{
            const nb = {NOTEBOOK};
            const done = nb.content.widgets.every(c => c.model.type !== 'code' || c.model.executionCount);
            return done && nb.sessionContext.session.kernel.status === 'idle';
        }})()""",
            300,
            f"{count} cells to run",
        )
        errors = page.js(
            f"({NOTEBOOK}).node.querySelectorAll('.jp-OutputArea-output[data-mime-type="
            f'"application/vnd.jupyter.stderr"]\').length'
        )
        if errors:
            print(f"warning: {errors} stderr outputs in the notebook", file=sys.stderr)
        args.out.mkdir(parents=True, exist_ok=True)
        for name, index, tab, button in SHOTS:
            if tab is not None:
                click_tab(page, index, tab)
            else:
                time.sleep(1.0)
            if button is not None:
                click_button(page, index, button)
            page.screenshot(output_rect(page, index), args.out / name)
            print(f"wrote {args.out / name}")
    finally:
        if browser is not None:
            browser.terminate()
            browser.wait(10)
        lab.terminate()
        lab.wait(20)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
