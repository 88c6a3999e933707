"""Random revision graphs (valid and malformed), identifiers and database states.

A graph is a list of entries ``(revision, down_revision, dependencies,
branch_labels)`` in load order, each of the last three None, a str or a
tuple/list of str, exactly what a revision file can hold.
"""

from __future__ import annotations

import random
from typing import Any

Entry = tuple[str, Any, Any, Any]

HEX = "0123456789abcdef"


def _ids(rng: random.Random, n: int, style: str) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    attempts = 0
    while len(out) < n:
        attempts += 1
        if style == "hex":
            s = "%012x" % rng.getrandbits(48)
        elif style == "short":
            s = "".join(rng.choice(HEX) for _ in range(rng.randint(1, 5 if attempts < 2000 else 12)))
        elif style == "prefixy":
            s = rng.choice(["abc", "abcd", "ab12", "1a2b", "fe", "fee"]) + "".join(
                rng.choice("0123abcef") for _ in range(rng.randint(0, 3 if attempts < 2000 else 10))
            )
        elif style == "numeric":
            s = str(rng.randint(0, 9999 if attempts < 2000 else 10**12))
        else:  # words
            s = (
                rng.choice(["rev", "add", "drop", "mig"])
                + "_"
                + "".join(rng.choice(HEX) for _ in range(rng.randint(1, 4 if attempts < 2000 else 12)))
            )
        if s and s not in seen and s not in ("head", "heads", "base"):
            seen.add(s)
            out.append(s)
    return out


def _shape(rng: random.Random, values: list[str]) -> Any:
    """None, a str or a tuple/list of str, as a revision file may write it."""
    if not values:
        return rng.choice([None, None, (), []])
    if len(values) == 1:
        return rng.choice([values[0], values[0], values[0], (values[0],), [values[0]]])
    return tuple(values) if rng.random() < 0.8 else list(values)


def random_graph(
    rng: random.Random,
    n: int | None = None,
    *,
    p_base: float | None = None,
    p_merge: float | None = None,
    p_branch: float | None = None,
    p_dep: float | None = None,
    p_label: float | None = None,
    style: str | None = None,
    order: str | None = None,
) -> list[Entry]:
    """A valid graph: every reference points to an earlier revision."""
    n = rng.randint(1, 24) if n is None else n
    style = style or rng.choice(["hex", "short", "prefixy", "numeric", "words"])
    p_base = rng.choice([0.0, 0.05, 0.15]) if p_base is None else p_base
    p_merge = rng.choice([0.0, 0.15, 0.3]) if p_merge is None else p_merge
    p_branch = rng.choice([0.1, 0.25, 0.4]) if p_branch is None else p_branch
    p_dep = rng.choice([0.0, 0.1, 0.25]) if p_dep is None else p_dep
    p_label = rng.choice([0.0, 0.1, 0.25]) if p_label is None else p_label
    ids = _ids(rng, n, style)
    labels_of: dict[int, list[str]] = {}
    used_labels: set[str] = set(ids)
    tips: list[int] = []
    raw: list[Entry] = []
    for i, rid in enumerate(ids):
        parents: list[int] = []
        if i > 0 and rng.random() >= p_base:
            r = rng.random()
            if r < p_merge and len(tips) >= 2:
                parents = rng.sample(tips, k=min(len(tips), rng.choice([2, 2, 2, 3])))
            elif r < p_merge + p_branch:
                parents = [rng.randrange(i)]
            else:
                parents = [rng.choice(tips)] if tips else [rng.randrange(i)]
        deps: list[str] = []
        if i > 0 and rng.random() < p_dep:
            for t in rng.sample(range(i), k=min(i, rng.choice([1, 1, 2, 3]))):
                if labels_of.get(t) and rng.random() < 0.4:
                    deps.append(rng.choice(labels_of[t]))
                else:
                    deps.append(ids[t])
        labels: list[str] = []
        if rng.random() < p_label:
            for _ in range(rng.choice([1, 1, 2])):
                for _try in range(20):
                    cand = rng.choice(
                        [
                            "lbl%d" % rng.randint(0, 99),
                            "branch_" + rng.choice(HEX) + rng.choice(HEX),
                            rng.choice(["abc", "ab1", "fe"]) + rng.choice("xyz") + rng.choice(HEX),
                            rng.choice("xyz"),
                        ]
                    )
                    if cand not in used_labels:
                        used_labels.add(cand)
                        labels.append(cand)
                        break
            if labels:
                labels_of[i] = labels
        for p in parents:
            if p in tips:
                tips.remove(p)
        tips.append(i)
        raw.append((rid, _shape(rng, [ids[p] for p in parents]), _shape(rng, deps), _shape(rng, labels)))
    order = order or rng.choice(["natural", "shuffled", "shuffled", "reversed"])
    if order == "shuffled":
        rng.shuffle(raw)
    elif order == "reversed":
        raw.reverse()
    return raw


