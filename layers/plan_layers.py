"""Declarations of the shipped plan layers (one LayerSpec per file in data/geo).

Filled in with the digitised data; see docs/DEVELOPING.md for the properties.
"""

from __future__ import annotations
