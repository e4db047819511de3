"""%%fpga on a cell that defines a PyTorch module, through IPython's InteractiveShell."""

from __future__ import annotations

import os

import numpy as np
import pytest

if os.environ.get("FPGALAB_REQUIRE_TORCH"):
    import torch
else:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (make test-torch installs it)")

from conftest import empty_session, ipython_shell  # noqa: E402
from IPython.utils.capture import capture_output  # noqa: E402

pytestmark = pytest.mark.torch

BODY = """\
torch.manual_seed(0)
helper = torch.nn.ReLU()
net = torch.nn.Sequential(torch.nn.Linear(16, 8), torch.nn.ReLU(), torch.nn.Linear(8, 4), torch.nn.Softmax(dim=1))
"""


@pytest.fixture(scope="module")
def ip():
    shell = ipython_shell()
    assert shell.run_cell("import numpy as np\nimport torch\nx = np.zeros((1, 16), np.float32)\n").success
    return shell


@pytest.fixture
def session(ip):
    return empty_session(ip)


def test_cell_compiles_the_last_torch_module_it_defines(ip, session):
    with capture_output() as captured:
        result = ip.run_cell(f"%%fpga --inputs x --precision float32\n{BODY}")
    assert result.success, captured.stdout + captured.stderr
    assert list(session.entries) == ["net_design"] and session.get("net_design").source == "torch module net"
    design = ip.user_ns["net_design"]
    samples = np.random.default_rng(2).normal(size=(6, 16)).astype(np.float32)
    with torch.no_grad():
        want = ip.user_ns["net"](torch.as_tensor(samples)).numpy()
    got = np.asarray(design.simulate(samples)).reshape(want.shape)
    assert np.max(np.abs(got - want)) <= 1e-5 * np.max(np.abs(want))
    assert design.accuracy(samples).reference == "pytorch"


def test_torch_module_without_inputs_asks_for_them(ip, session):
    with capture_output() as captured:
        result = ip.run_cell(f"%%fpga\n{BODY}")
    text = captured.stdout + captured.stderr
    assert not result.success and "give example inputs: --inputs EXPR" in text and "Traceback" not in text


def test_data_gives_the_example_shape(ip, session):
    body = BODY + "samples = np.random.default_rng(0).normal(size=(10, 16)).astype(np.float32)\n"
    with capture_output() as captured:
        result = ip.run_cell(f"%%fpga --data samples --quiet\n{body}")
    assert result.success, captured.stdout + captured.stderr
    assert ip.user_ns["net_design"].example_shapes == ((1, 16),)
