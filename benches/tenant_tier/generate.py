#!/usr/bin/env python3
"""Seeded, deterministic generator of a Qlik Cloud tenant at scale, for the tenant-stage benchmark.

Python 3 standard library only. Writes, into OUT/:

  tenant/            a `--tenant DIR` folder in the shapes the `qlik` CLI writes (shared/spec/tenant.md §1,
                     shared/research/tenant-model.md §1-§5):
    users.json           `qlik user ls` (bare array): id, subject, name, email, status, assignedRoles,
                         assignedGroups (id, name, providerType, assignedRoles), links, ...
    groups.json          `qlik group ls` (bare array): IdP and custom groups, some disabled, some with roles
    system-groups.json   `qlik group ls --systemGroups`: Everyone, auto-assigning roles to every user
    roles.json           `qlik role ls` as two `{data, links}` pages concatenated: UserDefault, the system
                         roles, custom roles
    spaces.json          `qlik space ls`: shared, managed and data spaces with meta.assignableRoles
    assignments/<id>.json, shares/<id>.json   one file per space (`qlik space assignment|share ls`)
    items.json           `qlik item ls --resourceType app`: the benchmarked app and many others
  app.qvs            `SET QlikCloudGroupMode = 2;` Section Access (ACCESS, USERID, GROUP, COUNTRY) from
                     data/sa.csv with USERID and GROUP rows, then the app: Sales (the fact, with
                     COUNTRY) and Products. COUNTRY is in one table only: a reduction field that is a key
                     (in two tables) takes the message-passing path per selection, 60x slower at 100k
                     users, which would make the tenant stage look cheap
  nosa.qvs           the same app without Section Access (the driver's baseline: loading alone)
  data/              sales.csv, products.csv, sa.csv
  manifest.json      sizes, the app's resourceId, name and space, the generator version

Sizes: `small` (1k users, 100 groups, 20 spaces, 20k rows) and `full` (100k users, 10k groups, 500
spaces, 1M rows). Same --seed and size: byte-identical files.
"""

import argparse
import json
import os
import random
import sys

GENERATOR_VERSION = 2

SIZES = {
    # users, groups, spaces, fact rows, apps
    "small": dict(users=1_000, groups=100, spaces=20, rows=20_000, apps=100),
    "full": dict(users=100_000, groups=10_000, spaces=500, rows=1_000_000, apps=2_000),
}

TENANT = "BenchTierTenant00000000000000000"
HOST = "https://bench.eu.qlikcloud.com/api/v1"
EVERYONE_ID = "000000000000000000000001"
APP_NAME = "Sales Analytics"
APP_RESOURCE_ID = "5a1e5a1e-0000-4000-8000-000000000001"

COUNTRIES = (
    "US DE FR GB IT ES NL BE SE PL CH AT DK NO FI IE PT CZ HU RO GR SK BG HR SI LT LV EE LU MT "
    "CY CA MX BR AR JP KR AU NZ IN"
).split()
DEPTS = ["Sales", "Finance", "Ops", "Marketing", "Support", "Analytics", "Logistics", "Legal", "HR", "IT"]

# Space roles a space type has (qlik.dev space-roles; the table qsa follows, T12).
ASSIGNABLE = {
    "shared": ["codeveloper", "consumer", "dataconsumer", "facilitator", "producer"],
    "managed": ["basicconsumer", "consumer", "contributor", "dataconsumer", "facilitator", "operator", "publisher"],
    "data": ["consumer", "dataconsumer", "datapreview", "facilitator", "operator", "producer", "publisher"],
}
SHARE_ROLES = ["consumer", "contributor", "basicconsumer"]

