"""Run a design's LLVM module on the CPU with MCJIT, sample by sample: the backend's "C simulation".

The module is built without loop metadata (it would make LLVM unroll for the CPU); inputs and
outputs are plain arrays of element words, as ``fpgalab.backends.llvm.module`` lays them out.
"""

from __future__ import annotations

import ctypes
import time

import numpy as np

from fpgalab.backends import program as prog
from fpgalab.backends.llvm.module import KernelBuilder, initialise
from fpgalab.backends.llvm.values import container_bits
from fpgalab.ir.types import FixedType, FloatType
from fpgalab.sim.values import input_value


def _numpy_word(dtype):
    if isinstance(dtype, FloatType):
        return np.float32
    return {8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}[container_bits(dtype)]


class LlvmKernel:
    """A design compiled to native code through LLVM (MCJIT); ``run`` gives the simulator's outputs."""

    def __init__(self, design, opt: int = 2):
        import llvmlite.binding as llvm  # noqa: PLC0415

        initialise()
        start = time.perf_counter()
        self.design = design
        builder = KernelBuilder(design, metadata=False)
        module = builder.build()
        self.inputs, self.outputs = builder.inputs, builder.outputs
        self.types, self.shapes = builder.types, builder.shapes
        parsed = llvm.parse_assembly(str(module))
        parsed.verify()
        target = llvm.Target.from_default_triple().create_target_machine(opt=opt)
        if opt:
            tuning = llvm.create_pipeline_tuning_options(speed_level=opt)
            passes = llvm.create_pass_builder(target, tuning)
            passes.getModulePassManager().run(parsed, passes)
        self.engine = llvm.create_mcjit_compiler(parsed, target)
        self.engine.finalize_object()
        address = self.engine.get_function_address(module.name)
        self.function = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * (len(self.inputs) + len(self.outputs)))(address)
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
        outs = [np.zeros((samples,) + self.shapes[n], dtype=_numpy_word(self.types[n])) for n in self.outputs]
        for s in range(samples):
            pointers = [w[s].ctypes.data for w in words] + [o[s].ctypes.data for o in outs]
            self.function(*pointers)
        return [o.astype(np.int64) if isinstance(self.types[n], FixedType) else o for o, n in zip(outs, self.outputs)]

    def run_outputs(self, inputs) -> dict:
        """Outputs by kernel output name, as the simulator's ``SimValue`` arrays."""
        results = dict(zip(self.outputs, self.run(inputs)))
        storage = prog.storage_buffers(self.design.kernel)
        return {name: results[storage[name]] for name in self.design.kernel.outputs}