def _as_list(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    return list(v)


def malformed_graph(rng: random.Random) -> tuple[str, list[Entry]]:
    """A graph with one kind of damage (and sometimes a second)."""
    g = random_graph(rng, rng.randint(1, 12))
    kind = rng.choice(
        [
            "missing_parent",
            "missing_dep",
            "duplicate",
            "duplicate",
            "cycle",
            "self_loop",
            "dep_self_loop",
            "dup_label",
            "label_is_id",
            "illegal",
            "label_as_down",
            "dep_cycle",
        ]
    )
    g = [list(e) for e in g]  # type: ignore[misc]
    i = rng.randrange(len(g))
    rid = g[i][0]
    if kind == "missing_parent":
        g[i][1] = tuple(_as_list(g[i][1]) + ["nosuch" + rng.choice(HEX)])
    elif kind == "missing_dep":
        g[i][2] = tuple(_as_list(g[i][2]) + ["nodep" + rng.choice(HEX)])
    elif kind == "duplicate" and len(g) > 1:
        j = rng.randrange(len(g))
        k = rng.randrange(len(g))
        if j != k:
            g[j][0] = g[k][0]
    elif kind == "cycle" and len(g) > 1:
        j = rng.randrange(len(g))
        g[j][1] = tuple(_as_list(g[j][1]) + [g[rng.randrange(len(g))][0]])
    elif kind == "self_loop":
        g[i][1] = tuple(_as_list(g[i][1]) + [rid])
    elif kind == "dep_self_loop":
        g[i][2] = rid
    elif kind == "dup_label" and len(g) > 1:
        j = rng.randrange(len(g))
        g[i][3] = tuple(_as_list(g[i][3]) + ["shared"])
        g[j][3] = tuple(_as_list(g[j][3]) + ["shared"])
    elif kind == "label_is_id":
        g[i][3] = tuple(_as_list(g[i][3]) + [g[rng.randrange(len(g))][0]])
    elif kind == "illegal":
        g[i][0] = rid[:1] + rng.choice("@-+:") + rid[1:] + rng.choice(["", "@", ":"])
    elif kind == "label_as_down" and len(g) > 1:
        j = rng.randrange(len(g))
        g[j][3] = tuple(_as_list(g[j][3]) + ["lbldown"])
        g[i][1] = tuple(_as_list(g[i][1]) + ["lbldown"])
    elif kind == "dep_cycle" and len(g) > 1:
        j = rng.randrange(len(g))
        g[j][2] = tuple(_as_list(g[j][2]) + [g[rng.randrange(len(g))][0]])
    if rng.random() < 0.25:
        # a second, independent duplicate keeps the "same id twice" paths busy
        if len(g) > 2:
            a, b = rng.sample(range(len(g)), 2)
            g[a][0] = g[b][0]
    return kind, [tuple(e) for e in g]  # type: ignore[misc]


def identifiers(rng: random.Random, entries: list[Entry], count: int = 40) -> list[Any]:
    """Identifier forms, many of them valid for this graph."""
    ids = [e[0] for e in entries]
    labels = [lbl for e in entries for lbl in _as_list(e[3])]
    pool: list[Any] = [
        "heads",
        "head",
        "base",
        None,
        "",
        "@",
        "@head",
        "@heads",
        "@base",
        "-1",
        "+1",
        "+2",
        "-2",
        "-0",
        "+0",
        "nosuch",
        "abc",
        "abcd",
        "ab",
        "1",
        " -1",
        "1_0",
        "-1_0",
    ]
    out: list[Any] = []

    def some_id() -> str:
        return rng.choice(ids) if ids else "x"

    def some_label() -> str:
        return rng.choice(labels) if labels else some_id()

    for _ in range(count):
        form = rng.randrange(22)
        if form == 0:
            out.append(rng.choice(pool))
        elif form == 1:
            out.append(some_id())
        elif form == 2:
            i = some_id()
            out.append(i[: rng.randint(1, max(1, len(i)))])
        elif form == 3:
            out.append(some_label())
        elif form == 4:
            out.append(some_label() + rng.choice(["@head", "@heads", "@base"]))
        elif form == 5:
            out.append(some_label() + "@" + some_id())
        elif form == 6:
            i = some_id()
            out.append(some_label() + "@" + i[: rng.randint(1, len(i))])
        elif form == 7:
            out.append(some_id() + rng.choice(["+1", "+2", "-1", "-2", "+0"]))
        elif form == 8:
            out.append(some_label() + "@" + rng.choice(["-1", "-2", "+1", "+2"]))
        elif form == 9:
            out.append(some_label() + "@" + some_id() + rng.choice(["+1", "-1", "+3", "-3"]))
        elif form == 10:
            out.append(tuple(rng.sample(ids, k=min(len(ids), rng.randint(0, 3)))))
        elif form == 11:
            out.append([some_id(), rng.choice(["heads", some_label(), None])])
        elif form == 12:
            out.append(rng.choice([5, b"abc", (b"abc",), (None,), ("heads",), (some_id(), None)]))
        elif form == 13:
            out.append(rng.choice(["-1", "-2", "-3", "-9"]))
        elif form == 14:
            out.append(some_id() + "@" + rng.choice(["head", "heads", "-1"]))
        elif form == 15:
            out.append("x@" + some_id())
        elif form == 16:
            out.append(some_label() + "@" + some_label())
        elif form == 17:
            i = some_id()
            out.append(i[:4])
        elif form == 18:
            out.append(rng.choice(["heads", "head"]) + rng.choice(["+1", "-1"]))
        elif form == 19:
            out.append(rng.choice(["+1", "+2", "+5", "-1", "-5"]))
        elif form == 20:
            out.append(some_label() + "@" + some_id()[:2] + "-1")
        else:
            out.append(rng.choice(ids + labels + ["heads", "base"]) if ids else "heads")
    return out


def states(
    rng: random.Random, entries: list[Entry], heads: tuple[str, ...], all_current: Any, count: int = 4
) -> list[tuple[str, ...]]:
    """Version-table contents to plan from: empty, the heads, and the
    branch heads of random revisions (``all_current(ids)`` gives those)."""
    ids = [e[0] for e in entries]
    out: list[tuple[str, ...]] = [(), tuple(heads)]
    for _ in range(count):
        picks = tuple(rng.sample(ids, k=min(len(ids), rng.randint(1, 3)))) if ids else ()
        try:
            cur = all_current(picks)
        except Exception:  # noqa: BLE001  (states Alembic cannot compute are left out)
            continue
        out.append(tuple(cur))
    if ids and rng.random() < 0.3:
        out.append((rng.choice(ids),))
    seen: list[tuple[str, ...]] = []
    for s in out:
        if s not in seen:
            seen.append(s)
    return seen


def upgrade_targets(rng: random.Random, entries: list[Entry], count: int = 6) -> list[str]:
    ids = [e[0] for e in entries]
    labels = [lbl for e in entries for lbl in _as_list(e[3])]
    base = ["heads", "head", "+1", "+2", "+5"]
    out = list(base[: rng.randint(1, len(base))])
    for _ in range(count):
        form = rng.randrange(7)
        if form <= 2 and ids:
            i = rng.choice(ids)
            out.append(rng.choice([i, i[:4], i + "+1", i + "-1"]))
        elif form == 3 and labels:
            out.append(rng.choice(labels) + rng.choice(["@head", "@heads", "@+1", "@+2"]))
        elif form == 4 and labels and ids:
            out.append(rng.choice(labels) + "@" + rng.choice(ids))
        else:
            out.append(rng.choice(["heads", "+1", "-1", "base"]))
    return out


def downgrade_targets(rng: random.Random, entries: list[Entry], count: int = 6) -> list[str]:
    ids = [e[0] for e in entries]
    labels = [lbl for e in entries for lbl in _as_list(e[3])]
    out = ["base", "-1"]
    for _ in range(count):
        form = rng.randrange(7)
        if form <= 2 and ids:
            i = rng.choice(ids)
            out.append(rng.choice([i, i[:4], i + "-1", i + "+1", i + "-2"]))
        elif form == 3 and labels:
            out.append(rng.choice(labels) + rng.choice(["@base", "@-1", "@-2", "@+1"]))
        elif form == 4 and labels and ids:
            out.append(rng.choice(labels) + "@" + rng.choice(ids))
        else:
            out.append(rng.choice(["base", "-1", "-2", "heads", "+1"]))
    return out
