"""How much of an `alembic ... upgrade` run is spent inside SQLite.

    cd build/bench/merges-5000 && rm -f var/*.db
    python ../../../bench/sqlite_share.py -n svc upgrade head                          # stock
    rm -f var/*.db && MONOMIG_BENCH_BRIDGE=1 python ../../../bench/sqlite_share.py -n svc upgrade head

Runs Alembic's command line in this process with SQLAlchemy's ``do_execute``,
``do_execute_no_params`` and ``do_commit`` timed, and prints on stderr the wall time
of the command and the part of it spent in those calls (the DBAPI driver and SQLite
itself). Both sides of the `upgrade-empty` benchmark row must spend that time; the
rest is what a faster revision graph can shorten (bench/README.md, Caveats).
"""

from __future__ import annotations

import atexit
import sys
import time

from sqlalchemy.engine import default

spent = {"execute": 0.0, "commit": 0.0, "statements": 0}


def _timed(kind: str, fn):  # type: ignore[no-untyped-def]
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[kind] += time.perf_counter() - t
            if kind == "execute":
                spent["statements"] += 1

    return wrapper


default.DefaultDialect.do_execute = _timed("execute", default.DefaultDialect.do_execute)  # type: ignore[method-assign]
default.DefaultDialect.do_execute_no_params = _timed(  # type: ignore[method-assign]
    "execute", default.DefaultDialect.do_execute_no_params
)
default.DefaultDialect.do_commit = _timed("commit", default.DefaultDialect.do_commit)  # type: ignore[method-assign]

started = time.perf_counter()


@atexit.register
def _report() -> None:
    total = time.perf_counter() - started
    inside = spent["execute"] + spent["commit"]
    print(
        f"sqlite_share: {total:.2f} s in all; inside the database {inside:.2f} s "
        f"(execute {spent['execute']:.2f} s over {spent['statements']} statements, commit {spent['commit']:.2f} s); "
        f"outside {total - inside:.2f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    from alembic.config import main

    sys.argv = ["alembic", *sys.argv[1:]]  # as the `alembic` command (monomig's plugin checks the name)
    main()
