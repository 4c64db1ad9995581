"""The builder of ``data/geo``: one module per concern (see ``tools/build_plan_layers.py``)."""
