"""The catalogue of the viewer's layers: schema, style, legend, groups.

Importing this package registers the plan's layer declarations
(:mod:`layers.plan_layers`).
"""

from layers import plan_layers as _plan_layers  # noqa: F401  (registers the declarations)
from layers.catalogue import (
    DATA_DIR,
    all_specs,
    default_store,
    get_spec,
    load_layer,
    register,
    specs_for_groups,
    validate_layer,
)
from layers.schema import (
    COMMON_PROPERTIES,
    CONFIDENCE_LEVELS,
    GROUPS,
    Group,
    LayerSpec,
    LegendEntry,
    PropertySpec,
    Style,
    group_by_id,
)

__all__ = [
    "COMMON_PROPERTIES",
    "CONFIDENCE_LEVELS",
    "DATA_DIR",
    "GROUPS",
    "Group",
    "LayerSpec",
    "LegendEntry",
    "PropertySpec",
    "Style",
    "all_specs",
    "default_store",
    "get_spec",
    "group_by_id",
    "load_layer",
    "register",
    "specs_for_groups",
    "validate_layer",
]
