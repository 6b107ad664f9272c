"""The built-in exercises, installed as ``formcheck.exercises``: one TOML definition and one
small checker module per exercise (see ``formcheck.core.exercise`` for the format)."""