# (name, level, type, assignedScopes, permissions)
ROLES = [
    ("UserDefault", "user", "default", ["apps.image:export", "notes"], []),
    ("AnalyticsAdmin", "admin", "default", [], ["automation:list", "space:read"]),
    ("AuditAdmin", "admin", "default", [], ["audit:read"]),
    ("AutomationCreator", "user", "default", [], ["automation:create"]),
    ("CollaborationPlatformUser", "user", "default", [], []),
    ("DataAdmin", "admin", "default", [], ["dataset:manage"]),
    ("DataSpaceCreator", "user", "default", [], ["space:create"]),
    ("EmbeddedAnalyticsUser", "user", "default", [], []),
    ("ManagedSpaceCreator", "user", "default", [], ["space:create"]),
    ("PrivateAnalyticsContentCreator", "user", "default", [], ["app:create"]),
    ("SharedSpaceCreator", "user", "default", [], ["space:create"]),
    ("Steward", "user", "default", [], []),
    ("TenantAdmin", "admin", "default", [], ["tenant:manage", "space:read"]),
    ("Exporters", "user", "custom", ["apps.data:export"], []),
    ("Image Exporters", "user", "custom", ["apps.image:export"], []),
    ("Report Authors", "user", "custom", ["reports:create", "notes"], []),
    ("API Users", "user", "custom", ["api-keys"], []),
    ("Automation Viewers", "user", "custom", ["automations:read"], []),
]
# Roles groups may hold (weights), and users directly.
GROUP_ROLES = [("Exporters", 4), ("Image Exporters", 2), ("Report Authors", 2), ("SharedSpaceCreator", 3),
               ("ManagedSpaceCreator", 1), ("AutomationCreator", 1), ("API Users", 1), ("AnalyticsAdmin", 0.2)]
DIRECT_ROLES = [("SharedSpaceCreator", 5), ("Exporters", 3), ("PrivateAnalyticsContentCreator", 2),
                ("DataSpaceCreator", 1), ("Steward", 1), ("API Users", 1)]
STATUSES = [("active", 0.93), ("provisioned", 0.03), ("invited", 0.02), ("disabled", 0.015), ("deleted", 0.005)]


def hex24(prefix, i):
    return f"{prefix}{i:0{24 - len(prefix)}x}"


def stamp(rng, year0=2023):
    return (f"{rng.randint(year0, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}Z")


def zipf_cum(n, s):
    w, acc = [], 0.0
    for i in range(n):
        acc += 1.0 / (i + 1) ** s
        w.append(acc)
    return w


def weighted(rng, pairs):
    names = [p[0] for p in pairs]
    return rng.choices(names, weights=[p[1] for p in pairs])[0]


