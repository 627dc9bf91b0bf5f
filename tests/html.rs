//! `qsa report --format html` in a real browser: Debian's `chromium`, headless, no network. The page is
//! rendered from `fixtures/example/` and from `fixtures/html/` (values that look like markup), loaded from
//! a file, and the test asserts on the DOM after the page's script ran: user rows, the kept/total numbers
//! of the bars, a filter given in the URL hash, a user's details, the group view, the diagnostics, and
//! that no data value became markup or ran. A screenshot is saved to `target/artifacts/report.png`. With
//! `--tenant` (the budget example and `fixtures/tenant/acme`): the OPEN, ROLES, EXPORT, FULL columns,
//! their filters and sorting, a user's tenant "why"; its screenshot is `target/artifacts/report-tenant.png`.
//!
//! Without chromium the browser tests print that they skipped, unless `QSA_REQUIRE_CHROMIUM=1` (set by
//! `.ci/run`, which installs chromium): then they fail.

#[path = "common/scratch.rs"]
mod scratch_dir;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `qsa report SCRIPT --directory USERS --format html`, as bytes (exit 0 required).
fn report_html(script: &str, users: &str, threads: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_qsa"))
        .current_dir(root())
        .env("RAYON_NUM_THREADS", threads)
        .args(["report", script, "--directory", users, "--format", "html"])
        .output()
        .expect("qsa runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 page")
}

fn example_html() -> String {
    report_html(
        "fixtures/example/sales.qvs",
        "fixtures/example/users.json",
        "2",
    )
}

fn hostile_html() -> String {
    report_html("fixtures/html/hostile.qvs", "fixtures/html/users.json", "2")
}

/// The chromium binary, or `None` (after saying so) when it is not installed and not required.
fn chromium() -> Option<PathBuf> {
    let names = ["chromium", "chromium-browser", "google-chrome"];
    let found = std::env::var_os("QSA_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| {
            let path = std::env::var_os("PATH")?;
            std::env::split_paths(&path)
                .flat_map(|d| names.iter().map(move |n| d.join(n)))
                .find(|p| p.is_file())
        });
    if found.is_none() {
        let required = std::env::var("QSA_REQUIRE_CHROMIUM").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "QSA_REQUIRE_CHROMIUM=1 but no chromium on PATH (apt-get install chromium)"
        );
        eprintln!("skipped: chromium is not installed (apt-get install chromium); set QSA_REQUIRE_CHROMIUM=1 to fail instead");
    }
    found
}

/// A folder of its own for one test (page, browser profile).
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qsa-html-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Chromium, headless, with no network: no proxy, every host name unresolvable, no background traffic.
/// (The page's Content-Security-Policy forbids any fetch too.)
fn browser(chromium: &Path, dir: &Path, extra: &[String], url: &str) -> std::process::Output {
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-extensions",
        "--disable-sync",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--no-proxy-server",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--hide-scrollbars",
        "--virtual-time-budget=5000",
    ]);
    cmd.arg(format!("--user-data-dir={}", dir.join("profile").display()));
    cmd.args(extra);
    cmd.arg(url);
    cmd.output().expect("chromium runs")
}

/// The DOM after the page's script ran, for the page at `page` with `hash` (without `#`).
fn dom(chromium: &Path, dir: &Path, page: &Path, hash: &str) -> String {
    let url = format!("file://{}#{hash}", page.display());
    let out = browser(chromium, dir, &["--dump-dom".to_string()], &url);
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        dom.contains("data-ready=\"1\""),
        "the page's script did not finish (hash `{hash}`):\n{}\n{dom}",
        String::from_utf8_lossy(&out.stderr)
    );
    dom
}

fn write_page(dir: &Path, html: &str) -> PathBuf {
    let page = dir.join("report.html");
    std::fs::write(&page, html).expect("write page");
    page
}

/// The users' rows in the order shown: their `data-user` ids.
fn shown_users(dom: &str) -> Vec<String> {
    let marker = "<tr class=\"row";
    dom.match_indices(marker)
        .filter_map(|(at, _)| {
            let rest = &dom[at..];
            let end = rest.find('>')?;
            let tag = &rest[..end];
            let i = tag.find("data-user=\"")? + "data-user=\"".len();
            let j = tag[i..].find('"')?;
            Some(tag[i..i + j].to_string())
        })
        .collect()
}

