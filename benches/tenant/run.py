#!/usr/bin/env python3
"""Side-by-side tenant benchmark: `qsa report --format json` against a DuckDB script computing the same
per-user result from the same files, whole process each, in the same run; agreement checked user by user.

    python3 benches/tenant/run.py --size tiny,1m-10k --qsa target/release/qsa
    cargo bench --bench tenant -- --size 1m-10k

See benches/tenant/README.md.
"""

import argparse
import json
import re
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SIZES = ["tiny", "1m-10k", "1m-100k", "10m-100k", "100m-100k"]
MODELS = ["star", "snowflake"]


def ensure_deps(install):
    missing = []
    for mod in ("duckdb", "pyarrow", "numpy"):
        try:
            __import__(mod)
        except ImportError:
            missing.append(mod)
    if not missing:
        return
    if not install:
        sys.exit(f"missing Python packages {missing}: pip install -r {HERE}/requirements.txt")
    print(f"installing {missing} (pip install -r benches/tenant/requirements.txt)", file=sys.stderr)
    subprocess.check_call(
        [sys.executable, "-m", "pip", "install", "--quiet", "-r", os.path.join(HERE, "requirements.txt")]
    )


def default_qsa():
    for d in (os.environ.get("CARGO_TARGET_DIR"), os.path.join(ROOT, "target")):
        if d:
            p = os.path.join(d, "release", "qsa")
            if os.path.exists(p):
                return p
    return None


def rss_of(pid):
    """(current, peak) resident set of a process in bytes, from /proc (0, 0 where not available). The
    peak (VmHWM) is the exec'd program's own; wait4's ru_maxrss also counts the forked driver's image."""
    cur = peak = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    cur = int(line.split()[1]) * 1024
                elif line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) * 1024
    except OSError:
        pass
    return cur, peak


KILLED = {"timeout": None, "memory": "memory"}


def timed(cmd, stdout_path, stderr_path, timeout, max_rss, cwd=None):
    """Run cmd as its own process group; wall seconds, max RSS (bytes) of the process, and its exit code,
    None when killed at the timeout, "memory" when killed for going over max_rss (the machine is shared:
    an out-of-memory kill could hit someone else's process)."""
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, start_new_session=True)
        deadline = t0 + timeout
        peak = 0
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                wall = time.perf_counter() - t0
                p.returncode = os.waitstatus_to_exitcode(status)
                # Linux reports ru_maxrss in KiB; prefer the program's own high-water mark when seen.
                return wall, peak or ru.ru_maxrss * 1024, p.returncode
            cur, hwm = rss_of(p.pid)
            peak = max(peak, hwm)
            why = None
            if time.perf_counter() > deadline:
                why = "timeout"
            elif max_rss and cur > max_rss:
                why = "memory"
            if why:
                os.killpg(p.pid, signal.SIGKILL)
                _, status, ru = os.wait4(p.pid, 0)
                p.returncode = -9
                return time.perf_counter() - t0, peak or ru.ru_maxrss * 1024, KILLED[why]
            time.sleep(0.02)


