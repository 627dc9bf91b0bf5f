#!/usr/bin/env python3
"""The tenant stage at scale (issue 10): how much `--tenant` adds to `qsa report`, against what Section
Access adds, in the same run, on the same generated files. Python 3 standard library only.

Three runs of the same binary per size (each `--format json --stats`, stdout to a file):
  (c) load     `qsa report nosa.qvs --directory users.json --groups groups.json`: the app without Section
               Access (loading the data, reading the users, output)
  (a) SA       `qsa report app.qvs --directory users.json --groups groups.json`: Section Access alone, the
               tenant's users as the directory
  (b) tenant   `qsa report app.qvs --tenant DIR --app ID`: the tenant tier joined with Section Access

The criterion (must be < 1 for `full`):
  process  whole-process wall time: (b - a) / (a - c), what --tenant adds to the report's time over what
           Section Access adds
Also printed, from `--stats` (information, see README.md):
  work     (b)'s tenant stage (reading the exports, the users' Section Access identity, T1-T18, the T15
           join; wall time, on its own thread while the script runs) / (b)'s Section Access stage
           (prepare + evaluate): strict, all of users.json is the tenant's
  critical path   what the tenant stage holds the report up: waiting for its thread after the script
           ran, plus the lints and the join / the same Section Access stage

Checks (exit 1 when one fails): an independent computation of opening the app (T6, T7, T10-T14) and of
the download (T16) on the generated JSON, for every user, equals (b)'s `tenant.open.can` and
`tenant.export`; users that open have the same access, reduction and rows in (a) and (b); users the tenant
denies are DENIED in (b) with Section Access alone kept in `tenant.section_access` (equal to (a)'s access
for active users); (b) run twice gives byte-identical output.
"""

import argparse
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import generate  # noqa: E402

# The process timing and peak-RSS polling of the DuckDB benchmark (benches/tenant/run.py).
_spec = importlib.util.spec_from_file_location("tenant_bench_run", os.path.join(ROOT, "benches", "tenant", "run.py"))
_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_bench)
timed, fmt_bytes, default_qsa = _bench.timed, _bench.fmt_bytes, _bench.default_qsa

EVERYONE = generate.EVERYONE_ID
# tenant.md T12, T14 (written again here from the spec, not shared with qsa).
OPENING = {
    "shared": {"consumer", "producer", "facilitator", "codeveloper"},
    "managed": {"consumer", "contributor", "basicconsumer", "facilitator", "operator"},
}
SHARE_OPENING = {"consumer", "contributor", "basicconsumer"}
ADMINS = {"TenantAdmin", "AnalyticsAdmin"}


def read_docs(path):
    """Items of a qlik export: a bare array, `{data}` pages, several documents concatenated."""
    text = open(path, encoding="utf-8").read()
    dec, i, out = json.JSONDecoder(), 0, []
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        doc, i = dec.raw_decode(text, i)
        out.extend(doc if isinstance(doc, list) else doc.get("data", [doc]))


