"""Integer index expressions over loop variables: what a layer program indexes its buffers with."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IVar:
    name: str


@dataclass(frozen=True)
class ILit:
    value: int


@dataclass(frozen=True)
class IAdd:
    terms: tuple


@dataclass(frozen=True)
class IMul:
    arg: object
    factor: int


@dataclass(frozen=True)
class IDiv:  # floor division by a positive constant (arguments are never negative)
    arg: object
    divisor: int


@dataclass(frozen=True)
class IMod:
    arg: object
    divisor: int


@dataclass(frozen=True)
class IRead:
    """A row chosen at run time: the integer part of the value of the program's read ``read``,
    clamped to ``0 .. limit-1`` (an embedding's id addressing its table). ``loops`` names the loop
    variables that read's index uses, so the row varies with them."""

    read: int
    limit: int
    loops: tuple = ()


def i_add(*parts):
    terms, const = [], 0
    for p in parts:
        if isinstance(p, int):
            const += p
        elif isinstance(p, ILit):
            const += p.value
        elif isinstance(p, IAdd):
            for t in p.terms:
                if isinstance(t, ILit):
                    const += t.value
                else:
                    terms.append(t)
        else:
            terms.append(p)
    if const:
        terms.append(ILit(const))
    if not terms:
        return ILit(0)
    return terms[0] if len(terms) == 1 else IAdd(tuple(terms))


def i_mul(a, factor: int):
    if factor == 0 or (isinstance(a, ILit) and a.value == 0):
        return ILit(0)
    if isinstance(a, ILit):
        return ILit(a.value * factor)
    if factor == 1:
        return a
    if isinstance(a, IMul):
        return i_mul(a.arg, a.factor * factor)
    return IMul(a, factor)


def i_div(a, divisor: int):
    if divisor == 1:
        return a
    return ILit(a.value // divisor) if isinstance(a, ILit) else IDiv(a, divisor)


def i_mod(a, divisor: int):
    if divisor == 1:
        return ILit(0)
    return ILit(a.value % divisor) if isinstance(a, ILit) else IMod(a, divisor)


def flat_index(index: tuple, shape: tuple):
    """The row-major offset of ``index`` in an array of ``shape``."""
    flat, stride = ILit(0), 1
    for d in reversed(range(len(shape))):
        flat = i_add(flat, i_mul(index[d], stride))
        stride *= int(shape[d])
    return flat


def unflat_index(flat, shape: tuple) -> tuple:
    """The index in an array of ``shape`` of row-major offset ``flat``."""
    out, stride = [], 1
    for size in shape:
        stride *= int(size)
    for size in shape:
        stride //= int(size)
        out.append(i_mod(i_div(flat, stride), int(size)) if out else i_div(flat, stride))
    return tuple(out)


def reindex(index: tuple, shape: tuple, target: tuple) -> tuple:
    """``index`` into ``shape`` as the index of the same element in a reshape of it to ``target``.

    Runs of dimensions whose sizes multiply to the same count map on their own, so a dimension
    split in two (12 into 6 x 2) is read at ``i / 2`` and ``i % 2`` and dimensions merged into one
    at ``i * 2 + j``; only the dimensions of a run that both splits and merges pass through one
    offset. An index through the whole array's offset would divide by every trailing stride."""
    out, i, j = [], 0, 0
    while i < len(shape) and j < len(target):
        i_end, j_end, size, size_target = i + 1, j + 1, int(shape[i]), int(target[j])
        while size != size_target:
            if size < size_target:
                size, i_end = size * int(shape[i_end]), i_end + 1
            else:
                size_target, j_end = size_target * int(target[j_end]), j_end + 1
        out.extend(unflat_index(flat_index(index[i:i_end], shape[i:i_end]), target[j:j_end]))
        i, j = i_end, j_end
    return tuple(out) + (ILit(0),) * (len(target) - len(out))  # trailing dimensions of size 1


def i_eval(expr, env: dict):
    """Value of an index expression (``env`` values may be ints or NumPy arrays)."""
    if isinstance(expr, ILit):
        return expr.value
    if isinstance(expr, IVar):
        return env[expr.name]
    if isinstance(expr, IAdd):
        return sum(i_eval(t, env) for t in expr.terms)
    if isinstance(expr, IMul):
        return i_eval(expr.arg, env) * expr.factor
    if isinstance(expr, IDiv):
        return i_eval(expr.arg, env) // expr.divisor
    if isinstance(expr, IRead):
        raise ValueError("a row chosen at run time has no value before the program runs")
    return i_eval(expr.arg, env) % expr.divisor


def i_vars(expr) -> set:
    if isinstance(expr, IVar):
        return {expr.name}
    if isinstance(expr, IRead):
        return set(expr.loops)
    if isinstance(expr, IAdd):
        return set().union(*(i_vars(t) for t in expr.terms))
    if isinstance(expr, (IMul, IDiv, IMod)):
        return i_vars(expr.arg)
    return set()


def i_rows(expr) -> list:
    """The rows chosen at run time (``IRead``) an index expression uses: a table row itself, or a
    position read from data and unravelled over a reshaped buffer's dimensions."""
    if isinstance(expr, IRead):
        return [expr]
    if isinstance(expr, IAdd):
        return [r for t in expr.terms for r in i_rows(t)]
    if isinstance(expr, (IMul, IDiv, IMod)):
        return i_rows(expr.arg)
    return []
