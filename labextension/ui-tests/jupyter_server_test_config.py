"""The JupyterLab that the browser tests start (Playwright's webServer runs `jupyter lab --config` with this).

Galata's helper turns off authentication and serves a temporary root; the test server listens on
127.0.0.1 only, on the port the Playwright config picked (FPGALAB_UI_PORT).
"""

import os

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821 - `c` is the config object Jupyter passes in

c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = int(os.environ.get("FPGALAB_UI_PORT", "8888"))
c.ServerApp.allow_root = True  # CI and these machines run as root
c.IdentityProvider.token = ""
c.ServerApp.root_dir = os.environ.get("FPGALAB_UI_ROOT", c.ServerApp.root_dir)
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
