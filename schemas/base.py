"""Base classes for input and output shapes."""

import msgspec


class Input(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """Inputs reject unknown fields so typos are errors, not silent no-ops."""


class Output(msgspec.Struct, kw_only=True):
    """Outputs always carry every field, null when unknown, so partners see one stable shape."""