def expected_tenant(tdir, app_id):
    """qlik id -> (opens, export) by tenant.md T4, T6, T7, T10-T14, T16, from the JSON files alone."""
    users = read_docs(os.path.join(tdir, "users.json"))
    groups = {g["id"]: g for g in read_docs(os.path.join(tdir, "groups.json"))}
    everyone = next(g for g in read_docs(os.path.join(tdir, "system-groups.json")) if g["id"] == EVERYONE)
    roles = {r["name"]: r for r in read_docs(os.path.join(tdir, "roles.json"))}
    spaces = {s["id"]: s for s in read_docs(os.path.join(tdir, "spaces.json"))}
    app = next(i for i in read_docs(os.path.join(tdir, "items.json")) if i["resourceId"] == app_id)
    space_id = (app.get("resourceAttributes") or {}).get("spaceId") or app.get("spaceId") or ""
    grants = {}  # assignee id -> does it open the app (a space role or a share)
    if space_id:
        kind = spaces[space_id]["type"]
        for a in read_docs(os.path.join(tdir, "assignments", f"{space_id}.json")):
            if a["type"] in ("user", "group") and set(a["roles"]) & OPENING[kind]:
                grants[a["assigneeId"]] = True
        for name in sorted(os.listdir(os.path.join(tdir, "shares"))):
            for s in read_docs(os.path.join(tdir, "shares", name)):
                if (s["type"] in ("user", "group") and not s.get("disabled") and s["resourceId"] in (app_id, app["id"])
                        and set(s["roles"]) & SHARE_OPENING):
                    grants[s["assigneeId"]] = True
    everyone_on = everyone.get("status", "active") != "disabled"
    out = {}
    for u in users:
        status_ok = (u.get("status") or "").lower() in ("active", "provisioned")
        held = [g for g in u.get("assignedGroups", []) if g["id"] != EVERYONE]
        enabled = [g for g in held if groups.get(g["id"], {}).get("status") != "disabled"]
        role_names = {r["name"] for r in u.get("assignedRoles", [])}
        for g in enabled:
            src = groups[g["id"]]["assignedRoles"] if g["id"] in groups else g.get("assignedRoles") or []
            role_names |= {r["name"] for r in src}
        if everyone_on:
            role_names |= {r["name"] for r in everyone.get("assignedRoles", [])}
        role_names.add("UserDefault")
        if not space_id:
            opens = app["ownerId"] == u["id"]  # T10
        else:
            grantees = [u["id"]] + [g["id"] for g in enabled] + ([EVERYONE] if everyone_on else [])
            opens = (spaces[space_id]["ownerId"] == u["id"]  # T11
                     or any(grants.get(x) for x in grantees)  # T11, T12, T14
                     or (kind == "shared" and bool(role_names & ADMINS)))  # T13
        opens = opens and status_ok  # T7
        scopes = set()
        for r in role_names:
            scopes |= set(roles[r].get("assignedScopes") or [])
        export = ("not-allowed" if not opens else "allowed" if "apps.data:export" in scopes
                  else "no-data" if "apps.image:export" in scopes else "not-allowed")
        out[u["id"]] = (opens, export, status_ok)
    return out


STATS = re.compile(r"run script \+ directory ([\d.]+)s, prepare ([\d.]+)s, evaluate ([\d.]+)s, output ([\d.]+)s")
TENANT = re.compile(r"^qsa: tenant ([\d.]+)s \((.*?)\)(?:; .*waited for ([\d.]+)s)?$", re.M)


def stats_of(stderr_text):
    m = STATS.search(stderr_text)
    st = {}
    if m:
        st = dict(zip(("load", "prepare", "evaluate", "output"), map(float, m.groups())))
    t = TENANT.search(stderr_text)
    if t:
        st["tenant"] = float(t.group(1))
        st["tenant_steps"] = t.group(2)
        if t.group(3) is not None:
            st["tenant_waited"] = float(t.group(3))
    return st


def join_of(st):
    """The seconds of the steps after the script in a `--stats` tenant line: the lints and the join
    (`lints X s, join Y s`; older binaries: `join`, or `lints and join`)."""
    steps = st.get("tenant_steps", "")
    return sum(float(m.group(1)) for m in re.finditer(r"(?:^|, )(?:lints|join|lints and join) ([\d.]+)s", steps))


