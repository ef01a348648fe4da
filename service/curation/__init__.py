"""Keeping listings true: the audit of lists, soft deletion and restore, and showings for re-checks."""
