"""Base classes for input and output shapes."""

import msgspec


class Input(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """Inputs reject unknown fields so typos are errors, not silent no-ops."""


class Output(msgspec.Struct, kw_only=True):
    """Outputs always carry every field, null when unknown, so partners see one stable shape."""


class Patch(Input):
    """A partial update: fields left out stay as they are; null clears a field."""

    def changes(self) -> tuple[list[str], dict[str, object]]:
        """The names of the fields given, and every field's value (None where not given)."""
        fields = msgspec.structs.asdict(self)
        given = [name for name, value in fields.items() if value is not msgspec.UNSET]
        return given, {name: (None if value is msgspec.UNSET else value) for name, value in fields.items()}