def load_qsa(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    users = {}
    for u in doc.get("users", []):
        users[u["id"]] = {
            "access": u.get("access"),
            "reduction": u.get("reduction"),
            "tables": {t: c.get("rows") for t, c in (u.get("tables") or {}).items()},
        }
    return doc, users


def load_lines(path):
    users = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            users[r["id"]] = {"access": r["access"], "reduction": r["reduction"], "tables": r["tables"]}
    return users


def compare(a, b, a_name, b_name, show=5):
    """Users agreeing / total; details of the first disagreements."""
    ids = sorted(set(a) | set(b))
    bad = []
    for i in ids:
        x, y = a.get(i), b.get(i)
        if x is None or y is None:
            bad.append((i, f"only in {b_name if x is None else a_name}"))
            continue
        diffs = []
        for k in ("access", "reduction", "tables"):
            if x[k] != y[k]:
                if k == "tables":
                    dt = {
                        t: (x[k].get(t), y[k].get(t))
                        for t in sorted(set(x[k]) | set(y[k]))
                        if x[k].get(t) != y[k].get(t)
                    }
                    diffs.append(f"tables {a_name} vs {b_name}: {dt}")
                else:
                    diffs.append(f"{k}: {a_name} {json.dumps(x[k])} vs {b_name} {json.dumps(y[k])}")
        if diffs:
            bad.append((i, "; ".join(diffs) + f"  [{a_name} access {x['access']}, reduction {json.dumps(x['reduction'])}]"))
    return len(ids) - len(bad), len(ids), bad[:show], len(bad)


def agreement(results, duck, name, line):
    """Compare `results` with DuckDB's, print `line` (its `{}` = "agreeing/total") and the first
    disagreements; return (agreeing, total, whether all agree)."""
    ok, n, bad, nbad = compare(results, duck, name, "duckdb")
    print(line.format(f"{ok}/{n}"), flush=True)
    for i, d in bad:
        print(f"    {i}: {d}")
    return ok, n, nbad == 0


def engine_path(doc, stderr_text):
    """Which engine path qsa says it ran, if it says (a top-level `engine` key, or a stderr line)."""
    for k in ("engine", "engine_path", "path"):
        if isinstance(doc, dict) and k in doc:
            return json.dumps(doc[k])
    for line in stderr_text.splitlines():
        # `qsa report --stats`: "qsa: N users, P profiles, S distinct selections; engine: PATH; ..."
        m = re.search(r"engine: ([^;]+);", line)
        if m:
            return m.group(1).strip()
    return "-"


def fmt_bytes(n):
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="tiny,1m-10k", help=f"comma-separated: {', '.join(SIZES)}")
    ap.add_argument("--model", default="both", choices=MODELS + ["both"])
    ap.add_argument("--qsa", default=None, help="the qsa binary (default: $CARGO_TARGET_DIR or target/, release)")
    ap.add_argument("--timeout", type=float, default=1200, help="seconds per process (default 1200)")
    ap.add_argument("--max-rss-gib", type=float, default=16,
                    help="kill a process whose resident set goes over this (default 16 GiB of the 24)")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench-out"), help="cache and results folder")
    ap.add_argument("--regen", action="store_true", help="generate the models again")
    ap.add_argument("--no-install", action="store_true", help="do not pip install missing packages")
    ap.add_argument("--naive", choices=["auto", "yes", "no"], default="auto",
                    help="also check the SQL against the naive row-by-row evaluator (auto: tiny only)")
    ap.add_argument("--skip-qsa", action="store_true", help="run DuckDB only (to time the baseline)")
    ap.add_argument("--self-check", action="store_true",
                    help="also run the baseline with each of its counting paths forced and require equal results")
    ap.add_argument("--bench", action="store_true", help=argparse.SUPPRESS)  # what `cargo bench` appends
    a = ap.parse_args()

    sizes = [s.strip() for s in a.size.split(",") if s.strip()]
    for s in sizes:
        if s not in SIZES:
            ap.error(f"unknown size {s!r}; sizes: {', '.join(SIZES)}")
    models = MODELS if a.model == "both" else [a.model]
    ensure_deps(not a.no_install)
    sys.path.insert(0, HERE)
    import generate  # noqa: E402

    qsa = a.qsa or default_qsa()
    if not a.skip_qsa and (not qsa or not os.path.exists(qsa)):
        sys.exit("no qsa binary: build it (cargo build --release) and pass --qsa PATH")
    qsa = os.path.abspath(qsa) if qsa else None
    os.makedirs(a.out, exist_ok=True)
    print(f"qsa: {qsa}\nmachine: {os.cpu_count()} cores; timeout {a.timeout:.0f} s per process", flush=True)

    results = []
    failed = False
    for size in sizes:
        app = os.path.join(a.out, size)
        meta_path = os.path.join(app, "meta.json")
        fresh = False
        if os.path.exists(meta_path):
            with open(meta_path) as f:
                fresh = json.load(f).get("generator_version") == generate.GENERATOR_VERSION
        if a.regen or not fresh:
            print(f"[{size}] generating into {app} ...", flush=True)
            t0 = time.perf_counter()
            generate.generate(size, app)
            print(f"[{size}] generated in {time.perf_counter() - t0:.1f} s", flush=True)
        with open(meta_path) as f:
            meta = json.load(f)
        users_json = os.path.join(app, "data", "users.json")
        for model in models:
            tag = f"{size}/{model}"
            run_dir = os.path.join(app, "runs", model)
            os.makedirs(run_dir, exist_ok=True)
            row = {"size": size, "model": model, "fact_rows": meta["fact_rows"],
                   "users": meta["users"], "groups": meta["groups"]}
            # DuckDB
            print(f"[{tag}] DuckDB ... (load average {os.getloadavg()[0]:.1f})", flush=True)
            duck_out = os.path.join(run_dir, "duckdb.jsonl")
            dw, dm, dc = timed(
                [sys.executable, os.path.join(HERE, "baseline.py"), "--app", app, "--model", model,
                 "--out", duck_out],
                os.path.join(run_dir, "duckdb.stdout"), os.path.join(run_dir, "duckdb.stderr"), a.timeout,
                a.max_rss_gib * 2**30)
            row.update(duck_s=dw, duck_rss=dm, duck_exit=dc, load_before_duck=os.getloadavg()[0])
            if dc != 0:
                failed = True
                print(f"[{tag}] DuckDB failed (exit {dc}):\n" + open(os.path.join(run_dir, "duckdb.stderr")).read()[-3000:])
                results.append(row)
                continue
            duck = load_lines(duck_out)
            print(f"[{tag}] DuckDB {dw:.2f} s, {fmt_bytes(dm)}", flush=True)
            use_naive = a.naive == "yes" or (a.naive == "auto" and size == "tiny")
            if use_naive:
                naive_out = os.path.join(run_dir, "naive.jsonl")
                subprocess.check_call([sys.executable, os.path.join(HERE, "naive.py"), "--app", app,
                                       "--model", model, "--out", naive_out])
                ok, n, agreed = agreement(load_lines(naive_out), duck, "naive",
                                          f"[{tag}] naive evaluator vs DuckDB: {{}} agree")
                row["naive_agree"] = f"{ok}/{n}"
                failed |= not agreed
            if a.self_check:
                for env in ({"BASELINE_COUNT": "distinct"},
                            {"BASELINE_COUNT": "direct", "BASELINE_AXIS": "k"},
                            {"BASELINE_COUNT": "complement", "BASELINE_AXIS": "c"}):
                    alt = os.path.join(run_dir, "duckdb-" + "-".join(env.values()) + ".jsonl")
                    subprocess.check_call([sys.executable, os.path.join(HERE, "baseline.py"), "--app", app,
                                           "--model", model, "--out", alt], env={**os.environ, **env},
                                          stderr=subprocess.DEVNULL)
                    _, _, agreed = agreement(load_lines(alt), duck, "forced",
                                             f"[{tag}] baseline self-check "
                                             + " ".join(f"{k}={v}" for k, v in env.items())
                                             + ": {} agree")
                    failed |= not agreed
            if a.skip_qsa:
                results.append(row)
                continue
            # qsa
            print(f"[{tag}] qsa ... (load average {os.getloadavg()[0]:.1f})", flush=True)
            row["load_before_qsa"] = os.getloadavg()[0]
            qsa_out = os.path.join(run_dir, "qsa.json")
            script = os.path.join(app, model, "app.qvs")
            qw, qm, qc = timed(
                [qsa, "report", script, "--directory", users_json, "--format", "json", "--stats"],
                qsa_out, os.path.join(run_dir, "qsa.stderr"), a.timeout, a.max_rss_gib * 2**30)
            row.update(qsa_s=qw, qsa_rss=qm, qsa_exit=qc, load_after_qsa=os.getloadavg()[0])
            qerr = open(os.path.join(run_dir, "qsa.stderr"), errors="replace").read()
            if qc is None or qc == "memory":
                what = f"> {a.timeout:.0f} s" if qc is None else f"over {a.max_rss_gib:g} GiB after {qw:.0f} s"
                print(f"[{tag}] qsa {what} (killed), {fmt_bytes(qm)}", flush=True)
                row["agree"] = "n/a (timeout)" if qc is None else "n/a (memory)"
                results.append(row)
                continue
            if qc != 0:
                failed = True
                print(f"[{tag}] qsa failed (exit {qc}):\n{qerr[-3000:]}")
                row["agree"] = f"n/a (exit {qc})"
                results.append(row)
                continue
            doc, qres = load_qsa(qsa_out)
            row["engine"] = engine_path(doc, qerr)
            ok, n, agreed = agreement(qres, duck, "qsa",
                                      f"[{tag}] qsa {qw:.2f} s, {fmt_bytes(qm)}; agreement {{}}; engine {row['engine']}")
            row["agree"] = f"{ok}/{n}"
            failed |= not agreed
            results.append(row)

    # ---- the table ----
    print("\n(load: the 1-minute load average before the DuckDB run / before the qsa run; 2 cores)")
    hdr = ["size", "model", "qsa s", "qsa max RSS", "DuckDB s", "DuckDB max RSS", "qsa/DuckDB", "agree",
           "qsa engine path", "load"]
    lines = []
    for r in results:
        if "qsa_s" in r:
            killed = r.get("qsa_exit") in (None, "memory")
            q = f"> {r['qsa_s']:.1f}" if killed else f"{r['qsa_s']:.2f}"
            ratio = r["qsa_s"] / r["duck_s"] if r.get("duck_s") else float("nan")
            ratio_s = (">= " if killed else "") + f"{ratio:.2f}x"
            qm = fmt_bytes(r["qsa_rss"])
        else:
            q, ratio_s, qm = "-", "-", "-"
        lines.append([r["size"], r["model"], q, qm, f"{r.get('duck_s', float('nan')):.2f}",
                      fmt_bytes(r.get("duck_rss", 0)), ratio_s, r.get("agree", "-"), r.get("engine", "-"),
                      f"{r.get('load_before_duck', 0):.1f}/{r.get('load_before_qsa', 0):.1f}"])
    widths = [max(len(str(x)) for x in col) for col in zip(hdr, *lines)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(hdr, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for l in lines:
        print("| " + " | ".join(str(x).ljust(w) for x, w in zip(l, widths)) + " |")
    with open(os.path.join(a.out, "results.jsonl"), "a") as f:
        for r in results:
            f.write(json.dumps({**r, "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "qsa": qsa,
                                "cores": os.cpu_count()}) + "\n")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
