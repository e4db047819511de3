"""Run a design's LLVM module on the CPU with MCJIT: the backend's "C simulation", and a fast simulator.

The module is built without loop metadata (it would make LLVM unroll for the CPU); inputs and
outputs are plain arrays of element words, as ``fpgalab.backends.llvm.module`` lays them out.
With ``lanes`` > 1 one call computes that many samples, each buffer laid out ``[element][lane]``
so that LLVM vectorises the statements across samples (for the host CPU's vector unit); calls
over groups of samples run on ``threads`` threads (ctypes releases the GIL during a call).
"""

from __future__ import annotations

import ctypes
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from fpgalab.backends import program as prog
from fpgalab.backends.llvm.module import KernelBuilder, initialise
from fpgalab.backends.llvm.values import container_bits
from fpgalab.ir.types import FixedType, FloatType
from fpgalab.sim.values import input_value


def _interleave(words: np.ndarray, groups: int, lanes: int) -> np.ndarray:
    """Samples ``[sample, ...]`` as ``[group][element][lane]`` words, the last group padded with zeros."""
    flat = words.reshape(words.shape[0], -1)
    padded = np.zeros((groups * lanes, flat.shape[1]), dtype=flat.dtype)
    padded[: flat.shape[0]] = flat
    return np.ascontiguousarray(padded.reshape(groups, lanes, -1).transpose(0, 2, 1))


def _numpy_word(dtype):
    if isinstance(dtype, FloatType):
        return np.float32
    return {8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}[container_bits(dtype)]


class LlvmKernel:
    """A design compiled to native code through LLVM (MCJIT); ``run`` gives the simulator's outputs."""

    def __init__(self, design, opt: int = 2, lanes: int = 1, threads: int = 1):
        import llvmlite.binding as llvm  # noqa: PLC0415

        initialise()
        start = time.perf_counter()
        self.design, self.lanes, self.threads = design, lanes, max(1, threads)
        builder = KernelBuilder(design, metadata=False, lanes=lanes)
        module = builder.build()
        self.inputs, self.outputs = builder.inputs, builder.outputs
        self.types, self.shapes = builder.types, builder.shapes
        parsed = llvm.parse_assembly(str(module))
        parsed.verify()
        host = {"cpu": llvm.get_host_cpu_name(), "features": llvm.get_host_cpu_features().flatten()}
        target = llvm.Target.from_default_triple().create_target_machine(opt=opt, **(host if lanes > 1 else {}))
        if opt:
            tuning = llvm.create_pipeline_tuning_options(speed_level=opt)
            passes = llvm.create_pass_builder(target, tuning)
            passes.getModulePassManager().run(parsed, passes)
        self.engine = llvm.create_mcjit_compiler(parsed, target)
        self.engine.finalize_object()
        address = self.engine.get_function_address(module.name)
        arguments = len(self.inputs) + len(self.outputs) + (1 if lanes > 1 else 0)
        self.function = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * arguments)(address)
        self.scratch_bytes = builder.scratch_bytes
        self._keep = parsed
        self.compile_seconds = time.perf_counter() - start

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """Outputs (mantissas for fixed point, float32 otherwise) for inputs with a leading sample axis."""
        samples = max(np.shape(a)[0] for a in inputs)
        words = []
        for spec, array in zip(self.design.kernel.inputs, inputs):
            value = input_value(
                spec, np.broadcast_to(np.asarray(array, dtype=np.float32), (samples,) + tuple(spec.shape))
            )
            words.append(np.ascontiguousarray(value.array.astype(_numpy_word(spec.dtype))))
        lanes = self.lanes
        groups = -(-samples // lanes)
        words = [_interleave(w, groups, lanes) for w in words]
        sizes = [int(np.prod(self.shapes[n], dtype=np.int64)) for n in self.outputs]
        outs = [
            np.zeros((groups, size, lanes), dtype=_numpy_word(self.types[n])) for n, size in zip(self.outputs, sizes)
        ]

        def run_groups(first: int, last: int) -> None:
            scratch = [np.zeros(self.scratch_bytes + 64, dtype=np.uint8)] if lanes > 1 else []
            extra = [(scratch[0].ctypes.data + 63) // 64 * 64] if scratch else []
            for g in range(first, last):
                self.function(*[w[g].ctypes.data for w in words], *[o[g].ctypes.data for o in outs], *extra)

        bounds = np.linspace(0, groups, min(self.threads, groups) + 1).astype(int)
        if len(bounds) > 2:
            with ThreadPoolExecutor(len(bounds) - 1) as pool:
                list(pool.map(run_groups, bounds[:-1], bounds[1:]))
        else:
            run_groups(0, groups)
        results = []
        for o, n in zip(outs, self.outputs):
            flat = o.transpose(0, 2, 1).reshape((groups * lanes,) + self.shapes[n])[:samples]
            results.append(
                flat.astype(np.int64) if isinstance(self.types[n], FixedType) else np.ascontiguousarray(flat)
            )
        return results

    def run_outputs(self, inputs) -> dict:
        """Outputs by kernel output name, as the simulator's ``SimValue`` arrays."""
        results = dict(zip(self.outputs, self.run(inputs)))
        storage = prog.storage_buffers(self.design.kernel)
        return {name: results[storage[name]] for name in self.design.kernel.outputs}