/// The markup of the row of user `id` (its `<tr>` … `</tr>`).
fn user_row<'a>(dom: &'a str, id: &str) -> &'a str {
    let at = dom
        .find(&format!("data-user=\"{id}\""))
        .unwrap_or_else(|| panic!("no row for {id}"));
    let end = dom[at..].find("</tr>").map(|e| at + e).unwrap_or(dom.len());
    &dom[at..end]
}

/// The markup of the element with attribute `attr` (up to `until`).
fn block<'a>(dom: &'a str, attr: &str, until: &str) -> &'a str {
    let at = dom
        .find(attr)
        .unwrap_or_else(|| panic!("no {attr} in the page"));
    let end = dom[at..].find(until).map(|e| at + e).unwrap_or(dom.len());
    &dom[at..end]
}

/// The details panel of user `id` (opened through the URL hash).
fn details_of(chromium: &Path, dir: &Path, page: &Path, id: &str) -> String {
    let d = dom(
        chromium,
        dir,
        page,
        &format!("open={}", id.replace('|', "%7C")),
    );
    let start = format!("<div class=\"details\" data-user=\"{id}\">");
    block(&d, &start, "</div></div></td></tr>").to_string()
}

/// The markup of the group view's row of GROUP value `value`.
fn group_row<'a>(dom: &'a str, value: &str) -> &'a str {
    let start = format!("<tr data-group=\"{value}\">");
    let at = dom
        .find(&start)
        .unwrap_or_else(|| panic!("no group row {value}"));
    let rest = &dom[at + start.len()..];
    let end = ["<tr data-group=", "</tbody></table></div></section>"]
        .iter()
        .filter_map(|m| rest.find(m))
        .min()
        .unwrap_or(rest.len());
    &dom[at..at + start.len() + end]
}

const EXAMPLE_USERS: [&str; 6] = [
    "auth0|ada0002",
    "auth0|admin0001",
    "auth0|grace0003",
    "okta|00u1eve0006",
    "okta|00u1fin0005",
    "okta|00u1ken0004",
];

