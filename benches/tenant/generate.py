#!/usr/bin/env python3
"""Seeded, deterministic generator of a Qlik app's files for the tenant benchmark.

Writes, into OUT/data/:
  orders.parquet   the fact table: OrderId, CustomerId, ProductId, Amount, COUNTRY (written in chunks)
  customers.csv    CustomerId, CustomerName, Segment, COUNTRY (COUNTRY is read by the snowflake script only)
  products.csv     ProductId, ProductName, CategoryId, CATEGORY (star reads CATEGORY, snowflake CategoryId)
  categories.csv   CategoryId, CATEGORY, CategoryName (snowflake only)
  targets.csv      TargetYear, TargetAmount (a data island: linked to nothing)
  sa.csv           Section Access: ACCESS, USERID, GROUP, COUNTRY, CATEGORY
  users.json       a Qlik Cloud users export as `qlik user ls --json` prints it
and two scripts that load them:
  OUT/star/app.qvs       Orders(COUNTRY, ProductId) -> Products(CATEGORY); Customers; Targets
  OUT/snowflake/app.qvs  Customers(COUNTRY) <- Orders -> Products -> Categories(CATEGORY); Targets

What makes it realistic (and hard): Zipf-skewed customers, products, countries, categories and group
sizes; users in 1-5 IdP groups; GROUP rows (USERID `*`) and USERID rows (GROUP `*`); `*` and blanks in
the reduction columns; ADMIN groups and users; values absent from the data; blank identity cells (I2);
a `*`/`*` row with an invalid ACCESS value (L1); groups held by users but absent from Section Access and
the reverse; NULL and orphan keys in the fact table; orphan and blank CategoryIds; blank COUNTRY values.
"""

import argparse
import json
import os
import sys

import numpy as np

SIZES = {
    # name: (fact rows, users, groups)
    "tiny": (10_000, 200, 20),
    "1m-10k": (1_000_000, 10_000, 200),
    "1m-100k": (1_000_000, 100_000, 2_000),
    "10m-100k": (10_000_000, 100_000, 2_000),
    "100m-100k": (100_000_000, 100_000, 2_000),
}

COUNTRIES = (
    "US DE FR GB IT ES NL BE SE PL CH AT DK NO FI IE PT CZ HU RO GR SK BG HR SI LT LV EE LU MT "
    "CY CA MX BR AR JP KR AU NZ IN"
).split()
# Listed in Section Access, absent from the data.
ABSENT_COUNTRIES = ["XK", "ZZ", "EU"]
CATEGORIES = (
    "BOOKS TOYS GAMES MUSIC FILM GARDEN TOOLS KITCHEN BATH BEDDING LIGHTING FURNITURE "
    "SPORTS OUTDOOR CYCLING FITNESS BEAUTY HEALTH BABY PETS OFFICE COMPUTERS PHONES AUDIO"
).split()
ABSENT_CATEGORIES = ["DISCONTINUED", "CLEARANCE"]
SEGMENTS = ["Retail", "SMB", "Enterprise", "Public"]
DEPTS = ["Sales", "Finance", "Ops", "Marketing", "Support", "Analytics", "Logistics", "Legal"]


def zipf_sampler(rng, n, s):
    """Return f(size) sampling ranks 0..n-1 with P(rank i) ~ 1/(i+1)^s."""
    w = 1.0 / np.power(np.arange(1, n + 1, dtype=np.float64), s)
    cum = np.cumsum(w)
    cum /= cum[-1]

    def sample(size):
        return np.minimum(np.searchsorted(cum, rng.random(size), side="right"), n - 1)

    return sample


def hexid(rng, n, width):
    """n distinct lower-case hex strings of the given width (deterministic)."""
    out = set()
    res = []
    while len(res) < n:
        v = "".join(rng.choice(list("0123456789abcdef"), width))
        if v not in out:
            out.add(v)
            res.append(v)
    return res


