"""Names from TensorFlow made safe for generated C++, Verilog and LLVM IR.

TensorFlow names may hold ``/``, ``:``, dots, dashes and may start with a digit
(``sequential_1/conv2d_1/BiasAdd:0``). ``Namer`` turns each into an identifier of letters,
digits and underscores that starts with a letter, is no keyword of C++ or Verilog, and is
distinct from every other name it gave out: two names that sanitise alike get ``_2``, ``_3``.
"""

from __future__ import annotations

import re

CPP_KEYWORDS = frozenset(
    """
alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t char32_t class
compl concept const consteval constexpr constinit const_cast continue co_await co_return co_yield decltype
default delete do double dynamic_cast else enum explicit export extern false float for friend goto if inline
int long mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public register
reinterpret_cast requires return short signed sizeof static static_assert static_cast struct switch template
this thread_local throw true try typedef typeid typename union unsigned using virtual void volatile wchar_t
while xor xor_eq main std hls ap_int ap_uint ap_fixed ap_ufixed
""".split()
)

VERILOG_KEYWORDS = frozenset(
    """
always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config deassign default defparam
design disable edge else end endcase endconfig endfunction endgenerate endmodule endprimitive endspecify
endtable endtask event for force forever fork function generate genvar highz0 highz1 if ifnone incdir include
initial inout input instance integer join large liblist library localparam macromodule medium module nand
negedge nmos nor noshowcancelled not notif0 notif1 or output parameter pmos posedge primitive pull0 pull1
pulldown pullup pulsestyle_ondetect pulsestyle_onevent rcmos real realtime reg release repeat rnmos rpmos
rtran rtranif0 rtranif1 scalared showcancelled signed small specify specparam strong0 strong1 supply0 supply1
table task time tran tranif0 tranif1 tri tri0 tri1 triand trior trireg unsigned use uwire vectored wait wand
weak0 weak1 while wire wor xnor xor logic bit byte int
clk rst ap_start ap_done ap_idle ap_ready
""".split()
)

RESERVED = CPP_KEYWORDS | VERILOG_KEYWORDS
_BAD = re.compile(r"[^A-Za-z0-9_]+")
MAX_LENGTH = 60


def sanitize(name: str, prefix: str = "v") -> str:
    """``name`` as an identifier (not yet made unique): bad characters become ``_``."""
    text = _BAD.sub("_", str(name)).strip("_")
    text = re.sub(r"__+", "_", text)  # Verilator warns about (and C++ reserves) double underscores
    if not text:
        text = prefix
    if text[0].isdigit():
        text = f"{prefix}_{text}"
    if text.lower() in RESERVED or text.startswith("ap_") or text.startswith("llvm"):
        text = f"{prefix}_{text}"
    return text[:MAX_LENGTH].rstrip("_") or prefix


class Namer:
    """Gives every original name one unique identifier, the same on every call."""

    def __init__(self, taken=()):
        self._given: dict[str, str] = {}
        self._used: set[str] = {t.lower() for t in taken}

    def __call__(self, name: str, prefix: str = "v") -> str:
        if name in self._given:
            return self._given[name]
        base = sanitize(name, prefix)
        candidate, k = base, 2
        while candidate.lower() in self._used:  # case-insensitive: file names on some systems
            candidate, k = f"{base}_{k}", k + 1
        self._used.add(candidate.lower())
        self._given[name] = candidate
        return candidate

    def fresh(self, hint: str) -> str:
        """A new unique identifier that stands for no original name."""
        candidate, k = sanitize(hint), 2
        while candidate.lower() in self._used:
            candidate, k = f"{sanitize(hint)}_{k}", k + 1
        self._used.add(candidate.lower())
        return candidate
