"""How monomig reads yes/no values and shows text that may hold a password: one way
for the whole package.

Kept free of heavy imports (no argparse, json, Alembic or SQLAlchemy): ``import
monomig`` and the ``alembic`` plugin (``monomig_alembic``) use it on their start-up
path.

Booleans. Alembic reads most of its boolean options through SQLAlchemy's
``util.asbool`` (e.g. ``revision_environment``): ``true yes on y t 1`` and ``false no off
n f 0``, case-insensitive, surrounding blanks ignored. monomig reads its own options
(``monomig.allow_multiple_heads``, ``monomig_bridge``) and environment switches
(``MONOMIG_BRIDGE``) the same way: :func:`parse_bool`. Two options Alembic reads as
exactly the string ``true`` (``recursive_version_locations`` and ``sourceless``,
``alembic/config.py``/``script/base.py``) keep that exact reading in the Rust core, and
:func:`exactly_true` names that rule for any Python code that needs it.
"""

from __future__ import annotations

TRUE_WORDS = ("true", "yes", "on", "y", "t", "1")
FALSE_WORDS = ("false", "no", "off", "n", "f", "0")


def parse_bool(value: object) -> bool | None:
    """SQLAlchemy's ``asbool`` words: True, False, or None for anything else (a
    non-string is read by its truth value)."""
    if value is None:
        return None
    if not isinstance(value, str):
        return bool(value)
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def asbool(value: object, default: bool = False) -> bool:
    """:func:`parse_bool`, with ``default`` for a missing or unrecognised value."""
    parsed = parse_bool(value)
    return default if parsed is None else parsed


def exactly_true(value: object) -> bool:
    """Alembic's reading of ``recursive_version_locations`` and ``sourceless``
    (``Config.get_alembic_boolean_option``): in the ini file true only for the exact
    string ``true`` (not ``True``, ``yes`` or `` true``); in ``[tool.alembic]`` a TOML
    boolean."""
    return value is True or value == "true"


def env_off(name: str) -> bool:
    """Whether the environment variable ``name`` is set to a false word (``0``, ``false``,
    ``no``, ``off``, ...): the way monomig's switches such as ``MONOMIG_BRIDGE`` are
    turned off."""
    import os

    return parse_bool(os.environ.get(name)) is False


def mask(text: str) -> str:
    """``text`` with the password of every database URL in it replaced by ``***``
    (``monomig._native.mask_password``). Everything monomig prints that may hold a URL
    goes through here."""
    from monomig import _native

    return _native.mask_password(text)