def dump(path, obj):
    """JSON as the qlik CLI prints it (indented); one write."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(obj, indent=2, ensure_ascii=False))
        f.write("\n")


def dump_compact_array(path, items):
    """A big bare array, one item a line (valid JSON; written in pieces to keep memory flat)."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("[\n")
        for i, it in enumerate(items):
            if i:
                f.write(",\n")
            f.write(json.dumps(it, ensure_ascii=False, separators=(", ", ": ")))
        f.write("\n]\n")


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


def role_ref(role_ids, name):
    level = next(r[1] for r in ROLES if r[0] == name)
    kind = next(r[2] for r in ROLES if r[0] == name)
    return {"id": role_ids[name], "name": name, "type": kind, "level": level}


def generate(size, out, seed=1, quiet=False):
    cfg = SIZES[size]
    rng = random.Random(f"{seed}/{size}")
    log = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    tdir = os.path.join(out, "tenant")
    data = os.path.join(out, "data")
    for d in (tdir, data, os.path.join(tdir, "assignments"), os.path.join(tdir, "shares")):
        os.makedirs(d, exist_ok=True)
    nusers, ngroups, nspaces, nrows, napps = (cfg[k] for k in ("users", "groups", "spaces", "rows", "apps"))

    # ---- roles ----
    role_ids = {r[0]: hex24("65a0", i + 1) for i, r in enumerate(ROLES)}
    roles = []
    for name, level, kind, scopes, perms in ROLES:
        r = {"id": role_ids[name], "tenantId": TENANT, "name": name, "description": "", "type": kind,
             "level": level}
        if kind == "custom" or name == "UserDefault":
            r["assignedScopes"] = scopes
        r.update({"permissions": perms, "canEdit": kind == "custom", "canDelete": kind == "custom",
                  "userEntitlementType": "", "createdAt": "2021-03-23T16:34:55.401Z",
                  "lastUpdatedAt": "2025-04-29T12:06:44.246Z",
                  "links": {"self": {"href": f"{HOST}/roles/{role_ids[name]}"}}})
        roles.append(r)
    half = len(roles) // 2
    with open(os.path.join(tdir, "roles.json"), "w", encoding="utf-8", newline="\n") as f:
        # Two `--raw` pages, concatenated (tenant.md §1: several documents in one file).
        for page, (lo, hi) in enumerate(((0, half), (half, len(roles)))):
            doc = {"data": roles[lo:hi], "links": {"self": {"href": f"{HOST}/roles?limit={half}&page={page}"}}}
            f.write(json.dumps(doc, indent=2) + "\n")

    # ---- Everyone: auto-assigned roles (T3) ----
    everyone = {"id": EVERYONE_ID, "tenantId": TENANT, "name": "com.qlik.Everyone", "status": "active",
                "assignedRoles": [role_ref(role_ids, "SharedSpaceCreator"), role_ref(role_ids, "Report Authors")],
                "createdAt": "2023-05-25T07:52:58.816Z", "lastUpdatedAt": "2025-10-01T12:00:00.000Z"}
    dump(os.path.join(tdir, "system-groups.json"), [everyone])

    # ---- groups: 70% IdP, 30% custom (CG-), 1% disabled, 8% holding roles ----
    groups = []
    for i in range(ngroups):
        gid = hex24("66aa", i + 1)
        custom = rng.random() < 0.3
        dept, country = DEPTS[i % len(DEPTS)], COUNTRIES[(i // len(DEPTS)) % len(COUNTRIES)]
        name = f"CG-{dept}-{country}-{i:05d}" if custom else f"{dept} {country} {i:05d}"
        if not custom and i % 4 == 1:
            name = name.lower()  # IdPs spell names in any case; GROUP compares upper-cased
        g_roles = []
        if rng.random() < 0.08:
            g_roles = [role_ref(role_ids, weighted(rng, GROUP_ROLES))]
        g = {"id": gid, "tenantId": TENANT, "name": name, "status": "disabled" if rng.random() < 0.01 else "active",
             "providerType": "custom" if custom else "idp", "createdAt": stamp(rng),
             "lastUpdatedAt": stamp(rng), "assignedRoles": g_roles,
             "links": {"self": {"href": f"{HOST}/groups/{gid}"}}}
        if custom:
            g["description"] = f"{dept} readers in {country}"
            g["createdBy"] = hex24("65f1", 1)
        else:
            g["idpId"] = "64bb0000000000000000d0d0"
        groups.append(g)
    dump(os.path.join(tdir, "groups.json"), groups)
    log(f"  groups: {ngroups:,}")

    # ---- users: 1-20 groups each (P(k) ~ 1/k), groups Zipf-popular ----
    group_order = list(range(ngroups))
    rng.shuffle(group_order)
    gcum = zipf_cum(ngroups, 0.9)
    kcum = zipf_cum(20, 1.0)
    statuses = [s for s, _ in STATUSES]
    status_w = [w for _, w in STATUSES]
    users = []
    for i in range(nusers):
        uid = hex24("65f1", i + 1)
        k = rng.choices(range(1, 21), cum_weights=kcum)[0]
        held = []
        while len(held) < k:
            g = group_order[rng.choices(range(ngroups), cum_weights=gcum)[0]]
            if g not in held:
                held.append(g)
        subject = (f"auth0|{uid}" if i % 3 == 0 else f"00u{i:07d}{rng.getrandbits(40):010x}"
                   if i % 3 == 1 else f"waad|{rng.getrandbits(96):024x}")
        status = rng.choices(statuses, weights=status_w)[0]
        if i % 20_011 == 7:
            status = None  # no status: T7 unknown
        direct = []
        if rng.random() < 0.12:
            direct.append(role_ref(role_ids, weighted(rng, DIRECT_ROLES)))
        if i % 5_000 == 11:
            direct.append(role_ref(role_ids, "TenantAdmin"))
        u = {"id": uid, "tenantId": TENANT, "subject": subject, "name": f"User {i:06d}",
             "email": f"user{i:06d}@example.org"}
        if status is not None:
            u["status"] = status
        if status == "invited":
            u["inviteExpiry"] = 1767225600
        u.update({"locale": "en", "createdAt": stamp(rng), "lastUpdatedAt": stamp(rng), "assignedRoles": direct,
                  "assignedGroups": [{"id": groups[g]["id"], "name": groups[g]["name"],
                                      "providerType": groups[g]["providerType"],
                                      "assignedRoles": groups[g]["assignedRoles"]} for g in held],
                  "assignedScopes": [], "links": {"self": {"href": f"{HOST}/users/{uid}"}}})
        users.append(u)
    dump_compact_array(os.path.join(tdir, "users.json"), users)
    log(f"  users: {nusers:,}")
    active = [u for u in users if u.get("status") == "active"]

    # ---- spaces: 55% shared, 40% managed, 5% data; space 0 (managed) holds the app ----
    spaces = []
    for i in range(nspaces):
        sid = hex24("66f0", i + 1)
        kind = "managed" if i == 0 else rng.choices(["shared", "managed", "data"], weights=[55, 40, 5])[0]
        name = "Sales Analytics (prod)" if i == 0 else f"{DEPTS[i % len(DEPTS)]} {kind} {i:04d}"
        owner = rng.choice(active)["id"]
        spaces.append({"id": sid, "tenantId": TENANT, "name": name, "description": "", "type": kind,
                       "ownerId": owner, "createdAt": stamp(rng), "createdBy": owner, "updatedAt": stamp(rng),
                       "meta": {"actions": ["read"], "roles": [], "assignableRoles": ASSIGNABLE[kind]},
                       "links": {"self": {"href": f"{HOST}/spaces/{sid}"},
                                 "assignments": {"href": f"{HOST}/spaces/{sid}/assignments"}}})
    dump(os.path.join(tdir, "spaces.json"), spaces)

    # ---- assignments: groups and users per space; the app's space gets many ----
    app_space = spaces[0]
    n_assign = 0
    for si, sp in enumerate(spaces):
        kind = sp["type"]
        roles_here = ASSIGNABLE[kind]
        if si == 0:
            n_g, n_u = min(ngroups, max(10, ngroups // 30)), min(nusers, max(20, nusers // 200))
        else:
            n_g, n_u = rng.randint(2, min(ngroups, 30)), rng.randint(0, min(nusers, 20))
        items = []
        for g in rng.sample(range(ngroups), n_g):
            if si == 0:
                # Opening roles mostly; publisher and dataconsumer do not open in managed spaces (T12).
                r = rng.choices(["consumer", "basicconsumer", "contributor", "operator", "publisher",
                                 "dataconsumer", "facilitator"], weights=[50, 15, 8, 4, 10, 10, 3])[0]
                rs = [r]
            else:
                rs = rng.sample(roles_here, rng.choice([1, 1, 1, 2]))
            items.append(("group", groups[g]["id"], rs))
        for u in rng.sample(range(nusers), n_u):
            rs = [rng.choice(roles_here)]
            if si == 0 and rng.random() < 0.05:
                rs = ["producer"]  # a role managed spaces lack: warned, ignored (T12)
            items.append(("user", users[u]["id"], rs))
        if si != 0 and kind != "data" and rng.random() < 0.04:
            items.append(("group", EVERYONE_ID, ["consumer"]))
        out_items = []
        for j, (t, who, rs) in enumerate(items):
            aid = f"67b{si:05x}{j:016x}"
            out_items.append({"id": aid, "type": t, "assigneeId": who, "roles": rs, "spaceId": sp["id"],
                              "tenantId": TENANT, "createdAt": stamp(rng), "createdBy": sp["ownerId"],
                              "updatedAt": stamp(rng), "updatedBy": sp["ownerId"],
                              "links": {"self": {"href": f"{HOST}/spaces/{sp['id']}/assignments/{aid}"},
                                        "space": {"href": f"{HOST}/spaces/{sp['id']}"}}})
        n_assign += len(out_items)
        dump(os.path.join(tdir, "assignments", f"{sp['id']}.json"), out_items)
    log(f"  spaces: {nspaces:,}, assignments: {n_assign:,}")

    # ---- items: apps across shared/managed spaces and personal spaces ----
    app_spaces = [s for s in spaces if s["type"] != "data"]
    apps = []
    for i in range(napps):
        rid = APP_RESOURCE_ID if i == 0 else f"{rng.getrandbits(32):08x}-0000-4000-8000-{i:012x}"
        if i == 0:
            sp = app_space
        else:
            sp = None if rng.random() < 0.05 else rng.choice(app_spaces)
        owner = sp["ownerId"] if sp and rng.random() < 0.5 else rng.choice(active)["id"]
        sid = sp["id"] if sp else ""
        apps.append({"id": hex24("6701", i + 1), "name": APP_NAME if i == 0 else f"App {i:05d}",
                     "resourceId": rid, "resourceType": "app",
                     "resourceAttributes": {"spaceId": sid, "hasSectionAccess": i == 0, "owner": owner},
                     "spaceId": sid, "ownerId": owner, "tenantId": TENANT, "createdAt": stamp(rng),
                     "links": {"self": {"href": f"{HOST}/items/{hex24('6701', i + 1)}"}}})
    dump(os.path.join(tdir, "items.json"), apps)

    # ---- shares: a few per space; the app: users and groups, some disabled, one link ----
    by_space = {}
    for a in apps[1:]:
        if a["spaceId"]:
            by_space.setdefault(a["spaceId"], []).append(a)
    n_shares = 0
    for si, sp in enumerate(spaces):
        items = []
        if si == 0:
            targets = [(apps[0], "user", users[u]["id"]) for u in rng.sample(range(nusers), max(5, nusers // 700))]
            targets += [(apps[0], "group", groups[g]["id"]) for g in rng.sample(range(ngroups), max(2, ngroups // 500))]
            targets.append((apps[0], "link", ""))
        else:
            targets = []
            for a in by_space.get(sp["id"], [])[:3]:
                for _ in range(rng.randint(0, 3)):
                    if rng.random() < 0.7:
                        targets.append((a, "user", rng.choice(users)["id"]))
                    else:
                        targets.append((a, "group", rng.choice(groups)["id"]))
        for j, (a, t, who) in enumerate(targets):
            items.append({"id": f"68c{si:05x}{j:016x}", "type": t, "assigneeId": who,
                          "resourceId": a["resourceId"], "resourceName": a["name"], "resourceType": "app",
                          "roles": [rng.choices(SHARE_ROLES, weights=[70, 10, 20])[0]],
                          "disabled": rng.random() < 0.1, "spaceId": sp["id"], "tenantId": TENANT,
                          "createdAt": stamp(rng)})
        n_shares += len(items)
        dump(os.path.join(tdir, "shares", f"{sp['id']}.json"), items)
    log(f"  apps: {napps:,}, shares: {n_shares:,}")

    # ---- Section Access: GROUP rows for 60% of groups, USERID rows for 3% of users ----
    sa = [("ADMIN", "INTERNAL\\SA_SCHEDULER", "*", "*")]
    ccum = zipf_cum(len(COUNTRIES), 1.1)
    for g in groups:
        if rng.random() >= 0.6:
            continue
        access = "ADMIN" if rng.random() < 0.01 else "USER"
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            c = "*" if rng.random() < 0.03 else COUNTRIES[rng.choices(range(len(COUNTRIES)), cum_weights=ccum)[0]]
            sa.append((access, "*", g["name"], c))
    for u in users:
        if rng.random() < 0.03:
            access = "ADMIN" if rng.random() < 0.1 else "USER"
            c = "*" if access == "ADMIN" and rng.random() < 0.5 else rng.choice(COUNTRIES)
            sa.append((access, u["subject"], "*", c))
    # Subjects that no user of the tenant has.
    for i in range(max(3, nusers // 1000)):
        sa.append(("USER", f"auth0|departed{i:05d}", "*", rng.choice(COUNTRIES)))
    write_csv(os.path.join(data, "sa.csv"), ["ACCESS", "USERID", "GROUP", "COUNTRY"], sa)
    log(f"  section access rows: {len(sa):,}")

    # ---- app data: Sales (the fact, with the reduction field COUNTRY), Products ----
    nprod = max(100, nrows // 200)
    write_csv(os.path.join(data, "products.csv"), ["ProductId", "ProductName", "Category"],
              [(p + 1, f"Product {p + 1}", DEPTS[p % len(DEPTS)]) for p in range(nprod)])
    pcum = zipf_cum(nprod, 0.8)
    with open(os.path.join(data, "sales.csv"), "w", encoding="utf-8", newline="\n") as f:
        f.write("OrderId,COUNTRY,ProductId,Amount\n")
        chunk = 100_000
        for start in range(0, nrows, chunk):
            n = min(chunk, nrows - start)
            cs = rng.choices(COUNTRIES, cum_weights=ccum, k=n)
            ps = rng.choices(range(1, nprod + 1), cum_weights=pcum, k=n)
            f.write("".join(f"{start + j + 1},{cs[j]},{ps[j]},{rng.randint(100, 99999) / 100}\n" for j in range(n)))
    log(f"  sales rows: {nrows:,}")

    txt = "(txt, utf8, embedded labels, delimiter is ',', msq)"
    app_tables = f"""///$tab Data
Sales:
LOAD OrderId, COUNTRY, ProductId, Amount
FROM [data/sales.csv] {txt};

Products:
LOAD ProductId, ProductName, Category
FROM [data/products.csv] {txt};
"""
    with open(os.path.join(out, "app.qvs"), "w", encoding="utf-8", newline="\n") as f:
        f.write(f"""///$tab Main
// Generated by benches/tenant_tier/generate.py ({size}, seed {seed}): the app `{APP_NAME}`.
SET QlikCloudGroupMode = 2;

///$tab Section Access
Section Access;
SecurityTable:
LOAD
    Upper(ACCESS) as ACCESS,
    Upper(USERID) as USERID,
    Upper([GROUP]) as [GROUP],
    Upper(COUNTRY) as COUNTRY
FROM [data/sa.csv] {txt};
Section Application;

{app_tables}""")
    with open(os.path.join(out, "nosa.qvs"), "w", encoding="utf-8", newline="\n") as f:
        f.write(f"""///$tab Main
// Generated by benches/tenant_tier/generate.py ({size}, seed {seed}): `{APP_NAME}` without Section Access.
SET QlikCloudGroupMode = 2;

{app_tables}""")
    manifest = {"generator_version": GENERATOR_VERSION, "size": size, "seed": seed, **cfg,
                "app": {"resourceId": APP_RESOURCE_ID, "name": APP_NAME, "spaceId": app_space["id"],
                        "spaceType": app_space["type"]},
                "assignments": n_assign, "shares": n_shares, "section_access_rows": len(sa)}
    dump(os.path.join(out, "manifest.json"), manifest)
    return manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=sorted(SIZES), default="small")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="output folder (created)")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    m = generate(a.size, a.out, a.seed, a.quiet)
    print(json.dumps(m, indent=2))


if __name__ == "__main__":
    main()
