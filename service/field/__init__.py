"""The field app: the phone-first page specialists use, served at / on top of the public API."""