def users_of(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    return {u["id"]: u for u in doc["users"]}


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check(gen, runs, show=5):
    """Correctness checks; returns (lines, ok)."""
    lines, ok = [], True
    man = gen["manifest"]
    want = expected_tenant(gen["tenant"], man["app"]["resourceId"])
    a, b = users_of(runs["a"]["stdout"]), users_of(runs["b"]["stdout"])
    by_qlik = {u["tenant"]["qlik_id"]: u for u in b.values()}
    bad_open = [q for q, (opens, export, _) in want.items()
                if q not in by_qlik or by_qlik[q]["tenant"]["open"]["can"] != opens
                or by_qlik[q]["tenant"]["export"] != export]
    n_open = sum(1 for o, _, _ in want.values() if o)
    lines.append(f"open/export (T6, T7, T10-T14, T16) independent vs qsa: {len(want) - len(bad_open)}/{len(want)} "
                 f"agree; {n_open} users open the app")
    for q in bad_open[:show]:
        got = by_qlik.get(q, {}).get("tenant", {})
        lines.append(f"    {q}: expected {want[q][:2]}, qsa open {got.get('open')}, export {got.get('export')}")
    ok &= not bad_open and len(by_qlik) == len(want)
    same, diff_open, diff_denied = 0, [], []
    for sid, ub in b.items():
        ua = a.get(sid)
        opens, _, status_ok = want.get(ub["tenant"]["qlik_id"], (None, None, None))
        if ua is None:
            diff_open.append((sid, "not in (a)"))
            continue
        if opens:
            fa = (ua["access"], ua["reduction"], ua["tables"], ua["omitted_fields"])
            fb = (ub["access"], ub["reduction"], ub["tables"], ub["omitted_fields"])
            if fa == fb:
                same += 1
            else:
                diff_open.append((sid, f"(a) {fa[:2]} vs (b) {fb[:2]}"))
        else:
            good = ub["access"] == "DENIED" and ub["denied_reason"] in ("status", "tenant: cannot open the app")
            if status_ok:
                good &= ub["tenant"]["section_access"] == ua["access"]
            if not good:
                diff_denied.append((sid, f"(b) {ub['access']} {ub['denied_reason']}, section_access "
                                         f"{ub['tenant']['section_access']}; (a) {ua['access']}"))
    lines.append(f"users that open: access, reduction, rows, omitted fields equal in (a) and (b): {same}/{n_open}")
    lines.extend(f"    {s}: {d}" for s, d in diff_open[:show])
    lines.append(f"users the tenant denies: DENIED in (b), Section Access alone = (a): "
                 f"{len(b) - n_open - len(diff_denied)}/{len(b) - n_open}")
    lines.extend(f"    {s}: {d}" for s, d in diff_denied[:show])
    ok &= not diff_open and not diff_denied and same == n_open
    return lines, ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="small", help=f"comma-separated: {', '.join(generate.SIZES)}")
    ap.add_argument("--qsa", default=None, help="the qsa binary (default: $CARGO_TARGET_DIR or target/, release)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench-out", "tenant_tier"), help="files and results")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="rounds of the three runs (the fastest of each counts)")
    ap.add_argument("--regen", action="store_true", help="generate the files again")
    ap.add_argument("--timeout", type=float, default=1200, help="seconds per process (default 1200)")
    ap.add_argument("--max-rss-gib", type=float, default=16, help="kill a process above this resident set")
    ap.add_argument("--no-check", action="store_true", help="skip the correctness checks")
    ap.add_argument("--check-only", action="store_true",
                    help="no runs: check the outputs of the last run (e.g. after timing under /work/quiet.sh "
                         "with --no-check)")
    ap.add_argument("--busy", type=int, default=0,
                    help="run N busy loops (un-niced processes) while timing: the ratio on a machine whose cores "
                         "are shared")
    ap.add_argument("--bench", action="store_true", help=argparse.SUPPRESS)  # what `cargo bench` appends
    a = ap.parse_args()
    qsa = a.qsa or default_qsa()
    if not qsa or not os.path.exists(qsa):
        sys.exit("no qsa binary: build it (cargo build --release) and pass --qsa PATH")
    qsa = os.path.abspath(qsa)
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(a.busy)]
    try:
        run_sizes(a, ap, qsa)
    finally:
        for p in busy:
            p.kill()