def csv_cell(s):
    s = "" if s is None else str(s)
    if any(c in s for c in ',"\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(csv_cell(c) for c in r) + "\n")


def dims(fact_rows):
    ncust = max(200, fact_rows // 40)
    nprod = max(120, min(8_000, fact_rows // 150))
    return ncust, nprod


def generate(size, out, seed=20240601, quiet=False):
    rows, nusers, ngroups = SIZES[size]
    rng = np.random.default_rng(seed)
    ncust, nprod = dims(rows)
    data = os.path.join(out, "data")
    os.makedirs(data, exist_ok=True)
    log = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))

    # ---- countries and categories: Zipf popularity over a permuted order ----
    country_rank = zipf_sampler(rng, len(COUNTRIES), 1.1)
    cat_rank = zipf_sampler(rng, len(CATEGORIES), 0.9)

    # ---- customers: home country (Zipf), 2% multinational with a second country, a few blank ----
    cust_ids = np.arange(1, ncust + 1)
    cust_country = country_rank(ncust)
    cust_alt = country_rank(ncust)
    multinational = rng.random(ncust) < 0.02
    blank_country = rng.random(ncust) < 0.002
    seg = rng.integers(0, len(SEGMENTS), ncust)
    write_csv(
        os.path.join(data, "customers.csv"),
        ["CustomerId", "CustomerName", "Segment", "COUNTRY"],
        (
            (
                int(cust_ids[i]),
                f"Customer {int(cust_ids[i])}",
                SEGMENTS[seg[i]],
                "" if blank_country[i] else COUNTRIES[cust_country[i]],
            )
            for i in range(ncust)
        ),
    )

    # ---- categories (snowflake): ids 1..K, plus one category with no products ----
    ncat = len(CATEGORIES)
    write_csv(
        os.path.join(data, "categories.csv"),
        ["CategoryId", "CATEGORY", "CategoryName"],
        [(i + 1, c, c.title()) for i, c in enumerate(CATEGORIES)]
        + [(ncat + 1, "ARCHIVE", "Archive (no products)")],
    )

    # ---- products: category (Zipf), 1% orphan CategoryId (absent from Categories), 0.5% blank ----
    prod_cat = cat_rank(nprod)
    r = rng.random(nprod)
    prod_catid = [str(c + 1) for c in prod_cat]
    prod_catname = [CATEGORIES[c] for c in prod_cat]
    for i in range(nprod):
        if r[i] < 0.005:
            prod_catid[i], prod_catname[i] = "", ""
        elif r[i] < 0.015:
            prod_catid[i], prod_catname[i] = str(900 + i % 7), ""
    write_csv(
        os.path.join(data, "products.csv"),
        ["ProductId", "ProductName", "CategoryId", "CATEGORY"],
        ((i + 1, f"Product {i + 1}", prod_catid[i], prod_catname[i]) for i in range(nprod)),
    )

    # ---- targets: a data island ----
    write_csv(
        os.path.join(data, "targets.csv"),
        ["TargetYear", "TargetAmount"],
        [(2015 + i, 1_000_000 + 50_000 * i) for i in range(10)],
    )

    # ---- orders, in chunks ----
    import pyarrow as pa
    import pyarrow.parquet as pq

    cust_pick = zipf_sampler(rng, ncust, 0.6)
    cust_perm = rng.permutation(ncust)
    prod_pick = zipf_sampler(rng, nprod, 1.0)
    prod_perm = rng.permutation(nprod)
    schema = pa.schema(
        [
            ("OrderId", pa.int64()),
            ("CustomerId", pa.int64()),
            ("ProductId", pa.int64()),
            ("Amount", pa.float64()),
            ("COUNTRY", pa.string()),
        ]
    )
    country_arr = np.array(COUNTRIES, dtype=object)
    chunk = 2_000_000
    path = os.path.join(data, "orders.parquet")
    with pq.ParquetWriter(path, schema, compression="snappy") as w:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            oid = np.arange(start + 1, start + n + 1, dtype=np.int64)
            cidx = cust_perm[cust_pick(n)]
            cid = (cidx + 1).astype(np.int64)
            country = cust_country[cidx].copy()
            alt = multinational[cidx] & (rng.random(n) < 0.4)
            country[alt] = cust_alt[cidx][alt]
            pidx = prod_perm[prod_pick(n)]
            pid = (pidx + 1).astype(np.int64)
            u = rng.random(n)
            # NULL and orphan keys.
            cust_null = u < 0.003
            cust_orphan = (u >= 0.003) & (u < 0.006)
            cid[cust_orphan] = ncust + 1 + (oid[cust_orphan] % 97)
            country[cust_null | cust_orphan] = country_rank(int((cust_null | cust_orphan).sum()))
            v = rng.random(n)
            prod_null = v < 0.005
            prod_orphan = (v >= 0.005) & (v < 0.015)
            pid[prod_orphan] = nprod + 1 + (oid[prod_orphan] % 53)
            country_null = rng.random(n) < 0.001
            amount = np.round(rng.gamma(2.0, 40.0, n), 2)
            cmask = np.zeros(n, dtype=bool)
            cmask[cust_null] = True
            pmask = np.zeros(n, dtype=bool)
            pmask[prod_null] = True
            table = pa.table(
                {
                    "OrderId": pa.array(oid),
                    "CustomerId": pa.array(cid, mask=cmask),
                    "ProductId": pa.array(pid, mask=pmask),
                    "Amount": pa.array(amount),
                    "COUNTRY": pa.array(country_arr[country], type=pa.string(), mask=country_null),
                },
                schema=schema,
            )
            w.write_table(table, row_group_size=1_000_000)
            log(f"  orders: {start + n:,} / {rows:,}")

    # ---- groups and users ----
    group_names = []
    for i in range(ngroups):
        d = DEPTS[i % len(DEPTS)]
        c = COUNTRIES[i % len(COUNTRIES)]
        name = f"{d}-{c}-{i:04d}"
        # Tenants spell group names in any case; GROUP is compared upper-cased (I6).
        if i % 3 == 1:
            name = name.lower()
        elif i % 3 == 2:
            name = name.title()
        group_names.append(name)
    group_pick = zipf_sampler(rng, ngroups, 1.0)
    group_perm = rng.permutation(ngroups)
    ids = hexid(rng, nusers, 24)
    subs = hexid(rng, nusers, 20)
    ngrp = rng.choice([1, 2, 3, 4, 5], size=nusers, p=[0.35, 0.30, 0.18, 0.10, 0.07])
    users = []
    for i in range(nusers):
        picks = group_perm[group_pick(int(ngrp[i]) * 2)]
        held = []
        for g in picks:
            if group_names[g] not in held:
                held.append(group_names[g])
            if len(held) == ngrp[i]:
                break
        kind = i % 3
        subject = (
            f"auth0|{subs[i]}" if kind == 0 else (f"00u{subs[i][:17]}" if kind == 1 else f"waad|{subs[i]}")
        )
        users.append(
            {
                "id": ids[i],
                "tenantId": "BenchTenant000000000000000000000",
                "subject": subject,
                "name": f"User {i}",
                "email": f"user{i}@example.com",
                "status": "active",
                "groups": held,
            }
        )
    # Scripted users: each case below at every size, whatever the random draw gives (their only group
    # is not used by Section Access; USERID rows below grant them).
    solo = [
        [("ADMIN", "", "")],  # ADMIN, nothing reduced
        [("ADMIN", "XK", "BOOKS")],  # ADMIN: COUNTRY unreduced (R2), CATEGORY reduced
        [("ADMIN", "DE", "")],  # ADMIN: COUNTRY reduced, CATEGORY unreduced
        [("ADMIN", "ZZ", "CLEARANCE")],  # ADMIN: both absent from the data: unreduced
        [("USER", "DE", "")],  # USER denied: CATEGORY blank (R1, R2)
        [("USER", "XK", "BOOKS")],  # USER denied: COUNTRY absent from the data (R2)
        [("USER", "*", "*")],  # `*` = the values listed in the column (R1)
        [("USER", "FR", "BOOKS"), ("ADMIN", "DE", "TOYS")],  # L2 and R3
        [("USER", "DE", "BOOKS"), ("USER", "FR", "TOYS")],  # cross product (R3)
        [],  # listed only by the `*`/`*` READ row: DENIED (L1)
    ]
    for j, rows_ in enumerate(solo):
        users.append(
            {
                "id": f"5010{j:020d}",
                "tenantId": "BenchTenant000000000000000000000",
                "subject": f"auth0|Scripted{j:02d}",
                "name": f"Scripted {j}",
                "email": f"scripted{j}@example.com",
                "status": "active",
                "groups": ["Contractors-External"],
            }
        )
    with open(os.path.join(data, "users.json"), "w", encoding="utf-8") as f:
        json.dump(users, f, indent=1)
        f.write("\n")

    # ---- Section Access ----
    sa = []

    def red_country():
        x = rng.random()
        if x < 0.03:
            return "*"
        if x < 0.05:
            return ABSENT_COUNTRIES[int(rng.integers(0, len(ABSENT_COUNTRIES)))]
        if x < 0.07:
            return ""
        return COUNTRIES[country_rank(1)[0]]

    def red_category():
        x = rng.random()
        if x < 0.10:
            return "*"
        if x < 0.12:
            return ABSENT_CATEGORIES[int(rng.integers(0, len(ABSENT_CATEGORIES)))]
        if x < 0.14:
            return ""
        return CATEGORIES[cat_rank(1)[0]]

    admin_groups = max(4, ngroups // 100)
    for gi in range(ngroups):
        g = group_names[gi]
        x = rng.random()
        if gi < admin_groups:
            # ADMIN groups: unreduced, `*`, reduced, absent values (R2: ADMIN unreduced on that field).
            variants = [("", ""), ("*", "*"), (COUNTRIES[0], ""), (ABSENT_COUNTRIES[0], CATEGORIES[1])]
            c, k = variants[gi % len(variants)]
            sa.append(("ADMIN", "*", g, c, k))
        elif x < 0.10:
            continue  # an IdP group that Section Access does not use
        else:
            for _ in range(int(rng.integers(1, 4))):
                sa.append(("USER", "*", g, red_country(), red_category()))
    # Groups listed in Section Access that no user holds.
    for j in range(max(2, ngroups // 20)):
        sa.append(("USER", "*", f"Legacy-{j:04d}", COUNTRIES[j % len(COUNTRIES)], "*"))
    # Blank identity cells match nobody (I2).
    sa.append(("USER", "*", "", "US", "*"))
    sa.append(("ADMIN", "", "*", "", ""))
    # A row for everyone with an invalid ACCESS value: everyone is listed, it grants nothing (L1).
    sa.append(("READ", "*", "*", "ZZ", ""))
    # USERID rows (GROUP `*`): ~1% of users, some ADMIN; the subject as exported, lower case.
    nuid = max(3, nusers // 100)
    picks = rng.choice(nusers, size=nuid, replace=False)
    for j, ui in enumerate(picks):
        s = users[ui]["subject"]
        if j % 10 == 0:
            sa.append(("ADMIN", s, "*", red_country(), ""))
        else:
            sa.append(("USER", s, "*", red_country(), red_category()))
            if j % 4 == 0:
                sa.append(("USER", s, "*", red_country(), red_category()))
    for j, rows_ in enumerate(solo):
        for acc, c, k in rows_:
            sa.append((acc, f"auth0|Scripted{j:02d}".lower(), "*", c, k))
    # Subjects that are not in the directory.
    for j in range(5):
        sa.append(("USER", f"auth0|gone{j:04d}", "*", "DE", "*"))
    # Both identities explicit: a user's row that applies only while the user holds that group.
    for j in range(min(3, nusers)):
        u = users[j * 7 % nusers]
        sa.append(("USER", u["subject"], u["groups"][0], COUNTRIES[j + 3], CATEGORIES[j + 2]))
    order = rng.permutation(len(sa))
    write_csv(
        os.path.join(data, "sa.csv"),
        ["ACCESS", "USERID", "GROUP", "COUNTRY", "CATEGORY"],
        (sa[i] for i in order),
    )

    write_scripts(out)
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(
            {
                "size": size,
                "seed": seed,
                "fact_rows": rows,
                "users": nusers,
                "groups": ngroups,
                "customers": ncust,
                "products": nprod,
                "sa_rows": len(sa),
                "generator_version": GENERATOR_VERSION,
            },
            f,
            indent=1,
        )
    return out


GENERATOR_VERSION = 2

TXT = "(txt, utf8, embedded labels, delimiter is ',', msq)"

SA_LOAD = f"""Section Access;
SecurityTable:
LOAD
    Upper(ACCESS) as ACCESS,
    Upper(USERID) as USERID,
    Upper([GROUP]) as [GROUP],
    Upper(COUNTRY) as COUNTRY,
    Upper(CATEGORY) as CATEGORY
FROM [../data/sa.csv] {TXT};
Section Application;
"""

STAR = f"""///$tab Main
// Generated by benches/tenant/generate.py: star model.
SET QlikCloudGroupMode = 0;

///$tab Section Access
{SA_LOAD}
///$tab Data
Orders:
LOAD OrderId, CustomerId, ProductId, Amount, COUNTRY
FROM [../data/orders.parquet] (parquet);

Customers:
LOAD CustomerId, CustomerName, Segment
FROM [../data/customers.csv] {TXT};

Products:
LOAD ProductId, ProductName, CATEGORY
FROM [../data/products.csv] {TXT};

Targets:
LOAD TargetYear, TargetAmount
FROM [../data/targets.csv] {TXT};
"""

SNOWFLAKE = f"""///$tab Main
// Generated by benches/tenant/generate.py: snowflake model. QlikCloudGroupMode is unset (= 0, IdP groups).

///$tab Section Access
{SA_LOAD}
///$tab Data
Orders:
LOAD OrderId, CustomerId, ProductId, Amount
FROM [../data/orders.parquet] (parquet);

Customers:
LOAD CustomerId, CustomerName, Segment, COUNTRY
FROM [../data/customers.csv] {TXT};

Products:
LOAD ProductId, ProductName, CategoryId
FROM [../data/products.csv] {TXT};

Categories:
LOAD CategoryId, CATEGORY, CategoryName
FROM [../data/categories.csv] {TXT};

Targets:
LOAD TargetYear, TargetAmount
FROM [../data/targets.csv] {TXT};
"""


def write_scripts(out):
    for name, text in (("star", STAR), ("snowflake", SNOWFLAKE)):
        os.makedirs(os.path.join(out, name), exist_ok=True)
        with open(os.path.join(out, name, "app.qvs"), "w", encoding="utf-8") as f:
            f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=sorted(SIZES), required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=20240601)
    a = ap.parse_args()
    generate(a.size, a.out, a.seed)


if __name__ == "__main__":
    main()
