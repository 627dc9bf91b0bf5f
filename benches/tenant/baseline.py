#!/usr/bin/env python3
"""The DuckDB baseline: per user, what `qsa report --format json` reports (access, reduction per field,
rows kept per app table), computed in SQL from the same files the generated app script loads.

    python3 baseline.py --app bench-out/1m-10k --model star --out result.jsonl

It implements shared/spec/section-access.md for the two generated models (star, snowflake):
- Security table as the script loads it: every column Upper()'d, leading/trailing spaces stripped (S5).
- I1-I4: a row applies when USERID is `*` or the upper-cased subject (I5), and GROUP is `*` or one of the
  user's upper-cased IdP groups (I6, QlikCloudGroupMode 0); a blank cell matches nobody.
- L1/L2: no applicable row, or none with ACCESS ADMIN/USER: DENIED; any ADMIN: ADMIN; else USER.
- R1: allowed values = union over applicable rows; `*` = every non-blank value listed in the column.
- R2: selection = allowed values that exist in the app field; empty: USER denied, ADMIN unreduced there.
- R3/R4: a fact row is kept iff its cell (COUNTRY, CATEGORY reached through many-to-one links; NULL when a
  link is NULL or orphan) is in the selection's cross product; a table reached one-to-many (customers,
  products, categories) keeps a row iff it reaches at least one allowed cell, or, when the direction
  towards the fact holds no selection, iff its own value is selected. Tables with no link to a selection
  (the Targets island) are not reduced; nothing is reduced when no field is.

How it is fast (pay for rows once, then for distinct selections on small things):
1. Users are deduplicated into profiles by (subject if Section Access lists it, the user's groups that
   Section Access lists); applicable rows are joined per profile, not per user.
2. Profiles are deduplicated into distinct selections (sorted COUNTRY list, sorted CATEGORY list).
3. The fact table is scanned once per aggregate: Orders -> (country, category) cells with counts;
   Customers/Products/Categories -> the cells each row reaches, folded into a signature per row (per
   country, a bitmask of categories); rows with equal signatures are counted once.
4. Per distinct selection, a table's kept rows = sum of signature counts whose signature meets the
   selection: a join on country plus a bitwise AND on the category mask (a selection with one country
   per signature is answered without DISTINCT).
"""

import argparse
import json
import os
import sys
import time


