"""PyTorch modules through ``torch.onnx.export`` and the ONNX front end (``fpgalab.compile(module, x)``).

Each float32 design's simulation equals the module's own forward pass (relative error <= 1e-5); a
fixed-point design's simulation equals its LLVM module bit for bit. The tier needs PyTorch
(``make test-torch`` installs the CPU wheel); ``make test`` sets FPGALAB_REQUIRE_TORCH so that a
missing PyTorch fails the run instead of skipping it."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

if os.environ.get("FPGALAB_REQUIRE_TORCH"):
    import torch
else:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (make test-torch installs it)")

import fpgalab  # noqa: E402
from fpgalab.backends.llvm.jit import LlvmKernel  # noqa: E402
from fpgalab.backends.stimulus import test_inputs as make_inputs  # noqa: E402
from fpgalab.sim.functional import run_kernel  # noqa: E402

pytestmark = pytest.mark.torch
nn = torch.nn


def _randomize_batchnorm(module: nn.Module, seed: int) -> None:
    """Running statistics and affine parameters away from their identity defaults, so folding them matters."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
                count = layer.num_features
                layer.running_mean.copy_(torch.rand(count, generator=generator) - 0.5)
                layer.running_var.copy_(torch.rand(count, generator=generator) + 0.5)
                layer.weight.copy_(torch.rand(count, generator=generator) + 0.5)
                layer.bias.copy_(torch.rand(count, generator=generator) - 0.5)


def mlp() -> nn.Module:
    return nn.Sequential(
        nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 10), nn.ReLU(), nn.Linear(10, 5), nn.Softmax(dim=1)
    )


def small_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 4),
    )


class Conv1dNet(nn.Module):
    """A module of its own (not a Sequential): its forward's parameter names the design's input."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 6, 5, padding=2)
        self.norm = nn.BatchNorm1d(6)
        self.pool = nn.MaxPool1d(2)
        self.fc = nn.Linear(6 * 8, 3)

    def forward(self, signal):
        h = self.pool(torch.relu(self.norm(self.conv(signal))))
        return self.fc(torch.flatten(h, 1))


def depthwise() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(6, 6, 3, padding=1, groups=6),
        nn.ReLU(),
        nn.Conv2d(6, 4, 1),
        nn.Flatten(),
        nn.Linear(4 * 6 * 6, 3),
    )


MODELS = {
    "mlp": (mlp, (16,)),
    "small_cnn": (small_cnn, (3, 12, 12)),
    "conv1d": (Conv1dNet, (4, 16)),
    "depthwise": (depthwise, (6, 6, 6)),
}


def _build(name: str, seed: int = 0) -> tuple[nn.Module, tuple[int, ...]]:
    builder, sample_shape = MODELS[name]
    torch.manual_seed(seed)
    module = builder()
    _randomize_batchnorm(module, seed)
    return module.eval(), sample_shape


def _forward(module: nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return module(torch.as_tensor(x)).numpy()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_float32_design_equals_the_torch_module(name):
    module, sample_shape = _build(name)
    design = fpgalab.compile(module, torch.zeros((8, *sample_shape)), precision="float32")
    assert design.example_shapes == ((1, *sample_shape),)  # the example's batch of 8 gives only the shape
    x = np.random.default_rng(3).normal(size=(5, *sample_shape)).astype(np.float32)
    got = np.asarray(design.simulate(x), dtype=np.float64)
    want = _forward(module, x).astype(np.float64)
    assert got.reshape(want.shape).shape == want.shape
    assert np.max(np.abs(got.reshape(want.shape) - want)) <= 1e-5 * np.max(np.abs(want))


def test_accuracy_is_against_the_module_itself_and_its_mode_is_kept():
    module, sample_shape = _build("small_cnn")
    module.train()
    design = fpgalab.compile(module, np.zeros((1, *sample_shape), np.float32), precision="float32")
    assert module.training  # exporting and the reference run in eval mode, then give the mode back
    x = np.random.default_rng(4).normal(size=(6, *sample_shape)).astype(np.float32)
    report = design.accuracy(x)
    assert report.reference == "pytorch" and module.training
    assert report.max_rel_error <= 1e-5 and report.top1_agreement == 1.0


def test_design_names_come_from_the_module_and_its_forward():
    module, sample_shape = _build("conv1d")
    design = fpgalab.compile(module, torch.zeros((1, *sample_shape)), precision="float32")
    assert design.name == "Conv1dNet"
    assert [i.name for i in design.kernel.inputs] == ["signal"]
    layers = {n.layer for n in design.float_kernel.nodes}
    assert any(layer.startswith("/conv/") for layer in layers) and any(layer.startswith("/fc/") for layer in layers)


def test_fixed_point_design_simulation_equals_llvm():
    module, sample_shape = _build("small_cnn")
    design = fpgalab.compile(module, torch.zeros((1, *sample_shape)), precision="ap_fixed<16,6>")
    inputs = make_inputs(design, 3)
    got = LlvmKernel(design).run_outputs(inputs)
    want = run_kernel(design.kernel, inputs, design._context())
    for output, array in got.items():
        assert np.array_equal(array, np.broadcast_to(want[output].array, array.shape)), output


def test_bad_example_inputs_are_named():
    module, _ = _build("mlp")
    with pytest.raises(fpgalab.CompileError, match="needs an example input"):
        fpgalab.compile(module)
    with pytest.raises(fpgalab.CompileError, match="example input 0 .* is a scalar"):
        fpgalab.compile(module, 3.0)
    with pytest.raises(fpgalab.CompileError, match="torch.onnx.export could not export Sequential"):
        fpgalab.compile(module, torch.zeros((1, 7)))  # Linear(16, ...) on 7 features


def test_command_line_compiles_a_module_from_a_python_file(tmp_path, capsys):
    from fpgalab.cli import main

    source = tmp_path / "nets.py"
    source.write_text(
        "import torch\ntorch.manual_seed(0)\n"
        "net = torch.nn.Sequential(torch.nn.Linear(16, 8), torch.nn.ReLU(), torch.nn.Linear(8, 4))\n"
    )
    assert main(["compile", f"{source}:net", "--input-shape", "1,16", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "Sequential" and data["macs"] == 16 * 8 + 8 * 4
    assert main(["compile", f"{source}:net", "--input-shape", "1,10"]) == 1
    assert "cannot compile: torch.onnx.export could not export Sequential" in capsys.readouterr().err
