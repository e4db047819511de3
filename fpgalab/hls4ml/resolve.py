"""What hls4ml reads for one layer from its configuration dictionary (``HLSConfig``, hls4ml/model/graph.py).

hls4ml looks a layer's settings up by its name (``LayerName``), then its class (``LayerType``), then
the model (``Model``): ``get_precision`` tries the layer's name with the variable, the name's
``default``, the class with the variable, the class's ``default``, the model's variable and the
model's ``default``; ``get_reuse_factor`` and ``get_strategy`` try name, class, model. Attributes with
a default of their own (an activation's ``table``, a softmax's ``exp_table``, ``inv_table`` and
``inv_inp``: ``FPGABackend.__init__``) take it unless the layer's configuration sets them, as
``TableSize`` (1024) does. ``auto`` is read as hls4ml's precision inference reads it for a Keras model
without quantizers (``InferPrecisionTypes``): weights, biases, inputs and activations take the model
default; a dense, convolution, pooling or reshape's ``auto`` stays ``AUTO`` here, and
``fpgalab.hls4ml.infer`` gives it the type hls4ml infers from the layers before it.
"""

from __future__ import annotations

from fpgalab.hls4ml.layers import Hls4mlLayer
from fpgalab.hls4ml.precision import parse_hls4ml_type
from fpgalab.ir.types import FixedType
from fpgalab.options import AUTO, AutoType

TABLE_DEFAULT = FixedType(18, 8)  # an activation's table_t: FixedPrecisionType(18, 8)
SOFTMAX_DEFAULT = FixedType(18, 8, True, "AP_RND", "AP_SAT")  # exp_table_t, inv_table_t, inv_inp_t
TABLE_SIZE = 1024

# the precision variables of each kind of layer that fpgalab models, and the default of those with one
VARIABLES = {
    "input": {"result": None},
    "weight": {"weight": None, "bias": None, "result": None, "accum": None},
    "activation": {"result": None, "table": TABLE_DEFAULT},
    "softmax": {
        "result": None,
        "table": TABLE_DEFAULT,
        "exp_table": SOFTMAX_DEFAULT,
        "inv_table": SOFTMAX_DEFAULT,
        "inv_inp": SOFTMAX_DEFAULT,
        "accum": None,
    },
    "other": {"result": None, "accum": None},
}


def section(config: dict, part: str, key: str) -> dict:
    """``config[part][key]`` (a layer's or class's entry), ``{}`` when absent."""
    entry = (config.get(part) or {}).get(key)
    return entry if isinstance(entry, dict) else {}


def _precision_of(entry: dict, var: str):
    precision = entry.get("Precision")
    if precision is None:
        return None, None
    if isinstance(precision, dict):
        return precision.get(var), precision.get("default")
    return None, precision  # a string: the entry's default


def lookup_precision(config: dict, layer: Hls4mlLayer, var: str) -> str | None:
    """The precision string hls4ml's ``get_precision`` finds for ``var`` of ``layer`` (None: none set)."""
    default = VARIABLES.get(layer.kind, {}).get(var)
    name = section(config, "LayerName", layer.name)
    cls = section(config, "LayerType", layer.class_name)
    name_var, name_default = _precision_of(name, var)
    type_var, type_default = _precision_of(cls, var)
    if default is not None:  # an attribute with its own default: only the layer's configuration sets it
        return name_var or type_var
    model = config.get("Model") or {}
    model_var, model_default = _precision_of(model, var)
    for found in (name_var, name_default, type_var, type_default, model_var, model_default):
        if found is not None:
            return found
    return None


def lookup_setting(config: dict, layer: Hls4mlLayer, key: str, model_level: bool = True):
    """A setting (``ReuseFactor``, ``Strategy``, ``TableSize`` ...) by name, then class, then model."""
    places = [section(config, "LayerName", layer.name), section(config, "LayerType", layer.class_name)]
    if model_level:
        places.append(config.get("Model") or {})
    for place in places:
        if key in place:
            return place[key]
    return None


def model_default(config: dict) -> FixedType:
    model = config.get("Model")
    if not isinstance(model, dict):
        raise ValueError("hls_config needs a 'Model' section with 'Precision' and 'ReuseFactor', as hls4ml does")
    _, default = _precision_of(model, "default")
    if default is None:
        raise ValueError("hls_config['Model']['Precision'] needs a default precision, e.g. 'fixed<16,6>'")
    dtype = parse_hls4ml_type(default, "hls_config['Model']['Precision']['default']")
    if isinstance(dtype, AutoType):
        raise ValueError("hls_config['Model']['Precision']['default'] cannot be 'auto' (hls4ml needs an explicit one)")
    return dtype


def read_type(config: dict, layer: Hls4mlLayer, var: str, default: FixedType):
    """The type ``var`` of ``layer`` has in hls4ml, with ``auto`` read as hls4ml reads it (module doc):
    a ``FixedType``, or ``AUTO`` where the type follows from the layer's inputs (``fpgalab.hls4ml.infer``)."""
    text = lookup_precision(config, layer, var)
    if text is None:
        own = VARIABLES.get(layer.kind, {}).get(var)
        return own if own is not None else default
    dtype = parse_hls4ml_type(text, f"hls_config, layer {layer.name!r}, precision {var!r}")
    if not isinstance(dtype, AutoType):
        return dtype
    if layer.kind == "weight" and var in ("result", "accum"):
        return AUTO
    if layer.kind == "other" and var in ("result", "accum"):
        return AUTO
    if var in ("weight", "bias", "result"):
        return default
    raise ValueError(
        f"hls_config, layer {layer.name!r}: precision {var!r} cannot be 'auto' (hls4ml infers only weight, bias, "
        "result and accum types); give a type such as 'fixed<18,8>'"
    )