def q(con, sql):
    return con.execute(sql)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True, help="generated folder (holds data/)")
    ap.add_argument("--model", choices=["star", "snowflake"], required=True)
    ap.add_argument("--out", required=True, help="JSON lines, one user per line")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--explain-times", action="store_true", help="print the time of each step")
    a = ap.parse_args()

    import duckdb

    con = duckdb.connect()
    if a.threads:
        con.execute(f"SET threads = {a.threads}")
    con.execute("SET preserve_insertion_order = false")
    d = os.path.join(a.app, "data")
    p = lambda f: os.path.join(d, f).replace("'", "''")  # noqa: E731
    csv = lambda f: (  # noqa: E731
        f"read_csv('{p(f)}', header=true, all_varchar=true, delim=',', quote='\"', escape='\"')"
    )
    t0 = time.perf_counter()
    last = [t0]

    def step(name):
        if a.explain_times:
            now = time.perf_counter()
            print(f"  {name}: {now - last[0]:.2f}s", file=sys.stderr)
            last[0] = now

    # ------------------------------------------------------------------ security and users
    q(con, f"""
    CREATE TEMP TABLE sa AS
    SELECT row_number() OVER () AS rid,
           upper(trim(coalesce(ACCESS, ''), ' '))   AS access,
           upper(trim(coalesce(USERID, ''), ' '))   AS userid,
           upper(trim(coalesce("GROUP", ''), ' '))  AS grp,
           upper(trim(coalesce(COUNTRY, ''), ' '))  AS country,
           upper(trim(coalesce(CATEGORY, ''), ' ')) AS category
    FROM {csv('sa.csv')}""")
    q(con, f"""
    CREATE TEMP TABLE users AS
    SELECT id, subject, status, groups FROM read_json('{p('users.json')}', format='array',
        columns={{id: 'VARCHAR', subject: 'VARCHAR', status: 'VARCHAR', groups: 'VARCHAR[]'}})""")
    q(con, "CREATE TEMP TABLE sa_uid AS SELECT DISTINCT userid FROM sa WHERE userid NOT IN ('', '*')")
    q(con, "CREATE TEMP TABLE sa_grp AS SELECT DISTINCT grp FROM sa WHERE grp NOT IN ('', '*')")
    # Profile key: the identity values that can match a row (others match only `*`).
    q(con, """
    CREATE TEMP TABLE ukey AS
    WITH ug AS (
        SELECT DISTINCT id, upper(g) AS g FROM (SELECT id, unnest(groups) AS g FROM users)
        WHERE upper(g) IN (SELECT grp FROM sa_grp)),
    ugl AS (SELECT id, list_sort(list(g)) AS gs FROM ug GROUP BY id),
    k AS (
        SELECT u.id, u.subject,
               lower(trim(coalesce(u.status, ''))) IN ('', 'active', 'provisioned') AS can_open,
               CASE WHEN upper(u.subject) IN (SELECT userid FROM sa_uid) THEN upper(u.subject) END AS ksub,
               coalesce(ugl.gs, []::VARCHAR[]) AS kgroups
        FROM users u LEFT JOIN ugl USING (id))
    SELECT *, CASE WHEN can_open THEN dense_rank() OVER (PARTITION BY can_open ORDER BY ksub, kgroups) END AS pid
    FROM k""")
    q(con, """
    CREATE TEMP TABLE prof AS SELECT DISTINCT pid, ksub, kgroups FROM ukey WHERE pid IS NOT NULL""")
    q(con, "CREATE TEMP TABLE prof_g AS SELECT pid, unnest(kgroups) AS g FROM prof")
    # I1/I2: `*` matches anyone, a blank cell nobody; both identity columns must match.
    q(con, """
    CREATE TEMP TABLE appl AS
    SELECT p.pid, s.rid FROM prof p, sa s WHERE s.userid = '*' AND s.grp = '*'
    UNION ALL
    SELECT pg.pid, s.rid FROM prof_g pg JOIN sa s ON s.grp = pg.g WHERE s.userid = '*'
    UNION ALL
    SELECT p.pid, s.rid FROM prof p JOIN sa s ON s.userid = p.ksub WHERE s.grp = '*'
    UNION ALL
    SELECT p.pid, s.rid FROM prof p JOIN prof_g pg ON pg.pid = p.pid
        JOIN sa s ON s.userid = p.ksub AND s.grp = pg.g""")
    step("profiles")

    # ------------------------------------------------------------------ app field domains
    if a.model == "star":
        dom_c = "SELECT DISTINCT COUNTRY AS v FROM orders_c WHERE COUNTRY IS NOT NULL"
        q(con, f"CREATE TEMP VIEW orders_c AS SELECT COUNTRY FROM read_parquet('{p('orders.parquet')}')")
        q(con, f"""CREATE TEMP TABLE products AS
            SELECT row_number() OVER () AS r, TRY_CAST(ProductId AS BIGINT) AS ProductId,
                   coalesce(CATEGORY, '') AS CATEGORY FROM {csv('products.csv')}""")
        dom_k = "SELECT DISTINCT CATEGORY AS v FROM products"
    else:
        q(con, f"""CREATE TEMP TABLE customers AS
            SELECT row_number() OVER () AS r, TRY_CAST(CustomerId AS BIGINT) AS CustomerId,
                   coalesce(COUNTRY, '') AS COUNTRY FROM {csv('customers.csv')}""")
        dom_c = "SELECT DISTINCT COUNTRY AS v FROM customers"
        q(con, f"""CREATE TEMP TABLE categories AS
            SELECT row_number() OVER () AS r, coalesce(CategoryId, '') AS CategoryId,
                   coalesce(CATEGORY, '') AS CATEGORY FROM {csv('categories.csv')}""")
        dom_k = "SELECT DISTINCT CATEGORY AS v FROM categories"
    q(con, f"CREATE TEMP TABLE dom_c AS SELECT v, (row_number() OVER (ORDER BY v) - 1)::INTEGER AS ci FROM ({dom_c})")
    q(con, f"CREATE TEMP TABLE dom_k AS SELECT v, (row_number() OVER (ORDER BY v) - 1)::INTEGER AS ki FROM ({dom_k})")
    n_c = con.execute("SELECT count(*) FROM dom_c").fetchone()[0]
    n_k = con.execute("SELECT count(*) FROM dom_k").fetchone()[0]
    # Index n_c / n_k: the NULL bucket (a NULL or orphan link on the way to the field).
    n_idx = {"c": n_c, "k": n_k}
    words = {x: range((n + 1 + 63) // 64) for x, n in n_idx.items()}

    def bit(expr, w):
        return f"CASE WHEN ({expr}) // 64 = {w} THEN (1::UBIGINT << (({expr}) % 64)::UBIGINT) ELSE 0::UBIGINT END"

    def mask_cols(expr, x, prefix="w"):
        return ", ".join(f"bit_or({bit(expr, w)}) AS {prefix}{w}" for w in words[x])

    def meets(lhs, rhs, x):
        return "(" + " OR ".join(f"({lhs}.w{w} & {rhs}.m{w}) <> 0" for w in words[x]) + ")"

    step("domains")

    # ------------------------------------------------------------------ grants -> selections
    q(con, "CREATE TEMP TABLE star_c AS SELECT DISTINCT country AS v FROM sa WHERE country NOT IN ('', '*')")
    q(con, "CREATE TEMP TABLE star_k AS SELECT DISTINCT category AS v FROM sa WHERE category NOT IN ('', '*')")
    q(con, """
    CREATE TEMP TABLE grant_ AS
    SELECT pid, bool_or(s.access = 'ADMIN') AS admin, bool_or(s.access = 'USER') AS usr
    FROM appl JOIN sa s USING (rid) GROUP BY pid""")
    for f, col in (("c", "country"), ("k", "category")):
        q(con, f"""
        CREATE TEMP TABLE sel_{f}_p AS
        WITH allowed AS (
            SELECT a.pid, s.{col} AS v FROM appl a JOIN sa s USING (rid) WHERE s.{col} NOT IN ('', '*')
            UNION
            SELECT a.pid, x.v FROM appl a JOIN sa s USING (rid) CROSS JOIN star_{f} x WHERE s.{col} = '*')
        SELECT pid, list_sort(list(v)) AS vals FROM allowed WHERE v IN (SELECT v FROM dom_{f}) GROUP BY pid""")
    q(con, """
    CREATE TEMP TABLE pres0 AS
    WITH r AS (
        SELECT p.pid,
               CASE WHEN g.pid IS NULL THEN 'DENIED' WHEN g.admin THEN 'ADMIN'
                    WHEN g.usr THEN 'USER' ELSE 'DENIED' END AS acc0,
               c.vals AS selc, k.vals AS selk
        FROM prof p LEFT JOIN grant_ g USING (pid) LEFT JOIN sel_c_p c USING (pid) LEFT JOIN sel_k_p k USING (pid))
    SELECT pid,
           CASE WHEN acc0 = 'USER' AND (selc IS NULL OR selk IS NULL) THEN 'DENIED' ELSE acc0 END AS access,
           selc, selk
    FROM r""")
    # Distinct selections (sid) over the profiles that are not denied.
    q(con, """
    CREATE TEMP TABLE pres AS
    SELECT pid, access, CASE WHEN access = 'DENIED' THEN NULL ELSE selc END AS selc,
           CASE WHEN access = 'DENIED' THEN NULL ELSE selk END AS selk,
           CASE WHEN access = 'DENIED' THEN NULL
                ELSE dense_rank() OVER (PARTITION BY access = 'DENIED' ORDER BY selc, selk) END AS sid
    FROM pres0""")
    q(con, "CREATE TEMP TABLE sel AS SELECT DISTINCT sid, selc, selk FROM pres WHERE sid IS NOT NULL")
    # Per selection and field: the allowed indexes (all, with the NULL bucket, when unreduced) and
    # the same as a bit mask.
    for x in ("c", "k"):
        q(con, f"""
        CREATE TEMP TABLE sel_{x}_idx AS
        SELECT s.sid, d.{x}i AS xi FROM sel s, unnest(s.sel{x}) AS u(v) JOIN dom_{x} d ON d.v = u.v
        UNION ALL
        SELECT s.sid, i.xi::INTEGER FROM sel s, range(0, {n_idx[x] + 1}) AS i(xi) WHERE s.sel{x} IS NULL""")
        q(con, f"""
        CREATE TEMP TABLE sel_{x}_mask AS SELECT sid, {mask_cols('xi', x, 'm')} FROM sel_{x}_idx GROUP BY sid""")
    # Join axis a, mask axis b: (sid, a index, b mask), and its distinct (a index, b mask) queries.
    for a_, b_ in (("c", "k"), ("k", "c")):
        ms = ", ".join(f"m.m{w}" for w in words[b_])
        mcols = ", ".join(f"m{w}" for w in words[b_])
        q(con, f"""CREATE TEMP TABLE sel0_{a_}{b_} AS
            SELECT i.sid, i.xi AS ai, {ms} FROM sel_{a_}_idx i JOIN sel_{b_}_mask m USING (sid)""")
        q(con, f"""CREATE TEMP TABLE q_{a_}{b_} AS
            SELECT row_number() OVER () AS qid, * FROM (SELECT DISTINCT ai, {mcols} FROM sel0_{a_}{b_})""")
        q(con, f"""CREATE TEMP TABLE sel_{a_}{b_} AS
            SELECT s.*, q.qid FROM sel0_{a_}{b_} s JOIN q_{a_}{b_} q USING (ai, {mcols})""")
    n_sel = con.execute("SELECT count(*) FROM sel").fetchone()[0]
    step(f"selections ({n_sel})")

    # ------------------------------------------------------------------ reach: cells per table row
    orders = f"read_parquet('{p('orders.parquet')}')"
    if a.model == "star":
        q(con, """CREATE TEMP TABLE prod_k AS
            SELECT p.r, p.ProductId, d.ki FROM products p JOIN dom_k d ON d.v = p.CATEGORY""")
        q(con, f"""CREATE TEMP TABLE customers AS
            SELECT row_number() OVER () AS r, TRY_CAST(CustomerId AS BIGINT) AS CustomerId
            FROM {csv('customers.csv')}""")
        fact = f"""
            SELECT o.CustomerId, o.ProductId, coalesce(c.ci, {n_c}) AS ci, coalesce(k.ki, {n_k}) AS ki
            FROM {orders} o LEFT JOIN dom_c c ON c.v = o.COUNTRY
            LEFT JOIN (SELECT DISTINCT ProductId, ki FROM prod_k) k ON k.ProductId = o.ProductId"""
    else:
        q(con, f"""CREATE TEMP TABLE products AS
            SELECT row_number() OVER () AS r, TRY_CAST(ProductId AS BIGINT) AS ProductId,
                   coalesce(CategoryId, '') AS CategoryId FROM {csv('products.csv')}""")
        q(con, """CREATE TEMP TABLE cat_k AS
            SELECT c.r, c.CategoryId, d.ki FROM categories c JOIN dom_k d ON d.v = c.CATEGORY""")
        q(con, """CREATE TEMP TABLE prod_k AS
            SELECT p.r, p.ProductId, coalesce(k.ki, %d) AS ki, p.CategoryId
            FROM products p LEFT JOIN cat_k k ON k.CategoryId = p.CategoryId""" % n_k)
        q(con, """CREATE TEMP TABLE cust_c AS
            SELECT c.r, c.CustomerId, d.ci FROM customers c JOIN dom_c d ON d.v = c.COUNTRY""")
        fact = f"""
            SELECT o.CustomerId, o.ProductId, coalesce(c.ci, {n_c}) AS ci, coalesce(k.ki, {n_k}) AS ki
            FROM {orders} o
            LEFT JOIN (SELECT DISTINCT CustomerId, ci FROM cust_c) c ON c.CustomerId = o.CustomerId
            LEFT JOIN (SELECT DISTINCT ProductId, ki FROM prod_k) k ON k.ProductId = o.ProductId"""
    # NB: a key listed twice in a dimension with different cells would make a fact row reach several
    # cells; the generator writes unique keys, and the DISTINCT above keeps row counts exact for it.

    # Orders: one cell per row.
    q(con, f"CREATE TEMP TABLE reach_orders AS SELECT ci, ki, count(*) AS n FROM ({fact}) GROUP BY ci, ki")
    step("orders cells")
    q(con, f"""CREATE TEMP TABLE cust_cells AS
        SELECT DISTINCT CustomerId, ci, ki FROM ({fact}) WHERE CustomerId IS NOT NULL""")
    q(con, """CREATE TEMP TABLE reach_customers AS
        SELECT c.r, x.ci, x.ki FROM customers c JOIN cust_cells x ON x.CustomerId = c.CustomerId""")
    step("customer cells")
    q(con, f"""CREATE TEMP TABLE prod_cells AS
        SELECT DISTINCT ProductId, ci, ki FROM ({fact}) WHERE ProductId IS NOT NULL""")
    q(con, """CREATE TEMP TABLE reach_products AS
        SELECT p.r, x.ci, x.ki FROM products p JOIN prod_cells x ON x.ProductId = p.ProductId""")
    if a.model == "snowflake":
        q(con, """CREATE TEMP TABLE reach_categories AS
            SELECT DISTINCT c.r, x.ci, x.ki FROM cat_k c JOIN prod_k p ON p.CategoryId = c.CategoryId
            JOIN prod_cells x ON x.ProductId = p.ProductId""")
    step("product cells")

    # Signatures: per row, the cells it reaches as (join index -> mask of the other field); rows with
    # equal signatures are counted once. The join axis is the field on which more rows reach a single
    # value (customers: one country; products: one category), so most signatures have one pair and
    # need no DISTINCT.
    def reach_counts(name, single_bit_rows=False):
        if single_bit_rows:
            a_, b_ = "c", "k"
            q(con, f"""CREATE TEMP TABLE sp_{name} AS
                SELECT ci AS ai, {mask_cols('ki', 'k')}, sum(n) AS n, 1 AS np FROM reach_{name} GROUP BY ci, ki""")
        else:
            one_c, one_k = con.execute(f"""
                SELECT count(*) FILTER (WHERE nc = 1), count(*) FILTER (WHERE nk = 1) FROM (
                    SELECT r, count(DISTINCT ci) AS nc, count(DISTINCT ki) AS nk FROM reach_{name} GROUP BY r)
                """).fetchone()
            a_, b_ = ("c", "k") if one_c >= one_k else ("k", "c")
            if os.environ.get("BASELINE_AXIS") in ("c", "k"):  # for the self-check
                a_ = os.environ["BASELINE_AXIS"]
                b_ = "k" if a_ == "c" else "c"
            q(con, f"""CREATE TEMP TABLE rm_{name} AS
                SELECT r, {a_}i AS ai, {mask_cols(b_ + 'i', b_)} FROM reach_{name} GROUP BY r, {a_}i""")
            st = ", ".join(["ai := ai"] + [f"w{w} := w{w}" for w in words[b_]])
            q(con, f"""CREATE TEMP TABLE sig_{name} AS
                SELECT row_number() OVER () AS sg, sig, n, len(sig) AS np FROM (
                    SELECT sig, count(*) AS n FROM (
                        SELECT r, list(struct_pack({st}) ORDER BY ai) AS sig FROM rm_{name} GROUP BY r)
                    GROUP BY sig)""")
            q(con, f"""CREATE TEMP TABLE sp_{name} AS
                SELECT sg, n, np, s.ai, {", ".join(f"s.w{w}" for w in words[b_])}
                FROM (SELECT sg, n, np, unnest(sig) AS s FROM sig_{name})""")
        ab = a_ + b_
        mw = words[b_]
        nb = n_idx[b_] + 1
        force = os.environ.get("BASELINE_COUNT")  # direct, complement or distinct: for the self-check
        lo = 1  # signatures of up to 2 pairs by the fast paths (0: all by DISTINCT)
        if force == "distinct" and not single_bit_rows:
            lo = 0
        # Pairs of signatures of one or two pairs, counted per pair: hist(join index, mask, n).
        q(con, f"""CREATE TEMP TABLE hist_{name} AS
            SELECT ai, {", ".join(f"w{w}" for w in mw)}, sum(n) AS n FROM sp_{name}
            WHERE np <= {2 * lo} GROUP BY ALL""")
        # For each distinct query (join index, mask): the sum over pairs that meet it. Dense masks (most
        # pairs meet most queries): total minus the pairs that miss; those are found through the query
        # bit that the fewest pairs lack (each pair is listed under every bit it lacks).
        d_sig, d_q = con.execute(f"""
            SELECT (SELECT avg({" + ".join(f"bit_count(w{w})" for w in mw)}) FROM hist_{name}),
                   (SELECT avg({" + ".join(f"bit_count(m{w})" for w in mw)}) FROM q_{ab})""").fetchone()
        p_miss = (1 - (d_sig or 0) / nb) ** (d_q or 0)
        if force in ("direct", "complement"):
            p_miss = 0.0 if force == "complement" else 1.0
        complement = p_miss < 0.5
        word_of = lambda pre: "CASE b // 64 " + " ".join(  # noqa: E731
            f"WHEN {w} THEN {pre}{w}" for w in mw) + " END"
        if complement:
            q(con, f"""CREATE TEMP TABLE lack_{name} AS
                SELECT h.*, b FROM hist_{name} h, range(0, {nb}) AS r(b)
                WHERE (({word_of('h.w')} >> (b % 64)::UBIGINT) & 1::UBIGINT) = 0""")
            q(con, f"""CREATE TEMP TABLE a1_{name} AS
                WITH tot AS (SELECT ai, sum(n) AS n FROM hist_{name} GROUP BY ai),
                lc AS (SELECT ai, b, count(*) AS c FROM lack_{name} GROUP BY ai, b),
                qb AS (
                    SELECT q.qid, arg_min(r.b, coalesce(lc.c, 0)) AS b, min(coalesce(lc.c, 0)) AS c
                    FROM q_{ab} q, range(0, {nb}) AS r(b)
                    LEFT JOIN lc ON lc.ai = q.ai AND lc.b = r.b
                    WHERE (({word_of('q.m').replace('b //', 'r.b //')} >> (r.b % 64)::UBIGINT) & 1::UBIGINT) = 1
                    GROUP BY q.qid),
                miss AS (
                    SELECT q.qid, sum(l.n) AS n FROM q_{ab} q JOIN qb USING (qid)
                    JOIN lack_{name} l ON l.ai = q.ai AND l.b = qb.b
                    WHERE qb.c > 0 AND NOT {meets('l', 'q', b_)} GROUP BY q.qid)
                SELECT q.qid, coalesce(t.n, 0) - coalesce(m.n, 0) AS n
                FROM q_{ab} q LEFT JOIN tot t ON t.ai = q.ai LEFT JOIN miss m ON m.qid = q.qid""")
        else:
            q(con, f"""CREATE TEMP TABLE a1_{name} AS
                SELECT q.qid, sum(p.n) AS n FROM q_{ab} q JOIN hist_{name} p ON p.ai = q.ai
                WHERE {meets('p', 'q', b_)} GROUP BY q.qid""")
        # Two-pair signatures (a customer with orders in two countries) were counted once per pair
        # that meets: subtract one count where both pairs meet (inclusion-exclusion), found through
        # the selection's own pairs of join indexes. Three or more pairs (few): DISTINCT.
        multi = "" if single_bit_rows else f"""
            UNION ALL
            SELECT x.sid, -d.n FROM sel_{a_}_idx x JOIN sel_{a_}_idx y ON y.sid = x.sid AND y.xi > x.xi
            JOIN (SELECT p1.sg, p1.n, p1.ai AS a1, {", ".join(f"p1.w{w} AS u{w}" for w in mw)},
                         p2.ai AS a2, {", ".join(f"p2.w{w} AS v{w}" for w in mw)}
                  FROM sp_{name} p1 JOIN sp_{name} p2 ON p2.sg = p1.sg AND p2.ai > p1.ai
                  WHERE p1.np = 2 AND {lo} = 1) d ON d.a1 = x.xi AND d.a2 = y.xi
            JOIN sel_{b_}_mask m ON m.sid = x.sid
            WHERE ({" OR ".join(f"(d.u{w} & m.m{w}) <> 0" for w in mw)})
              AND ({" OR ".join(f"(d.v{w} & m.m{w}) <> 0" for w in mw)})
            UNION ALL
            SELECT sid, sum(n) AS n FROM (
                SELECT DISTINCT s.sid, p.sg, p.n FROM sel_{ab} s JOIN sp_{name} p ON p.ai = s.ai AND p.np > {2 * lo}
                WHERE {meets('p', 's', b_)})
            GROUP BY sid"""
        q(con, f"""CREATE TEMP TABLE cnt_{name} AS
            SELECT sid, sum(n)::BIGINT AS n FROM (
                SELECT s.sid, a.n FROM sel_{ab} s JOIN a1_{name} a USING (qid)
                {multi})
            GROUP BY sid""")
        step(f"counts {name} (join on {a_}{', complement' if complement else ''})")

    reach_counts("orders", single_bit_rows=True)
    reach_counts("customers")
    reach_counts("products")
    if a.model == "snowflake":
        reach_counts("categories")

    # Own-value counts (a table whose direction towards the fact holds no selection).
    def own_counts(name, table, x):
        q(con, f"""CREATE TEMP TABLE own_{name} AS
            SELECT s.sid, sum(t.n)::BIGINT AS n FROM sel_{x}_idx s JOIN (
                SELECT {x}i AS xi, count(*) AS n FROM {table} GROUP BY ALL) t
            ON t.xi = s.xi GROUP BY s.sid""")

    totals = {}
    if a.model == "star":
        own_counts("products", "prod_k", "k")
        totals["Products"] = con.execute("SELECT count(*) FROM products").fetchone()[0]
        totals["Customers"] = con.execute("SELECT count(*) FROM customers").fetchone()[0]
        # Products: C reduced -> products reached by an allowed cell; else own CATEGORY.
        tables = {
            "Orders": "coalesce(co.n, 0)",
            "Customers": "coalesce(cc.n, 0)",
            "Products": "CASE WHEN s.selc IS NOT NULL THEN coalesce(cp.n, 0) ELSE coalesce(op.n, 0) END",
        }
        joins = """LEFT JOIN cnt_orders co USING (sid) LEFT JOIN cnt_customers cc USING (sid)
                   LEFT JOIN cnt_products cp USING (sid) LEFT JOIN own_products op USING (sid)"""
    else:
        own_counts("customers", "cust_c", "c")
        own_counts("products", "prod_k", "k")
        own_counts("categories", "cat_k", "k")
        for t in ("customers", "products", "categories"):
            totals[t.title()] = con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        tables = {
            "Orders": "coalesce(co.n, 0)",
            "Customers": "CASE WHEN s.selk IS NOT NULL THEN coalesce(cc.n, 0) ELSE coalesce(oc.n, 0) END",
            "Products": "CASE WHEN s.selc IS NOT NULL THEN coalesce(cp.n, 0) ELSE coalesce(op.n, 0) END",
            "Categories": "CASE WHEN s.selc IS NOT NULL THEN coalesce(ck.n, 0) ELSE coalesce(ok.n, 0) END",
        }
        joins = """LEFT JOIN cnt_orders co USING (sid) LEFT JOIN cnt_customers cc USING (sid)
                   LEFT JOIN cnt_products cp USING (sid) LEFT JOIN cnt_categories ck USING (sid)
                   LEFT JOIN own_customers oc USING (sid) LEFT JOIN own_products op USING (sid)
                   LEFT JOIN own_categories ok USING (sid)"""
    totals["Orders"] = con.execute(f"SELECT count(*) FROM {orders}").fetchone()[0]
    totals["Targets"] = con.execute(f"SELECT count(*) FROM {csv('targets.csv')}").fetchone()[0]
    # No reduced field at all: nothing in the linked group is reduced (R4).
    cols = ", ".join(
        f"CASE WHEN s.selc IS NULL AND s.selk IS NULL THEN {totals[t]} ELSE {e} END AS \"{t}\""
        for t, e in tables.items()
    )
    q(con, f"CREATE TEMP TABLE sel_rows AS SELECT s.sid, {cols} FROM sel s {joins}")
    step("rows per selection")

    # ------------------------------------------------------------------ per user
    names = sorted(totals)
    tcols = ", ".join(f'r."{t}" AS "{t}"' if t in tables else f'{totals[t]} AS "{t}"' for t in names)
    tvals = ", ".join(f"CASE WHEN coalesce(p.access, 'DENIED') = 'DENIED' THEN 0 ELSE x.\"{t}\" END AS \"{t}\"" for t in names)
    tables_struct = ", ".join(f"'{t}': \"{t}\"" for t in names)
    out = a.out.replace("'", "''")
    n_users = con.execute(f"""
        COPY (
            SELECT subject AS id, access,
                   CASE WHEN access = 'DENIED' THEN MAP {{}}::MAP(VARCHAR, VARCHAR[])
                        ELSE MAP {{'CATEGORY': selk, 'COUNTRY': selc}} END AS reduction,
                   {{{tables_struct}}} AS tables
            FROM (
                SELECT u.subject, coalesce(p.access, 'DENIED') AS access, p.selc, p.selk, {tvals}
                FROM ukey u
                LEFT JOIN pres p ON p.pid = u.pid
                LEFT JOIN (SELECT s.sid, {tcols} FROM sel s LEFT JOIN sel_rows r USING (sid)) x ON x.sid = p.sid)
        ) TO '{out}' (FORMAT json)""").fetchone()[0]
    step("users")
    print(
        json.dumps({"users": n_users, "selections": n_sel, "countries": n_c, "categories": n_k}),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