#[test]
fn example_report_in_chromium() {
    let Some(chromium) = chromium() else { return };
    let dir = scratch("example");
    let page = write_page(&dir, &example_html());

    // Every user, sorted by id; the header counts.
    let all = dom(&chromium, &dir, &page, "");
    assert_eq!(shown_users(&all), EXAMPLE_USERS);
    assert!(all.contains("<div class=\"n\" id=\"count-users\">6</div>"));
    assert!(all.contains("<div class=\"n\" id=\"count-admin\">1</div>"));
    assert!(all.contains("<div class=\"n\" id=\"count-user\">4</div>"));
    assert!(all.contains("<div class=\"n\" id=\"count-denied\">1</div>"));
    assert!(all.contains("Showing 6 of 6 users"), "{all}");
    // Column headers: the app tables with their totals.
    for (t, n) in [("Products", 3), ("Regions", 4), ("Sales", 8)] {
        assert!(
            all.contains(&format!(
                "data-sort=\"{t}\" title=\"Sort by {t}\">{t}<span class=\"total\">{n} rows</span>"
            )),
            "{t}"
        );
    }
    // Bars and their numbers (kept / total), per user and table, in table order.
    let bars = |id: &str| -> Vec<String> {
        let row = user_row(&all, id);
        row.match_indices("<div class=\"nums\"><b>")
            .map(|(at, m)| {
                let rest = &row[at + m.len()..];
                let end = rest.find("</div>").unwrap_or(rest.len());
                rest[..end].replace("</b>", "")
            })
            .collect()
    };
    assert_eq!(
        bars("auth0|ada0002"),
        ["3 / 3  ·  100%", "1 / 4  ·  25%", "3 / 8  ·  38%"]
    );
    assert_eq!(
        bars("auth0|admin0001"),
        ["3 / 3  ·  100%", "4 / 4  ·  100%", "8 / 8  ·  100%"]
    );
    assert_eq!(bars("okta|00u1eve0006"), ["0 / 3", "0 / 4", "0 / 8"]);
    let ada = user_row(&all, "auth0|ada0002");
    assert!(
        ada.contains("<span style=\"width: 37.5%;\"></span>"),
        "{ada}"
    );
    assert!(ada.contains("<span class=\"badge USER\">USER</span>"));
    let eve = user_row(&all, "okta|00u1eve0006");
    assert!(eve.contains("<span class=\"badge DENIED\">DENIED</span>"));
    assert!(eve.contains("not listed: no Section Access row applies to this user"));
    assert!(user_row(&all, "okta|00u1fin0005").contains("<span class=\"rule\" title=\"QlikCloudGroupMode is read as its value at the end of the script\">S7</span>"));

    // Group view: who holds each group and what its rows grant.
    let finance = group_row(&all, "FINANCE");
    assert!(finance.contains("<td>Finance (IdP)</td>"), "{finance}");
    assert!(finance.contains(">1 user</a>"), "{finance}");
    assert!(
        finance.contains("<div class=\"at\">Access row 5 · fixtures/example/sales.qvs:20:1</div>"),
        "{finance}"
    );
    for (k, v) in [("ACCESS", "USER"), ("GROUP", "FINANCE"), ("REGION", "*")] {
        let kv = format!(
            "<span class=\"kv\"><span class=\"k\">{k}</span><span class=\"v\">{v}</span></span>"
        );
        assert!(finance.contains(&kv), "{kv} in {finance}");
    }
    assert!(finance.contains("<span class=\"k\">OMIT</span><span class=\"v blank\">blank</span>"));
    assert!(finance.contains("sales.qvs:20:1"), "{finance}");
    let grant = &finance[finance.rfind("<td>").unwrap_or(0)..];
    assert!(
        grant.contains("<span class=\"badge USER\">USER</span>"),
        "{grant}"
    );
    assert!(grant.contains("<b>REGION: </b><span class=\"value\">APAC</span><span class=\"value\">EU</span><span class=\"value\">US</span>"), "{grant}");
    let eng = group_row(&all, "ENGINEERING");
    assert!(
        eng.contains("Engineering (IdP)") && eng.contains(">1 user</a>"),
        "{eng}"
    );
    assert!(
        eng.contains("<p class=\"muted\">none</p>") && eng.contains(">nothing<"),
        "{eng}"
    );
    assert!(all.contains("No diagnostics."));

    // A filter in the URL hash shows only the matching users.
    let f = dom(&chromium, &dir, &page, "filter=group:finance");
    assert_eq!(shown_users(&f), ["okta|00u1fin0005"]);
    assert!(f.contains("Showing 1 of 1 matching users (6 in all)"));
    assert!(f.contains("value=\"group:finance\"") || f.contains("id=\"filter\""));
    let f = dom(&chromium, &dir, &page, "filter=access:denied");
    assert_eq!(shown_users(&f), ["okta|00u1eve0006"]);
    let f = dom(&chromium, &dir, &page, "filter=example.org%20auth0");
    assert_eq!(
        shown_users(&f),
        ["auth0|ada0002", "auth0|admin0001", "auth0|grace0003"]
    );
    let f = dom(&chromium, &dir, &page, "filter=nobody-matches-this");
    assert!(shown_users(&f).is_empty());
    assert!(f.contains("No user matches the filter."));
    // Query string works too.
    let url = format!("file://{}?filter=grace", page.display());
    let out = browser(&chromium, &dir, &["--dump-dom".to_string()], &url);
    assert_eq!(
        shown_users(&String::from_utf8_lossy(&out.stdout)),
        ["auth0|grace0003"]
    );

    // Sorting: by rows kept of Sales, most first (numeric: 8 before 3 before 0).
    let s = dom(&chromium, &dir, &page, "sort=Sales&dir=desc");
    assert_eq!(
        shown_users(&s),
        [
            "auth0|admin0001",
            "okta|00u1fin0005",
            "auth0|ada0002",
            "auth0|grace0003",
            "okta|00u1ken0004",
            "okta|00u1eve0006"
        ]
    );
    assert!(s.contains("<th data-sort=\"Sales\" class=\"sorted desc\""));

    // Details of one user: access, selections, omitted fields, [dec] rules, applied rows with lines.
    let details = details_of(&chromium, &dir, &page, "auth0|grace0003");
    assert!(details.contains("<span class=\"badge USER\">USER</span>"));
    assert!(
        details.contains("<b>REGION: </b><span class=\"value\">US</span>"),
        "{details}"
    );
    assert!(details.contains("<span class=\"value omit\">MARGIN</span>"));
    assert!(details.contains("<span class=\"rule\">I4</span>a user without a value for an identity field matches only `*` there"));
    assert!(details.contains("table Access"));
    assert!(details.contains("<td>GRACE@EXAMPLE.ORG</td>"));
    assert!(details.contains("<td class=\"at\">fixtures/example/sales.qvs:18:1</td>"));
    assert!(
        !details.contains("sales.qvs:17:1"),
        "only the row that applied"
    );
    let details = details_of(&chromium, &dir, &page, "okta|00u1eve0006");
    assert!(details.contains("not listed: no Section Access row applies to this user"));
    assert!(details.contains("none: the user cannot open the app"));

    // The screenshot, for people: the matrix with one user's details open.
    let artifacts = root().join("target/artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts dir");
    let shot = artifacts.join("report.png");
    let _ = std::fs::remove_file(&shot);
    let url = format!("file://{}#open=auth0%7Cgrace0003", page.display());
    let out = browser(
        &chromium,
        &dir,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1400,1000".to_string(),
        ],
        &url,
    );
    let png = std::fs::read(&shot).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hostile_values_stay_text_in_chromium() {
    let html = hostile_html();
    // In the file: no value closes a script block or opens a tag.
    assert_eq!(
        html.matches("</script>").count(),
        2,
        "the data block and the script only"
    );
    assert!(!html.contains("<img") && !html.contains("<svg") && !html.contains("<b>"));
    let Some(chromium) = chromium() else { return };
    let dir = scratch("hostile");
    let page = write_page(&dir, &html);
    let dom = dom(
        &chromium,
        &dir,
        &page,
        "open=auth0%7Ctrent&open=%3Cimg%20src%3Dx%20onerror%3Ddocument.body.dataset.pwned%3D2%3E",
    );
    assert!(!dom.contains("data-pwned"), "a value ran as script:\n{dom}");
    assert!(!dom.contains("<img") && !dom.contains("<svg") && !dom.contains("<b>Mallory"));
    // Shown as text.
    assert_eq!(
        shown_users(&dom),
        [
            "&lt;img src=x onerror=document.body.dataset.pwned=2&gt;",
            "auth0|nobody",
            "auth0|sybil",
            "auth0|trent"
        ]
    );
    assert!(dom.contains("<span class=\"name\">&lt;b&gt;Mallory&lt;/b&gt;</span>"));
    assert!(
        dom.contains("&lt;/SCRIPT&gt;&lt;B&gt;EU&lt;/B&gt;"),
        "selection value as text"
    );
    assert!(
        dom.contains("&lt;/SCRIPT&gt;&lt;SCRIPT&gt;DOCUMENT.BODY.DATASET.PWNED=1&lt;/SCRIPT&gt;")
    );
    assert!(
        dom.contains("data-group=\"<SVG ONLOAD=DOCUMENT.BODY.DATASET.PWNED=3>\"")
            || dom.contains("data-group=\"&lt;SVG ONLOAD=DOCUMENT.BODY.DATASET.PWNED=3&gt;\"")
    );
    // A filter of markup is a filter, not markup.
    let f = self::dom(&chromium, &dir, &page, "filter=%3Csvg");
    assert_eq!(shown_users(&f), ["auth0|sybil"]);
    assert!(!f.contains("data-pwned"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `qsa report` of the tenant example (tenant.md §4, example 1) with `--tenant --app Budget --format html`.
fn tenant_html(threads: &str) -> String {
    tenant_html_of("fixtures/tenant/examples/budget", "Budget", threads)
}

/// `qsa report budget.qvs --tenant DIR --app APP --format html`, as bytes (exit 0 required).
fn tenant_html_of(dir: &str, app: &str, threads: &str) -> String {
    tenant_page(
        "fixtures/tenant/examples/budget/budget.qvs",
        dir,
        app,
        threads,
    )
}

/// `qsa report SCRIPT --tenant DIR --app APP --format html`, as bytes (exit 0 required).
fn tenant_page(script: &str, dir: &str, app: &str, threads: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_qsa"))
        .current_dir(root())
        .env("RAYON_NUM_THREADS", threads)
        .args([
            "report", script, "--tenant", dir, "--app", app, "--format", "html",
        ])
        .output()
        .expect("qsa runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 page")
}

const ANA: &str = "00uana0000000000000";
const BEN: &str = "00uben0000000000000";
const CY: &str = "00ucy0000000000000";
const DEE: &str = "00udee0000000000000";
const EVE: &str = "00ueve0000000000000";

/// The text of the `<li>` items of the first `<ul class="why-not">` in `html`.
fn why_not_items(html: &str) -> Vec<String> {
    let list = block(html, "<ul class=\"why-not\">", "</ul>");
    list.split("<li>")
        .skip(1)
        .map(|li| li.split("</li>").next().unwrap_or("").to_string())
        .collect()
}

// `--tenant` in the HTML page (tenant.md §3): OPEN, ROLES, EXPORT, FULL before ACCESS, filterable and
// sortable; a user's details start at the tenant tier (status, roles with vias, why the app does not open,
// each reason with its rule id, download, Full User, Section Access alone), then Section Access.
#[test]
fn tenant_report_in_chromium() {
    let html = tenant_html("2");
    assert_eq!(
        html,
        tenant_html("1"),
        "the same bytes whatever the thread count"
    );
    assert!(
        html.contains("app <b id=\"tenant-app\">Budget</b> · <b id=\"tenant-space\">managed</b>")
    );
    let Some(chromium) = chromium() else { return };
    let dir = scratch("tenant");
    let page = write_page(&dir, &html);
    let all = dom(&chromium, &dir, &page, "");
    assert_eq!(shown_users(&all), [ANA, BEN, CY, DEE, EVE]);
    // The columns, in order, each sortable.
    let head = block(&all, "<thead>", "</thead>");
    let sorts: Vec<&str> = head
        .match_indices("data-sort=\"")
        .filter_map(|(at, m)| head[at + m.len()..].split('"').next())
        .collect();
    assert_eq!(
        sorts[..7],
        ["user", "email", "open", "roles", "export", "full", "access"]
    );
    // ana opens (first route shown), holds three roles, downloads everything, is a Full User.
    let ana = user_row(&all, ANA);
    assert!(ana.contains("<span class=\"yn yes\">yes</span><span class=\"via\">consumer via group Finance +1</span>"), "{ana}");
    assert!(
        ana.contains("<td class=\"tenant roles\">Exporters, SharedSpaceCreator, UserDefault</td>"),
        "{ana}"
    );
    assert!(
        ana.contains("<span class=\"export allowed\">allowed</span>"),
        "{ana}"
    );
    let cy = user_row(&all, CY);
    assert!(cy.contains("<span class=\"yn no\">no</span>"), "{cy}");
    assert!(cy.contains("<span class=\"badge DENIED\">DENIED</span><span class=\"reason\">tenant: cannot open the app</span>"), "{cy}");
    let dee = user_row(&all, DEE);
    assert!(dee.contains("<span class=\"via\">disabled</span>"), "{dee}");

    // Filters on the tenant columns.
    let f = dom(&chromium, &dir, &page, "filter=open:no");
    assert_eq!(shown_users(&f), [CY, DEE, EVE]);
    let f = dom(&chromium, &dir, &page, "filter=export:allowed");
    assert_eq!(shown_users(&f), [ANA]);
    let f = dom(&chromium, &dir, &page, "filter=export:no-data%20open:yes");
    assert_eq!(shown_users(&f), [BEN]);
    let f = dom(&chromium, &dir, &page, "filter=role:tenantadmin");
    assert_eq!(shown_users(&f), [CY]);
    let f = dom(&chromium, &dir, &page, "filter=status:disabled");
    assert_eq!(shown_users(&f), [DEE]);
    // Sorted by OPEN: those who open first, then by id.
    let s = dom(&chromium, &dir, &page, "sort=open");
    assert_eq!(shown_users(&s), [ANA, BEN, CY, DEE, EVE]);
    let s = dom(&chromium, &dir, &page, "sort=open&dir=desc");
    assert_eq!(shown_users(&s), [CY, DEE, EVE, ANA, BEN]);

    // cy's "why": the tenant tier first, every route checked with its rule, then Section Access alone.
    let d = details_of(&chromium, &dir, &page, CY);
    let tenant_at = d.find("tenant-why").expect("a tenant section");
    let access_at = d.find("<h3>Access</h3>").expect("the Section Access part");
    assert!(tenant_at < access_at, "the tenant tier comes first");
    assert!(
        d.contains("<p class=\"t-status\"><b>status: </b>active</p>"),
        "{d}"
    );
    assert!(
        d.contains("<span class=\"value\" title=\"via direct\">TenantAdmin</span>"),
        "{d}"
    );
    assert!(
        d.contains("<p class=\"t-open no\"><b>cannot open the app: </b></p>"),
        "{d}"
    );
    let why = why_not_items(&d);
    assert!(why.len() >= 3, "{why:?}");
    for w in &why {
        let rule = w.rsplit('(').next().unwrap_or("");
        assert!(
            rule.starts_with('T') && rule.ends_with(')'),
            "each reason ends with its rule id: {w}"
        );
    }
    assert!(
        why.iter().any(|w| w.starts_with(
            "admin TenantAdmin: admins open apps without a space role only in shared spaces"
        ) && w.ends_with("(T13)")),
        "{why:?}"
    );
    assert!(
        why.iter().any(|w| w.starts_with("no space role on `Fin`")),
        "{why:?}"
    );
    assert!(
        d.contains("<p class=\"t-export\"><b>download: </b>not-allowed"),
        "{d}"
    );
    assert!(
        d.contains("<p class=\"t-sa\"><b>Section Access alone: </b>ADMIN<span class=\"muted\">  REGION: </span><span class=\"value\">EU</span><span class=\"value\">US</span></p>"),
        "{d}"
    );
    assert!(
        d.contains("<td class=\"at\">fixtures/tenant/examples/budget/budget.qvs:"),
        "the security row that applied: {d}"
    );
    // ana opens: her routes, no "why not", no "Section Access alone".
    let d = details_of(&chromium, &dir, &page, ANA);
    assert!(d.contains("<b>opens the app: </b><span class=\"value\">consumer via group Finance</span><span class=\"value\">owner</span>"), "{d}");
    assert!(
        !d.contains("why-not") && !d.contains("Section Access alone"),
        "{d}"
    );
    assert!(d.contains("<b>Full User: </b>yes"), "{d}");
    // eve: the disabled group's route, with T6, and the T6 rule explained among the [dec] rules.
    let d = details_of(&chromium, &dir, &page, EVE);
    let why = why_not_items(&d);
    assert!(
        why.iter()
            .any(|w| w.contains("group Sales would open it") && w.ends_with("(T6)")),
        "{why:?}"
    );
    assert!(
        d.contains(
            "<span class=\"rule\">T6</span>a disabled group grants no roles, space roles or shares"
        ),
        "{d}"
    );
    assert!(
        d.contains("<b>Section Access alone: </b>USER<span class=\"muted\">  REGION: </span><span class=\"value\">US</span></p>"),
        "{d}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// The acme tenant's page (fixtures/tenant/acme): users who open the app but whom Section Access denies are
// found by `open:yes access:denied`, and their details say so.
#[test]
fn acme_tenant_page_in_chromium() {
    let html = tenant_page(
        "fixtures/tenant/acme/acme.qvs",
        "fixtures/tenant/acme",
        "Revenue",
        "2",
    );
    assert!(html.contains("OAuth client <b id=\"tenant-oauth\">Reporting Portal</b>"));
    let Some(chromium) = chromium() else { return };
    let dir = scratch("acme");
    let page = write_page(&dir, &html);
    let rita = "auth0|65f1ac3e00000000000a0d02";
    let sven = "auth0|65f1ac3e00000000000a0d03";
    let f = dom(&chromium, &dir, &page, "filter=open:yes%20access:denied");
    assert_eq!(shown_users(&f), [rita, sven]);
    let f = dom(&chromium, &dir, &page, "filter=export:allowed");
    assert_eq!(
        shown_users(&f),
        [
            "00uesme000000000000",
            "00umara000000000000",
            "00uwalt000000000000"
        ]
    );
    let f = dom(&chromium, &dir, &page, "filter=open:no");
    assert!(
        f.contains("Showing 10 of 10 matching users (46 in all)"),
        "{f}"
    );
    let d = details_of(&chromium, &dir, &page, rita);
    assert!(d.contains("<b>opens the app: </b><span class=\"value\">share basicconsumer via group CG-Auditors</span>"), "{d}");
    assert!(
        d.contains("the tenant lets the user open the app, but Section Access denies them"),
        "{d}"
    );
    assert!(!d.contains("Section Access alone"), "{d}");
    // A screenshot for people: the users who cannot open the app, olivia's "why" open.
    let shot = root().join("target/artifacts/report-tenant.png");
    std::fs::create_dir_all(root().join("target/artifacts")).expect("artifacts dir");
    let _ = std::fs::remove_file(&shot);
    let url = format!(
        "file://{}#filter=open:no&open=00uolivia0000000000",
        page.display()
    );
    browser(
        &chromium,
        &dir,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1500,1300".to_string(),
        ],
        &url,
    );
    let png = std::fs::read(&shot).unwrap_or_default();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    let _ = std::fs::remove_dir_all(&dir);
}

// Names from the tenant's exports (an app, a role) are data too: text in the page, never markup.
#[test]
fn hostile_tenant_names_stay_text() {
    let dir = scratch("tenant-hostile");
    let tenant = dir.join("tenant");
    scratch_dir::copy_dir(&root().join("fixtures/tenant/examples/budget"), &tenant);
    let hostile = |file: &str, from: &str, to: &str| {
        let path = tenant.join(file);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{file}");
        std::fs::write(&path, text.replace(from, to)).expect("write");
    };
    let img = "<img src=x onerror=document.body.dataset.pwned=1>";
    let svg = "</script><svg onload=document.body.dataset.pwned=2>";
    hostile(
        "roles.json",
        "\"name\": \"Exporters\"",
        &format!("\"name\": \"{img}\""),
    );
    hostile(
        "items.json",
        "\"name\": \"Budget\"",
        &format!("\"name\": \"{svg}\""),
    );
    let html = tenant_html_of(
        &tenant.display().to_string(),
        "b0d9e700-0000-4000-8000-000000000001",
        "2",
    );
    assert!(
        !html.contains("<img") && !html.contains("<svg"),
        "markup from the exports"
    );
    assert_eq!(html.matches("</script>").count(), 2);
    assert!(html.contains("&lt;/script&gt;&lt;svg onload=document.body.dataset.pwned=2&gt;"));
    let Some(chromium) = chromium() else { return };
    let page = write_page(&dir, &html);
    let d = dom(&chromium, &dir, &page, "open=00uana0000000000000");
    assert!(!d.contains("data-pwned"), "a name ran as script:\n{d}");
    assert!(!d.contains("<img") && !d.contains("<svg"));
    assert!(
        d.contains("&lt;img src=x onerror=document.body.dataset.pwned=1&gt;, SharedSpaceCreator, UserDefault"),
        "{d}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn html_is_byte_identical_across_runs_and_threads() {
    let one = report_html(
        "fixtures/example/sales.qvs",
        "fixtures/example/users.json",
        "1",
    );
    let four = report_html(
        "fixtures/example/sales.qvs",
        "fixtures/example/users.json",
        "4",
    );
    assert_eq!(one, four);
    assert_eq!(one, example_html());
    // Self-contained: nothing is fetched from anywhere.
    for needle in ["http://", "https://", "src=", "href=", "@import", "url("] {
        assert!(!one.contains(needle), "{needle}");
    }
    assert!(one.contains("Content-Security-Policy"));
    assert!(one.contains("default-src &#39;none&#39;"));
}
