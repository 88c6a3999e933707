"""``monomig test``: every service's migrations checked on throwaway databases.

- :mod:`monomig.migtest.throwaway`: the databases (created, dropped, swept);
- :mod:`monomig.migtest.worker`: one service's checks, in a process of its own;
- :mod:`monomig.migtest.runner`: many services at once within a connection budget;
- :mod:`monomig.migtest.report`: human output, ``--json``, JUnit XML;
- :mod:`monomig.migtest.pytest_plugin`: the same checks as pytest tests (``--monomig``).

The checks, in the order they run: ``single_head``, ``upgrade``, ``models_match``,
``roundtrip``, ``stairway`` (see docs/testing.md).
"""

from monomig.migtest.worker import CHECKS

__all__ = ["CHECKS"]
