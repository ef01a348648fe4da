"""Anonymity in mutual-aid listings: no personal last name is ever stored or shown.

The rule, for every contact name a meeting is given (API or import): keep the first word, and of the
last word only its first letter as an initial ("Mary Smith" -> "Mary S.", "Smith, Mary" -> "Mary S.",
"Mary Ann Smith-Jones" -> "Mary S."). Whatever else a name held is gone before it reaches the database.
"""


def first_name_and_initial(name: str | None) -> str | None:
    """A first name and at most an initial of the last name."""
    if name is None:
        return None
    if "," in name:  # "Last, First"
        last, first = name.split(",", 1)
        name = f"{first} {last}"
    words = name.split()
    if not words:
        return None
    first_name = words[0][:40]
    initials = [c for c in words[-1] if c.isalpha()][:1] if len(words) > 1 else []
    return f"{first_name} {initials[0].upper()}." if initials else first_name
