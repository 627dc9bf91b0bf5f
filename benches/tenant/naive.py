#!/usr/bin/env python3
"""A deliberately naive, row-by-row evaluator of the generated apps (for `tiny`): per distinct user
result it runs the two-pass message passing of R4 over every row. It shares no code or idea with the SQL
baseline beyond reading the rules, so the driver uses it to check the baseline itself on small sizes:

    python3 naive.py --app bench-out/tiny --model star --out naive.jsonl
"""

import argparse
import csv
import json
import os

MODELS = {
    # table -> (file, fields loaded)
    "star": {
        "Orders": ("orders.parquet", ["OrderId", "CustomerId", "ProductId", "Amount", "COUNTRY"]),
        "Customers": ("customers.csv", ["CustomerId", "CustomerName", "Segment"]),
        "Products": ("products.csv", ["ProductId", "ProductName", "CATEGORY"]),
        "Targets": ("targets.csv", ["TargetYear", "TargetAmount"]),
    },
    "snowflake": {
        "Orders": ("orders.parquet", ["OrderId", "CustomerId", "ProductId", "Amount"]),
        "Customers": ("customers.csv", ["CustomerId", "CustomerName", "Segment", "COUNTRY"]),
        "Products": ("products.csv", ["ProductId", "ProductName", "CategoryId"]),
        "Categories": ("categories.csv", ["CategoryId", "CATEGORY", "CategoryName"]),
        "Targets": ("targets.csv", ["TargetYear", "TargetAmount"]),
    },
}


def text(v):
    """A loaded value as the text the engine compares (NULL = None)."""
    if v is None:
        return None
    if isinstance(v, float):
        return repr(v) if v != int(v) else str(int(v))
    return str(v)


def load(d, file, fields):
    if file.endswith(".parquet"):
        import pyarrow.parquet as pq

        t = pq.read_table(os.path.join(d, file), columns=fields).to_pydict()
        n = len(t[fields[0]])
        return [{f: text(t[f][i]) for f in fields} for i in range(n)]
    with open(os.path.join(d, file), encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [{f: r[f].strip(" ") for f in fields} for r in rows]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--model", choices=sorted(MODELS), required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    d = os.path.join(a.app, "data")
    tables = {t: load(d, f, fs) for t, (f, fs) in MODELS[a.model].items()}
    fields = {t: fs for t, (_, fs) in MODELS[a.model].items()}
    # Links: fields shared by two tables (the generated models are trees with single-field links).
    edges = []
    names = list(tables)
    for i, t in enumerate(names):
        for u in names[i + 1:]:
            for f in fields[t]:
                if f in fields[u]:
                    edges.append((t, u, f))
    nbrs = {t: [] for t in names}
    for t, u, f in edges:
        nbrs[t].append((u, f))
        nbrs[u].append((t, f))
    domain = {}
    for t in names:
        for f in fields[t]:
            domain.setdefault(f, set()).update(r[f] for r in tables[t] if r[f] is not None)

    with open(os.path.join(d, "sa.csv"), encoding="utf-8", newline="") as fh:
        sa = [{k: (v or "").strip(" ").upper() for k, v in r.items()} for r in csv.DictReader(fh)]
    red_fields = ["COUNTRY", "CATEGORY"]
    star = {f: {r[f] for r in sa if r[f] not in ("", "*")} for f in red_fields}
    with open(os.path.join(d, "users.json"), encoding="utf-8") as fh:
        users = json.load(fh)

    def subtree_has(t, came_from, sel):
        """Does the side of the tree at t (not going back to came_from) hold a selection?"""
        if any(f in sel for f in fields[t]):
            return True
        return any(subtree_has(u, t, sel) for u, f in nbrs[t] if u != came_from)

    def own_ok(t, row, sel):
        return all(row[f] is not None and row[f] in sel[f] for f in fields[t] if f in sel)

    def message(t, to, sel, memo):
        """Values of the link field (t -> to) over t's rows that survive everything on t's side."""
        key = (t, to)
        if key in memo:
            return memo[key]
        f = next(f for u, f in nbrs[t] if u == to)
        out = set()
        for row in tables[t]:
            if keep(t, row, sel, memo, exclude=to) and row[f] is not None:
                out.add(row[f])
        memo[key] = out
        return out

    def keep(t, row, sel, memo, exclude=None):
        if not own_ok(t, row, sel):
            return False
        for u, f in nbrs[t]:
            if u == exclude or not subtree_has(u, t, sel):
                continue
            if row[f] is None or row[f] not in message(u, t, sel, memo):
                return False
        return True

    cache = {}
    out = []
    for u in users:
        sub = u["subject"].upper()
        groups = {g.upper() for g in u.get("groups") or []}
        rows = [
            r for r in sa
            if (r["USERID"] == "*" or (r["USERID"] != "" and r["USERID"] == sub))
            and (r["GROUP"] == "*" or (r["GROUP"] != "" and r["GROUP"] in groups))
        ]
        acc = "DENIED"
        if rows:
            if any(r["ACCESS"] == "ADMIN" for r in rows):
                acc = "ADMIN"
            elif any(r["ACCESS"] == "USER" for r in rows):
                acc = "USER"
        sel, red = {}, {}
        if acc != "DENIED":
            for f in red_fields:
                allowed = set()
                for r in rows:
                    if r[f] == "*":
                        allowed |= star[f]
                    elif r[f] != "":
                        allowed.add(r[f])
                s = allowed & domain[f]
                if not s:
                    if acc == "USER":
                        acc = "DENIED"
                        break
                    red[f] = None
                else:
                    red[f] = sorted(s)
                    sel[f] = s
        if acc == "DENIED":
            res = {"id": u["subject"], "access": acc, "reduction": {}, "tables": {t: 0 for t in names}}
        else:
            key = tuple((f, tuple(sorted(sel[f]))) for f in sorted(sel))
            if key not in cache:
                memo = {}
                counts = {}
                for t in names:
                    # A table with no selection anywhere in its linked group is not reduced.
                    if not subtree_has(t, None, sel):
                        counts[t] = len(tables[t])
                    else:
                        counts[t] = sum(1 for row in tables[t] if keep(t, row, sel, memo))
                cache[key] = counts
            res = {"id": u["subject"], "access": acc, "reduction": red, "tables": dict(cache[key])}
        out.append(res)
    out.sort(key=lambda r: r["id"])
    with open(a.out, "w", encoding="utf-8") as fh:
        for r in out:
            fh.write(json.dumps(r, separators=(",", ":"), sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