def run_sizes(a, ap, qsa):
    print(f"qsa: {qsa}\nmachine: {os.cpu_count()} cores", flush=True)
    failed = False
    for size in [s.strip() for s in a.size.split(",") if s.strip()]:
        if size not in generate.SIZES:
            ap.error(f"unknown size {size!r}; sizes: {', '.join(generate.SIZES)}")
        d = os.path.join(a.out, size)
        man_path = os.path.join(d, "manifest.json")
        man = json.load(open(man_path)) if os.path.exists(man_path) else {}
        if a.regen or man.get("generator_version") != generate.GENERATOR_VERSION or man.get("seed") != a.seed:
            print(f"[{size}] generating into {d} ...", flush=True)
            t0 = time.perf_counter()
            man = generate.generate(size, d, a.seed)
            print(f"[{size}] generated in {time.perf_counter() - t0:.1f} s", flush=True)
        tdir = os.path.join(d, "tenant")
        gen = {"manifest": man, "tenant": tdir}
        users = ["--directory", os.path.join(tdir, "users.json"), "--groups", os.path.join(tdir, "groups.json")]
        common = ["--format", "json", "--stats", "--quiet"]
        cmds = {
            "c": [qsa, "report", os.path.join(d, "nosa.qvs"), *users, *common],
            "a": [qsa, "report", os.path.join(d, "app.qvs"), *users, *common],
            "b": [qsa, "report", os.path.join(d, "app.qvs"), "--tenant", tdir, "--app",
                  man["app"]["resourceId"], *common],
        }
        runs_dir = os.path.join(d, "runs")
        os.makedirs(runs_dir, exist_ok=True)
        if a.check_only:
            lines, ok = check(gen, {k: {"stdout": os.path.join(runs_dir, f"{k}.json")} for k in ("a", "b")})
            for line in lines:
                print(f"[{size}] {line}")
            failed |= not ok
            continue
        best, digests = {}, {}
        for rnd in range(a.repeat + 1):
            # Round 0 warms the page cache (its times are not counted); its (b) output is kept for the
            # determinism check against the last round's.
            for k in ("c", "a", "b"):
                out, err = os.path.join(runs_dir, f"{k}.json"), os.path.join(runs_dir, f"{k}.stderr")
                load = os.getloadavg()[0]
                wall, rss, code = timed(cmds[k], out, err, a.timeout, a.max_rss_gib * 2**30)
                if code != 0:
                    print(f"[{size}] ({k}) failed (exit {code}): {' '.join(cmds[k])}\n"
                          + open(err, encoding="utf-8", errors="replace").read()[-3000:])
                    sys.exit(1)
                if k == "b":
                    digests.setdefault(digest(out), []).append(rnd)
                if rnd == 0:
                    continue
                st = stats_of(open(err, encoding="utf-8", errors="replace").read())
                print(f"[{size}] round {rnd} ({k}) {wall:.2f} s, max RSS {fmt_bytes(rss)}, load {load:.1f}; "
                      f"stats {st}", flush=True)
                if k not in best or wall < best[k]["wall"]:
                    best[k] = {"wall": wall, "rss": rss, "stats": st, "stdout": out, "load": load}
        b_st, a_st = best["b"]["stats"], best["a"]["stats"]
        sa_b = b_st["prepare"] + b_st["evaluate"]
        phase_ratio = b_st["tenant"] / sa_b if sa_b else float("inf")
        # A binary that reads the tenant after the script (no "waited for"): all of it holds the report up.
        held = b_st["tenant_waited"] + join_of(b_st) if "tenant_waited" in b_st else b_st["tenant"]
        critical = held / sa_b if sa_b else float("inf")
        t_a, t_b, t_c = best["a"]["wall"], best["b"]["wall"], best["c"]["wall"]
        proc_ratio = (t_b - t_a) / (t_a - t_c) if t_a > t_c else float("inf")
        print(f"\n[{size}] {man['users']:,} users, {man['groups']:,} groups, {man['spaces']} spaces, "
              f"{man['assignments']:,} assignments, {man['shares']:,} shares, {man['rows']:,} rows, "
              f"{man['section_access_rows']:,} Section Access rows")
        print(f"[{size}] whole process (fastest of {a.repeat}): (c) load {t_c:.2f} s {fmt_bytes(best['c']['rss'])}, "
              f"(a) SA {t_a:.2f} s {fmt_bytes(best['a']['rss'])}, (b) tenant {t_b:.2f} s {fmt_bytes(best['b']['rss'])}")
        waited = f", the report waited {b_st['tenant_waited']:.2f} s for it" if "tenant_waited" in b_st else ""
        print(f"[{size}] phases of (b): tenant {b_st['tenant']:.2f} s ({b_st['tenant_steps']}{waited}); Section Access "
              f"prepare {b_st['prepare']:.2f} s + evaluate {b_st['evaluate']:.2f} s = {sa_b:.2f} s; "
              f"(a): prepare {a_st['prepare']:.2f} + evaluate {a_st['evaluate']:.2f} s")
        print(f"[{size}] ratio tenant / Section Access, whole process: ({t_b:.2f} - {t_a:.2f}) / "
              f"({t_a:.2f} - {t_c:.2f}) = {proc_ratio:.2f}")
        print(f"[{size}] ratio tenant / Section Access, phases of (b): work {phase_ratio:.2f}; critical path "
              f"{critical:.2f} ({held:.2f} s: waiting for the tenant thread + the lints and the join)")
        row = {"size": size, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "qsa": qsa,
               "walls": {k: best[k]["wall"] for k in best}, "rss": {k: best[k]["rss"] for k in best},
               "stats": {k: best[k]["stats"] for k in best}, "phase_ratio": phase_ratio,
               "critical_path_ratio": critical, "process_ratio": proc_ratio}
        if proc_ratio >= 1:
            if size == "full":
                print(f"[{size}] FAIL: the tenant stage adds as much as Section Access or more")
                failed = True
            else:
                print(f"[{size}] (ratios of a {size} tenant are noise: the criterion is for `full`)")
        deterministic = len(digests) == 1
        print(f"[{size}] (b) output identical across {a.repeat + 1} runs: {'yes' if deterministic else 'NO'}")
        failed |= not deterministic
        if not a.no_check:
            lines, ok = check(gen, best)
            for line in lines:
                print(f"[{size}] {line}")
            row["checks_ok"] = ok
            failed |= not ok
        with open(os.path.join(a.out, "results.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
