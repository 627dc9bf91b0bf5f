"use strict";
// qsa report page. Reads the JSON block, renders with textContent only (no markup from data).
(function () {
  var D = JSON.parse(document.getElementById("qsa-data").textContent);
  var PAGE = 500;
  var USER = { id: 0, email: 1, name: 2, profile: 3, rules: 4, groups: 5 };
  var fmt = function (n) { return Number(n).toLocaleString("en-US"); };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) if (arguments[i]) parent.appendChild(arguments[i]);
    return parent;
  }
  function groupOf(ref) { return ref < 0 ? -(ref + 1) : ref; }

  // With --tenant: the tenant tier of each user (tenant.md §3), shared objects numbered like profiles.
  var T = D.tenant || null;
  var TCOLS = T ? 4 : 0;
  function tenantOf(i) {
    if (!T) return null;
    var n = T.users[i];
    return n === null || n === undefined ? null : T.profiles[n];
  }

  // Profiles are written as arrays (100k users): read them as objects once.
  D.profiles = D.profiles.map(function (p) {
    return {
      access: p[0], reason: p[1], omitted: p[3], kept: p[4], rows: p[5],
      reduction: p[2].map(function (s) { return D.selections[s]; })
    };
  });

  // Per user: lower-cased texts the filter looks in.
  var users = D.users;
  var hay = users.map(function (u, i) {
    var p = D.profiles[u[USER.profile]];
    var groups = u[USER.groups].map(function (g) {
      var gr = D.groups[groupOf(g)];
      return (gr.value + " " + gr.names.join(" ")).toLowerCase();
    });
    return {
      id: String(u[USER.id]).toLowerCase(),
      email: String(u[USER.email] || "").toLowerCase(),
      name: String(u[USER.name] || "").toLowerCase(),
      access: p.access.toLowerCase(),
      rules: D.rule_sets[u[USER.rules]].toLowerCase(),
      groups: groups,
      groupValues: u[USER.groups].map(function (g) { return D.groups[groupOf(g)].value.toLowerCase(); }),
      tenant: tenantHay(i)
    };
  });
  function tenantHay(i) {
    var t = tenantOf(i);
    if (!t) return null;
    return {
      open: t.open ? "yes" : "no",
      export: t.export,
      full: t.full ? "yes" : "no",
      status: t.status.toLowerCase(),
      roles: t.roles.map(function (r) { return r[0].toLowerCase(); })
    };
  }

  // ---------------------------------------------------------------- state (kept in the URL hash)
  var state = { filter: "", sort: "user", dir: "asc", open: {}, shown: PAGE };
  function readHash() {
    var src = location.hash.length > 1 ? location.hash.slice(1) : location.search.slice(1);
    var q = new URLSearchParams(src);
    state.filter = q.get("filter") || q.get("q") || "";
    state.sort = q.get("sort") || "user";
    state.dir = q.get("dir") === "desc" ? "desc" : "asc";
    state.open = {};
    q.getAll("open").forEach(function (id) { state.open[id] = true; });
    state.shown = PAGE;
  }
  function writeHash() {
    var q = new URLSearchParams();
    if (state.filter) q.set("filter", state.filter);
    if (state.sort !== "user") q.set("sort", state.sort);
    if (state.dir !== "asc") q.set("dir", state.dir);
    Object.keys(state.open).sort().forEach(function (id) { q.append("open", id); });
    var s = q.toString();
    try { history.replaceState(null, "", s ? "#" + s : location.pathname + location.search); } catch (e) { /* file: */ }
  }

  // ---------------------------------------------------------------- filter
  function tokens(text) {
    var out = [], re = /(\w+:)?("([^"]*)"|\S+)/g, m;
    while ((m = re.exec(text)) !== null) {
      var key = m[1] ? m[1].slice(0, -1).toLowerCase() : "";
      var exact = m[3] !== undefined;
      var value = (exact ? m[3] : m[2]).toLowerCase();
      if (value || exact) out.push({ key: key, value: value, exact: exact });
    }
    return out;
  }
  function has(text, t) { return t.exact ? text === t.value : text.indexOf(t.value) >= 0; }
  // Enumerated values (open, export, full, status): a prefix, so `export:allowed` is not `not-allowed`.
  function starts(text, t) { return t.exact ? text === t.value : text.indexOf(t.value) === 0; }
  function matches(i, ts) {
    var h = hay[i], th = h.tenant || { open: "", export: "", full: "", status: "", roles: [] };
    for (var k = 0; k < ts.length; k++) {
      var t = ts[k], ok;
      switch (t.key) {
        case "open": ok = starts(th.open, t); break;
        case "export": ok = starts(th.export, t); break;
        case "full": ok = starts(th.full, t); break;
        case "status": ok = starts(th.status, t); break;
        case "role": case "roles": ok = th.roles.some(function (r) { return has(r, t); }); break;
        case "access": ok = has(h.access, t); break;
        case "id": case "user": ok = has(h.id, t); break;
        case "email": case "mail": ok = has(h.email, t); break;
        case "name": ok = has(h.name, t); break;
        case "rule": case "rules": ok = has(h.rules, t); break;
        case "group": case "groups":
          ok = (t.exact ? h.groupValues : h.groups).some(function (g) { return has(g, t); });
          break;
        default:
          ok = [h.id, h.email, h.name, h.access].some(function (s) { return has(s, t); }) ||
            h.groups.some(function (g) { return has(g, t); });
      }
      if (!ok) return false;
    }
    return true;
  }

  // ---------------------------------------------------------------- sort
  var ACCESS_ORDER = { ADMIN: 0, USER: 1, DENIED: 2 };
  var EXPORT_ORDER = { "allowed": 0, "no-data": 1, "not-allowed": 2 };
  function sortKey(col) {
    if (col === "email") return function (i) { return String(users[i][USER.email] || ""); };
    if (col === "access") return function (i) { return ACCESS_ORDER[D.profiles[users[i][USER.profile]].access]; };
    if (col === "rules") return function (i) { return D.rule_sets[users[i][USER.rules]]; };
    if (T && col === "open") return function (i) { var t = tenantOf(i); return t ? (t.open ? 0 : 1) : 2; };
    if (T && col === "roles") return function (i) { var t = tenantOf(i); return t ? t.roles.map(function (r) { return r[0]; }).join(", ") : ""; };
    if (T && col === "export") return function (i) { var t = tenantOf(i); return t ? EXPORT_ORDER[t.export] : 3; };
    if (T && col === "full") return function (i) { var t = tenantOf(i); return t ? (t.full ? 0 : 1) : 2; };
    var t = D.tables.indexOf(col);
    if (t >= 0) return function (i) { var k = D.profiles[users[i][USER.profile]].kept[t]; return k === null ? -1 : k; };
    return null;
  }
  function ordered(list) {
    var key = sortKey(state.sort);
    if (!key) return list; // by id: the order of the data
    var keys = {};
    list.forEach(function (i) { keys[i] = key(i); });
    var sign = state.dir === "desc" ? -1 : 1;
    return list.slice().sort(function (a, b) {
      var x = keys[a], y = keys[b];
      if (x < y) return -sign;
      if (x > y) return sign;
      return a - b;
    });
  }

  // ---------------------------------------------------------------- users table
  var table = document.getElementById("users");
  var tbody = table.tBodies[0];
  function header() {
    var tr = el("tr");
    var cols = [["", null], ["User", "user"], ["E-mail", "email"]];
    if (T) cols.push(["Open", "open"], ["Roles", "roles"], ["Export", "export"], ["Full", "full"]);
    cols.push(["Access", "access"]);
    D.tables.forEach(function (t, i) { cols.push([t, t, D.totals[i]]); });
    cols.push(["[dec] rules", "rules"]);
    cols.forEach(function (c) {
      var th = el("th", null, c[0]);
      if (c[2] !== undefined) add(th, el("span", "total", fmt(c[2]) + " rows"));
      if (c[1]) {
        th.dataset.sort = c[1];
        if (state.sort === c[1]) th.className = "sorted" + (state.dir === "desc" ? " desc" : "");
        th.title = "Sort by " + (c[0] || c[1]);
        th.addEventListener("click", function () {
          if (state.sort === c[1]) state.dir = state.dir === "asc" ? "desc" : "asc";
          else { state.sort = c[1]; state.dir = (D.tables.indexOf(c[1]) >= 0) ? "desc" : "asc"; }
          state.shown = PAGE;
          writeHash();
          render();
        });
      }
      tr.appendChild(th);
    });
    var thead = table.tHead;
    thead.textContent = "";
    thead.appendChild(tr);
  }

  // Whole percent, but never 0% for some rows nor 100% for not all of them.
  function percent(kept, total) {
    var p = Math.round(kept / total * 100);
    if (kept > 0 && p === 0) return "<1%";
    if (kept < total && p === 100) return ">99%";
    return p + "%";
  }
  function bar(kept, total, denied) {
    var td = el("td", "cell");
    if (kept === null || kept === undefined) { td.textContent = "–"; return td; }
    var frac = total > 0 ? kept / total : 0;
    var b = el("div", "bar" + (total > 0 && kept === total ? " full" : "") + (kept === 0 ? " none" : ""));
    var fill = el("span");
    fill.style.width = (frac * 100).toFixed(1) + "%";
    b.appendChild(fill);
    var nums = el("div", "nums");
    add(nums, el("b", null, fmt(kept)), document.createTextNode(" / " + fmt(total)));
    if (total > 0 && !denied) nums.appendChild(document.createTextNode("  ·  " + percent(kept, total)));
    td.title = fmt(kept) + " of " + fmt(total) + " rows kept";
    return add(td, b, nums);
  }

  function rowFor(i) {
    var u = users[i], p = D.profiles[u[USER.profile]], id = String(u[USER.id]);
    var tr = el("tr", "row" + (p.access === "DENIED" ? " denied" : "") + (state.open[id] ? " open" : ""));
    tr.dataset.user = id;
    add(tr, el("td", "toggle", state.open[id] ? "\u25BE" : "\u25B8"));
    var idc = el("td", "id", id);
    if (u[USER.name]) idc.appendChild(el("span", "name", u[USER.name]));
    add(tr, idc, el("td", "email", u[USER.email] || ""));
    if (T) tenantCells(tr, tenantOf(i));
    var acc = add(el("td", "access"), el("span", "badge " + p.access, p.access));
    if (p.reason) acc.appendChild(el("span", "reason", p.reason));
    tr.appendChild(acc);
    D.tables.forEach(function (_, t) { tr.appendChild(bar(p.kept[t], D.totals[t], p.access === "DENIED")); });
    var rules = el("td");
    D.rule_sets[u[USER.rules]].split(" ").filter(Boolean).forEach(function (r) {
      var s = el("span", "rule", r);
      s.title = D.rules[r] || "";
      rules.appendChild(s);
    });
    tr.appendChild(rules);
    tr.addEventListener("click", function () {
      if (state.open[id]) delete state.open[id]; else state.open[id] = true;
      writeHash();
      render();
    });
    return tr;
  }

  // OPEN, ROLES, EXPORT, FULL (tenant.md §3): yes/no with the first route, the role names, the download.
  function tenantCells(tr, t) {
    if (!t) {
      ["?", "", "?", "?"].forEach(function (x) { tr.appendChild(el("td", "tenant", x)); });
      return;
    }
    var open = add(el("td", "tenant open"), el("span", "yn " + (t.open ? "yes" : "no"), t.open ? "yes" : "no"));
    if (t.open && t.via.length) open.appendChild(el("span", "via", t.via[0] + (t.via.length > 1 ? " +" + (t.via.length - 1) : "")));
    else if (!t.open && t.status !== "active" && t.status !== "provisioned") open.appendChild(el("span", "via", t.status));
    tr.appendChild(open);
    tr.appendChild(el("td", "tenant roles", t.roles.map(function (r) { return r[0]; }).join(", ")));
    tr.appendChild(add(el("td", "tenant"), el("span", "export " + t.export, t.export)));
    tr.appendChild(add(el("td", "tenant"), el("span", "yn " + (t.full ? "yes" : "no"), t.full ? "yes" : "no")));
  }

  // The tenant tier of the details: status, roles and vias, opening (or every route and why it fails),
  // download, Full User, the OAuth client, and Section Access alone when the tenant denies.
  function tenantDetails(box, t) {
    var sec = section(box, "Tenant: " + T.app.name + " (" + T.app.space_type + " space)", true);
    sec.className += " tenant-why";
    var line = function (label, value, cls) {
      var l = el("p", cls || null);
      add(l, el("b", null, label + ": "));
      if (value !== undefined && value !== null) l.appendChild(document.createTextNode(value));
      sec.appendChild(l);
      return l;
    };
    if (!t) { line("tenant", "unknown: the tenant model has no object for this user"); return; }
    line("status", t.status, "t-status");
    var roles = line("roles", null, "t-roles");
    t.roles.forEach(function (r) {
      var s = el("span", "value", r[0]);
      s.title = "via " + r[1].join(", ");
      add(roles, s, el("span", "muted", "via " + r[1].join(", ") + "  "));
    });
    if (t.open) {
      var o = line("opens the app", null, "t-open");
      t.via.forEach(function (v) { o.appendChild(el("span", "value", v)); });
    } else {
      line("cannot open the app", null, "t-open no");
      var ul = el("ul", "why-not");
      t.why_not.forEach(function (w) { ul.appendChild(el("li", null, w)); });
      sec.appendChild(ul);
    }
    line("download", t.export + (t.scopes.length ? "  (scopes: " + t.scopes.join(", ") + ")" : ""), "t-export");
    var f = line("Full User", t.full ? "yes" : "no trigger", "t-full");
    if (t.because.length) f.appendChild(el("span", "muted", "  because " + t.because.join("; ")));
    if (t.oauth) {
      line("OAuth client " + (T.oauth_client || ""), (t.oauth.open ? "opens" : "does not open") + ", download " + t.oauth.export +
        (t.oauth.missing.length ? ", scopes the client does not allow: " + t.oauth.missing.join(", ") : ""), "t-oauth");
    }
    if (t.denied) {
      var sa = line("Section Access alone", t.section_access || "?", "t-sa");
      if (t.section_access !== "DENIED") {
        (t.sa_reduction || []).forEach(function (r) {
          add(sa, el("span", "muted", "  " + r[0] + ": "));
          if (r[1] === null) sa.appendChild(el("span", "muted", "not reduced"));
          else r[1].forEach(function (v) { sa.appendChild(el("span", "value", v)); });
        });
        if (t.sa_omitted && t.sa_omitted.length) {
          add(sa, el("span", "muted", "  omits "));
          t.sa_omitted.forEach(function (f) { sa.appendChild(el("span", "value omit", f)); });
        }
      }
    }
  }

  function section(parent, title, wide) {
    var div = el("div", wide ? "wide" : null);
    add(div, el("h3", null, title));
    parent.appendChild(div);
    return div;
  }

  // Security rows (numbers into D.rows) as one small table per security table.
  function securityRows(parent, rowIds, emptyText) {
    if (!rowIds.length) { parent.appendChild(el("p", "muted", emptyText)); return; }
    var byTable = {};
    var order = [];
    rowIds.forEach(function (r) {
      var row = D.rows[r];
      if (!(row[0] in byTable)) { byTable[row[0]] = []; order.push(row[0]); }
      byTable[row[0]].push(row);
    });
    order.forEach(function (t) {
      var st = D.security_tables[t];
      var tbl = el("table", "inner");
      parent.appendChild(el("div", "caption", "table " + st.name));
      var hr = el("tr");
      add(hr, el("th", null, "row"));
      st.fields.forEach(function (f) { hr.appendChild(el("th", null, f)); });
      add(hr, el("th", null, "script"));
      add(tbl, add(el("thead"), hr));
      var body = el("tbody");
      byTable[t].forEach(function (row) {
        var tr = el("tr");
        add(tr, el("td", null, row[1]));
        row[3].forEach(function (c) { tr.appendChild(el("td", null, c)); });
        add(tr, el("td", "at", row[2]));
        body.appendChild(tr);
      });
      parent.appendChild(add(tbl, body));
    });
  }

  // Security rows as compact blocks (for narrow places): "TABLE row N · file:line", then FIELD value pairs.
  function compactRows(parent, rowIds, emptyText) {
    if (!rowIds.length) { parent.appendChild(el("p", "muted", emptyText)); return; }
    rowIds.forEach(function (r) {
      var row = D.rows[r], st = D.security_tables[row[0]];
      var div = el("div", "srow");
      add(div, el("div", "at", st.name + " row " + row[1] + (row[2] ? " · " + row[2] : "")));
      st.fields.forEach(function (f, k) {
        var v = row[3][k];
        var kv = el("span", "kv");
        add(kv, el("span", "k", f), el("span", "v" + (v === "" ? " blank" : ""), v === "" ? "blank" : v));
        div.appendChild(kv);
      });
      parent.appendChild(div);
    });
  }

  function details(i) {
    var u = users[i], p = D.profiles[u[USER.profile]];
    var tr = el("tr", "detail");
    var td = el("td");
    td.colSpan = 5 + TCOLS + D.tables.length;
    var box = el("div", "details");
    box.dataset.user = String(u[USER.id]);
    if (T) tenantDetails(box, tenantOf(i));
    var acc = section(box, "Access");
    add(acc, add(el("p"), el("span", "badge " + p.access, p.access)));
    if (p.reason) add(acc, el("p", "reason", p.reason));
    var sel = section(box, "Selections");
    var opensAnyway = T && tenantOf(i) && tenantOf(i).open;
    if (p.access === "DENIED") sel.appendChild(el("p", "muted", opensAnyway ?
      "none: the tenant lets the user open the app, but Section Access denies them (they get an access error)" :
      "none: the user cannot open the app"));
    else if (!p.reduction.length) sel.appendChild(el("p", "muted", "no reduction field: every row"));
    p.reduction.forEach(function (r) {
      var line = el("p", "selection");
      add(line, el("b", null, r[0] + ": "));
      if (r[1] === null) line.appendChild(el("span", "muted", "not reduced (all values)"));
      else r[1].forEach(function (v) { line.appendChild(el("span", "value", v)); });
      sel.appendChild(line);
    });
    var om = section(box, "Omitted fields");
    if (!p.omitted.length) om.appendChild(el("p", "muted", "none"));
    p.omitted.forEach(function (f) { om.appendChild(el("span", "value omit", f)); });
    var gr = section(box, "Groups");
    if (!u[USER.groups].length) gr.appendChild(el("p", "muted", "none"));
    u[USER.groups].forEach(function (g) {
      var grp = D.groups[groupOf(g)];
      var s = el("span", "value" + (g < 0 ? " off" : ""), grp.value);
      s.title = grp.names.join(", ") + (g < 0 ? " (not counted under group mode " + D.group_mode + ")" : "");
      gr.appendChild(s);
    });
    var rules = D.rule_sets[u[USER.rules]].split(" ").filter(Boolean);
    var dec = section(box, "[dec] rules this result depends on", true);
    if (!rules.length) dec.appendChild(el("p", "muted", "none"));
    rules.forEach(function (r) {
      var line = el("p", "dec");
      add(line, el("span", "rule", r), document.createTextNode(D.rules[r] || ""));
      dec.appendChild(line);
    });
    var rows = section(box, "Security rows that applied", true);
    securityRows(rows, p.rows, p.reason === "status" ? "none: the user's status keeps them out" : "none");
    add(tr, add(td, box));
    return tr;
  }

  var filterBox = document.getElementById("filter");
  var shownText = document.getElementById("shown");
  var more = document.getElementById("more");

  function render() {
    header();
    var ts = tokens(state.filter);
    var list = [];
    for (var i = 0; i < users.length; i++) if (!ts.length || matches(i, ts)) list.push(i);
    list = ordered(list);
    var frag = document.createDocumentFragment();
    var n = Math.min(list.length, state.shown);
    for (var k = 0; k < n; k++) {
      var idx = list[k];
      frag.appendChild(rowFor(idx));
      if (state.open[String(users[idx][USER.id])]) frag.appendChild(details(idx));
    }
    tbody.textContent = "";
    if (!list.length) {
      var empty = el("td", "empty", users.length ? "No user matches the filter." : "No users.");
      empty.colSpan = 5 + TCOLS + D.tables.length;
      frag.appendChild(add(el("tr"), empty));
    }
    tbody.appendChild(frag);
    shownText.textContent = "Showing " + fmt(n) + " of " + fmt(list.length) +
      (ts.length ? " matching users (" + fmt(users.length) + " in all)" : " users");
    more.hidden = n >= list.length;
    more.textContent = "Show " + fmt(Math.min(PAGE, list.length - n)) + " more";
  }

  more.addEventListener("click", function () { state.shown += PAGE; render(); });
  var timer = null;
  filterBox.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      state.filter = filterBox.value;
      state.shown = PAGE;
      writeHash();
      render();
    }, 150);
  });
  window.addEventListener("hashchange", function () { readHash(); filterBox.value = state.filter; render(); });

  // ---------------------------------------------------------------- groups
  function groups() {
    var t = document.getElementById("groups");
    if (!D.groups.length) { add(t, add(el("tr"), el("td", "empty", "No groups: no user holds one and no security row names one."))); return; }
    var counted = D.groups.map(function () { return 0; });
    var uncounted = D.groups.map(function () { return 0; });
    users.forEach(function (u) {
      u[USER.groups].forEach(function (g) { if (g < 0) uncounted[-(g + 1)]++; else counted[g]++; });
    });
    var hr = el("tr");
    ["Group", "Held as", "Members", "Security rows naming it", "Grant"].forEach(function (h) { hr.appendChild(el("th", null, h)); });
    add(t, add(el("thead"), hr));
    paged(t, D.groups, 200, function (g, i) {
      var tr = el("tr");
      tr.dataset.group = g.value;
      add(tr, add(el("td"), el("span", "value", g.value)));
      add(tr, el("td", null, g.names.join(", ") || "–"));
      var m = el("td");
      if (counted[i]) {
        var a = el("a", "link", fmt(counted[i]) + (counted[i] === 1 ? " user" : " users"));
        a.title = "Show these users";
        a.addEventListener("click", function () {
          state.filter = 'group:"' + g.value.toLowerCase() + '"';
          filterBox.value = state.filter;
          state.shown = PAGE;
          writeHash();
          render();
          document.getElementById("users-panel").scrollIntoView();
        });
        m.appendChild(a);
      } else m.appendChild(el("span", "muted", "nobody"));
      if (uncounted[i]) m.appendChild(el("div", "muted", fmt(uncounted[i]) + " more hold it, not counted under group mode " + D.group_mode));
      tr.appendChild(m);
      var rows = el("td");
      compactRows(rows, g.rows, "none");
      tr.appendChild(rows);
      var gt = el("td");
      if (!g.grant) gt.appendChild(el("span", "muted", "nothing"));
      else {
        add(gt, add(el("p"), g.grant.access ? el("span", "badge " + g.grant.access, g.grant.access) : el("span", "muted", "no valid ACCESS")));
        g.grant.reduction.forEach(function (r) {
          var line = el("p");
          add(line, el("b", null, r[0] + ": "));
          if (!r[1].length) line.appendChild(el("span", "muted", "no value"));
          r[1].forEach(function (v) { line.appendChild(el("span", "value", v)); });
          gt.appendChild(line);
        });
        if (g.grant.omit.length) {
          var o = el("p");
          add(o, el("b", null, "omits: "));
          g.grant.omit.forEach(function (f) { o.appendChild(el("span", "value omit", f)); });
          gt.appendChild(o);
        }
      }
      tr.appendChild(gt);
      return tr;
    });
  }

  // Rows of `items` into `table`, `size` at a time, with a "show more" button below the table.
  function paged(table, items, size, row) {
    var body = el("tbody");
    table.appendChild(body);
    var wrap = el("div", "more");
    var button = el("button");
    button.type = "button";
    wrap.appendChild(button);
    table.parentNode.parentNode.appendChild(wrap);
    var done = 0;
    function next() {
      var frag = document.createDocumentFragment();
      var end = Math.min(items.length, done + size);
      for (; done < end; done++) frag.appendChild(row(items[done], done));
      body.appendChild(frag);
      button.hidden = done >= items.length;
      button.textContent = "Show " + fmt(Math.min(size, items.length - done)) + " more of " + fmt(items.length);
    }
    button.addEventListener("click", next);
    next();
  }

  // ---------------------------------------------------------------- diagnostics
  function diagnostics() {
    var t = document.getElementById("diagnostics");
    if (!D.diagnostics.length) { add(t, add(el("tr"), el("td", "empty", "No diagnostics."))); return; }
    var hr = el("tr");
    ["Severity", "Code", "Message", "Where"].forEach(function (h) { hr.appendChild(el("th", null, h)); });
    add(t, add(el("thead"), hr));
    paged(t, D.diagnostics, 500, function (d) {
      var tr = el("tr");
      return add(tr, add(el("td"), el("span", "badge " + d[0], d[0])), el("td", "at", d[1]), el("td", null, d[2]), el("td", "at", d[3]));
    });
  }

  readHash();
  filterBox.value = state.filter;
  render();
  groups();
  diagnostics();
  document.body.dataset.ready = "1";
})();
