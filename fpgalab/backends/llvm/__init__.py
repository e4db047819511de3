"""The LLVM IR backend: a module built with llvmlite, and a JIT that runs it."""
