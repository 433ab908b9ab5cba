// Arsenal console. Every value from the server is rendered with
// textContent or DOM properties, never as HTML.
"use strict";
(function () {
  const $ = id => document.getElementById(id);
  const state = { seq: 0, options: {}, codegen: {}, lastState: null };

  // ---- formatting ----
  function fmtDur(ns) {
    if (ns === undefined || ns === null || isNaN(ns)) return "–";
    if (ns === 0) return "0";
    if (ns < 1e3) return ns.toFixed(0) + " ns";
    if (ns < 1e6) return (ns / 1e3).toFixed(ns < 1e4 ? 1 : 0) + " µs";
    if (ns < 1e9) return (ns / 1e6).toFixed(ns < 1e7 ? 2 : 1) + " ms";
    return (ns / 1e9).toFixed(2) + " s";
  }
  function fmtBytes(b) {
    if (b === undefined || b === null) return "–";
    const u = ["B", "KiB", "MiB", "GiB", "TiB"]; let i = 0;
    while (Math.abs(b) >= 1024 && i < u.length - 1) { b /= 1024; i++; }
    return (i === 0 ? b.toFixed(0) : b.toFixed(1)) + " " + u[i];
  }
  function fmtNum(n) { return Number(n).toLocaleString("en-US", { maximumFractionDigits: n < 10 ? 2 : 0 }); }
  function fmtRate(n) { return n >= 1e6 ? (n / 1e6).toFixed(2) + " M/s" : n >= 1e3 ? (n / 1e3).toFixed(1) + " k/s" : n.toFixed(1) + " /s"; }
  function fmtTime(t) { if (!t || t.startsWith("0001")) return "never"; const d = new Date(t); return isNaN(d) ? String(t) : d.toLocaleTimeString("en-GB", { hour12: false }); }
  function fmtGauge(g) {
    switch (g.Unit) {
      case "bytes": return fmtBytes(g.Value);
      case "seconds": return fmtDur(g.Value * 1e9);
      case "bool": return g.Value ? "yes" : "no";
      case "unixtime": return g.Value ? new Date(g.Value * 1000).toLocaleString("en-GB", { hour12: false }) : "never";
      case "ratio": return (g.Value * 100).toFixed(1) + " %";
      case "code": return g.Value ? (g.Text || "code " + g.Value) : "none";
      default: return fmtNum(g.Value);
    }
  }
  function fmtMetric(metric) {
    if (/ns|µs|latency|p50|p99/i.test(metric)) return v => fmtDur(metric.includes("µs") ? v * 1e3 : metric.includes("ms") ? v * 1e6 : v);
    if (/ops\/s|msgs\/s|\/s/.test(metric)) return fmtRate;
    if (/bytes|B\/op|MiB|RSS/i.test(metric)) return fmtBytes;
    return fmtNum;
  }

  // ---- DOM helpers ----
  function h(tag, props, ...kids) {
    const e = document.createElement(tag);
    if (props) for (const k in props) {
      if (k === "class") e.className = props[k];
      else if (k === "text") e.textContent = props[k];
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), props[k]);
      else if (k in e && typeof props[k] !== "string") e[k] = props[k];
      else e.setAttribute(k, props[k]);
    }
    for (const kid of kids) if (kid !== null && kid !== undefined) e.appendChild(typeof kid === "string" ? document.createTextNode(kid) : kid);
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }
  function kv(dl, pairs) { clear(dl); for (const [k, v] of pairs) { dl.appendChild(h("dt", { text: k })); dl.appendChild(h("dd", { text: String(v) })); } }
  function rows(tbody, list, cells) {
    clear(tbody);
    for (const item of list) {
      const tr = h("tr");
      for (const c of cells(item)) {
        const td = typeof c === "object" && c !== null && !(c instanceof Node) ? h("td", { class: c.cls || "", text: String(c.text) }) : h("td", { text: String(c) });
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
    }
  }

  // ---- API ----
  async function api(path, body, raw) {
    const init = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    if (raw) Object.assign(init, raw);
    const r = await fetch(path, init);
    const ct = r.headers.get("Content-Type") || "";
    const data = ct.includes("json") ? await r.json() : { error: await r.text(), code: "HTTP " + r.status };
    if (!r.ok) { const e = new Error(data.error || ("HTTP " + r.status)); e.code = data.code; throw e; }
    return data;
  }
  function showErr(id, e) { $(id).textContent = e ? (e.code ? e.code + ": " : "") + e.message : ""; }
  // learn.js (the examples catalog and the tutorials) uses these helpers.
  window.arsenalConsole = { $, h, clear, api, showErr };

  // ---- tabs ----
  const tabs = Array.from(document.querySelectorAll("[role=tab]"));
  function select(tab) {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on)); t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    }
    const name = tab.id.slice(4);
    if (history.replaceState) history.replaceState(null, "", "#" + name);
    onTab(name);
  }
  tabs.forEach((t, i) => {
    t.addEventListener("click", () => select(t));
    t.addEventListener("keydown", ev => {
      let j = -1;
      if (ev.key === "ArrowRight") j = (i + 1) % tabs.length;
      if (ev.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
      if (ev.key === "Home") j = 0;
      if (ev.key === "End") j = tabs.length - 1;
      if (j >= 0) { ev.preventDefault(); tabs[j].focus(); select(tabs[j]); }
    });
  });
  const loaded = {};
  function onTab(name) {
    document.dispatchEvent(new CustomEvent("tab-open", { detail: name }));
    if (loaded[name]) return; loaded[name] = true;
    if (name === "sqlite" || name === "redis" || name === "websocket" || name === "s3") codegenPanel(name, $("cg-" + name));
    if (name === "redis") redisRefresh();
    if (name === "s3") s3Info();
    if (name === "performance") { perfStatus(); committed(); }
    if (name === "examples") { codegenPanel($("ex-domain").value, $("cg-examples"), "examples"); }
  }

  // ---- codegen panels ----
  // A panel renders the domain's Config form and the generated program;
  // other controls of the tab set form values through cg.set(name, value).
  async function codegenPanel(domain, root, key) {
    key = key || domain;
    clear(root);
    root.appendChild(h("h2", { text: "Configuration and generated code" }));
    let cfg;
    try { cfg = await api("api/config/" + domain); } catch (e) { root.appendChild(h("p", { class: "error", text: e.message })); return; }
    const cg = { domain, values: {}, inputs: {}, headers: [], features: null, timer: 0 };
    state.codegen[key] = cg;
    const form = h("div", { class: "fields" });
    for (const f of cfg.fields) {
      const id = "cf-" + key + "-" + f.name;
      let input;
      if (f.type === "bool") {
        input = h("input", { type: "checkbox", id }); input.checked = f.value === "true";
      } else if (f.type === "select") {
        input = h("select", { id });
        for (const c of f.choices) input.appendChild(h("option", { value: c, text: c === "" ? "(default)" : c }));
        input.value = f.value;
      } else {
        input = h("input", { type: "text", id, value: f.value, placeholder: f.type === "duration" ? "default (e.g. 5s)" : f.type === "int" ? "0 = default" : f.type === "list" ? "comma separated" : "" });
      }
      input.dataset.field = f.name; input.dataset.type = f.type;
      input.addEventListener(f.type === "bool" || f.type === "select" ? "change" : "input", () => { cg.values[f.name] = val(input); schedule(cg); });
      cg.inputs[f.name] = input;
      form.appendChild(h("label", { for: id, text: f.name }));
      form.appendChild(input);
    }
    const lang = h("select", { id: "cg-lang-" + key, "aria-label": "language" });
    cfg.languages.forEach(l => lang.appendChild(h("option", { value: l, text: l })));
    const fw = h("select", { id: "cg-fw-" + key, "aria-label": "framework" });
    const fillFw = () => { clear(fw); (cfg.frameworks[lang.value] || []).forEach(x => fw.appendChild(h("option", { value: x, text: x }))); };
    fillFw();
    const cx = h("select", { id: "cg-cx-" + key, "aria-label": "complexity" });
    cfg.complexities.forEach(x => cx.appendChild(h("option", { value: x, text: x })));
    lang.addEventListener("change", () => { fillFw(); schedule(cg); });
    fw.addEventListener("change", () => schedule(cg));
    cx.addEventListener("change", () => { cg.features = null; syncFeatures(); schedule(cg); });
    const feats = h("div", { class: "features" });
    const fboxes = {};
    cfg.features.forEach(f => {
      const b = h("input", { type: "checkbox", id: "cg-f-" + key + "-" + f });
      b.addEventListener("change", () => { cg.features = cfg.features.filter(x => fboxes[x].checked); schedule(cg); });
      fboxes[f] = b; feats.appendChild(h("label", {}, b, " " + f));
    });
    function syncFeatures() { if (cg.features === null) for (const f in fboxes) fboxes[f].checked = cx.value !== "basic"; }
    syncFeatures();
    const copy = h("button", { id: "cg-copy-" + key, text: "Copy" });
    const copied = h("span", { class: "muted small", "aria-live": "polite" });
    const src = h("pre", { class: "code", id: "cg-src-" + key, tabindex: "0" });
    const meta = h("div", { class: "meta" });
    const report = h("ul", { class: "report", id: "cg-report-" + key });
    const err = h("div", { class: "error", role: "alert" });
    copy.addEventListener("click", async () => {
      try { await navigator.clipboard.writeText(src.textContent); copied.textContent = "copied"; }
      catch (e) { const r = document.createRange(); r.selectNodeContents(src); const s = getSelection(); s.removeAllRanges(); s.addRange(r); copied.textContent = "selected: press Ctrl+C"; }
    });
    root.appendChild(form);
    root.appendChild(h("div", { class: "cgbar" }, lang, fw, cx, copy, copied));
    root.appendChild(h("fieldset", {}, h("legend", { text: "features" }), feats));
    root.appendChild(err); root.appendChild(meta); root.appendChild(src);
    root.appendChild(h("h3", { text: "Validation report" })); root.appendChild(report);
    cg.lang = lang; cg.fw = fw; cg.cx = cx; cg.src = src; cg.meta = meta; cg.report = report; cg.err = err;
    cg.set = (name, v) => {
      const i = cg.inputs[name]; if (!i) return;
      if (i.type === "checkbox") i.checked = v === true || v === "true"; else i.value = v;
      cg.values[name] = val(i); schedule(cg);
    };
    cg.setHeaders = list => { cg.headers = list; schedule(cg); };
    render(cg);
    if (cg.onReady) cg.onReady(cg);
    document.dispatchEvent(new CustomEvent("codegen-ready", { detail: key }));
  }
  function val(i) { return i.type === "checkbox" ? String(i.checked) : i.value; }
  function schedule(cg) { clearTimeout(cg.timer); cg.timer = setTimeout(() => render(cg), 150); }
  async function render(cg) {
    const body = { domain: cg.domain, values: cg.values, language: cg.lang.value, framework: cg.fw.value, complexity: cg.cx.value, headers: cg.headers };
    if (cg.features !== null) body.features = cg.features;
    let v;
    try { v = await api("api/codegen", body); } catch (e) { cg.err.textContent = (e.code ? e.code + ": " : "") + e.message; return; }
    cg.err.textContent = v.error ? v.code + ": " + v.error : "";
    cg.src.textContent = v.source || "";
    cg.meta.textContent = v.filename ? v.filename + " · run: " + v.run + (v.dependencies && v.dependencies.length ? " · deps: " + v.dependencies.join(", ") : "") : "";
    clear(cg.report);
    const sections = [["syntax", v.report.syntax], ["security", v.report.security], ["performance", v.report.performance], ["compatibility", v.report.compatibility]];
    for (const [name, list] of sections) {
      if (!list || !list.length) { cg.report.appendChild(h("li", { class: "ok", text: name + ": ok" })); continue; }
      for (const f of list) cg.report.appendChild(h("li", { class: "sev-" + f.severity, text: name + " · " + f.severity + (f.field ? " · " + f.field : "") + ": " + f.message }));
    }
    cg.src.dataset.version = String((Number(cg.src.dataset.version) || 0) + 1);
  }
  function whenCodegen(key, fn) {
    if (state.codegen[key] && state.codegen[key].src) return fn(state.codegen[key]);
    document.addEventListener("codegen-ready", ev => { if (ev.detail === key) fn(state.codegen[key]); });
  }
  $("ex-domain").addEventListener("change", () => codegenPanel($("ex-domain").value, $("cg-examples"), "examples"));

  // ---- sqlite ----
  async function sqliteRun() {
    showErr("sq-error");
    const body = { readonly: $("sq-readonly").checked, strict: $("sq-strict").checked, safeIntegers: $("sq-safe").checked, query: $("sq-query").value };
    if (state.options.allowSQL && $("sq-sql").value.trim() !== "" && $("sq-sql").dataset.edited === "1") body.sql = $("sq-sql").value;
    let v;
    try { v = await api("api/sqlite/run", body); } catch (e) { showErr("sq-error", e); return; }
    $("sq-meta").textContent = "image " + fmtBytes(v.imageBytes) + " · " + v.rows + " rows in " + fmtDur(v.durationNs) + " · " + v.sql;
    if (v.error) showErr("sq-error", { code: v.code, message: v.error });
    const tb = $("sq-types").tBodies[0]; clear(tb);
    for (const c of v.columns) {
      const types = h("td", { class: "mono" });
      c.types.forEach((t, i) => {
        const s = h("span", { text: t, class: c.surpriseAt.includes(i) ? "surprise" : "" });
        if (c.surpriseAt.includes(i)) s.title = "stored as " + t + " although declared " + c.declType;
        if (i) types.appendChild(document.createTextNode(", "));
        types.appendChild(s);
      });
      const tr = h("tr", { "data-column": c.name }, h("td", { class: "mono", text: c.name }), h("td", { class: "mono", text: c.hasDecl ? c.declType : "(expression)" }), types);
      tb.appendChild(tr);
    }
    let shown = v.rowsJson || "";
    try { shown = JSON.stringify(JSON.parse(v.rowsJson), null, 1); } catch (e) { /* shown raw */ }
    // Big integers: JSON.parse would round them, so show the server's exact digits.
    $("sq-rows").textContent = v.options.safeIntegers ? v.rowsJson : shown;
    const big = (v.rowsJson || "").match(/-?\d{16,}/);
    $("sq-note").textContent = !big ? "" : v.options.safeIntegers
      ? "safeIntegers: " + big[0] + " arrives as a JSON string, exact."
      : "Without safeIntegers JavaScript's JSON.parse reads " + big[0] + " as " + JSON.parse(big[0]) + ".";
  }
  ["sq-readonly", "sq-strict", "sq-safe"].forEach(id => $(id).addEventListener("change", () => {
    whenCodegen("sqlite", cg => {
      cg.set({ "sq-readonly": "ReadOnly", "sq-strict": "Strict", "sq-safe": "SafeIntegers" }[id], $(id).checked);
      // A read-only database cannot be created: the Config would not validate.
      if (id === "sq-readonly") cg.set("Create", !$(id).checked);
    });
    sqliteRun();
  }));
  $("sq-query").addEventListener("change", sqliteRun);
  $("sq-run").addEventListener("click", sqliteRun);
  $("sq-sql").addEventListener("input", () => { $("sq-sql").dataset.edited = "1"; });

  // ---- redis ----
  function redisBody() { return { key: $("rd-key").value, field: $("rd-field").value, value: $("rd-value").value, channel: $("rd-channel").value }; }
  async function redisDo(op) {
    showErr("rd-error");
    try {
      const v = await api("api/redis/" + op, redisBody());
      $("rd-last").textContent = v.command + " " + v.args.join(" ") + " → " + (v.error ? v.code + ": " + v.error : v.result) + " in " + fmtDur(v.latencyNs);
      if (v.error) showErr("rd-error", { code: v.code, message: v.error });
    } catch (e) { showErr("rd-error", e); }
    redisRefresh();
  }
  ["set", "get", "hset", "hgetall", "publish", "subscribe"].forEach(op => $("rd-" + op).addEventListener("click", () => redisDo(op)));
  let redisTimer = 0;
  function redisRefresh() { clearTimeout(redisTimer); redisTimer = setTimeout(redisLoad, 50); }
  async function redisLoad() {
    let v;
    try { v = await api("api/redis/state"); } catch (e) { showErr("rd-error", e); return; }
    kv($("rd-conn"), [["state", v.connected ? "connected" : "disconnected"], ["reconnects", v.reconnects], ["disconnects", v.disconnects],
      ["last error", v.lastError ? v.lastCode + " (" + v.lastAction + "): " + v.lastError : "none"], ["last error at", fmtTime(v.lastErrorAt)]]);
    kv($("rd-lat"), [["samples", v.latency.count], ["p50", fmtDur(v.latency.p50Ns)], ["p95", fmtDur(v.latency.p95Ns)], ["p99", fmtDur(v.latency.p99Ns)], ["max", fmtDur(v.latency.maxNs)]]);
    $("rd-subs").textContent = v.subscribed.length ? "subscribed: " + v.subscribed.join(", ") : "not subscribed";
    const ul = clear($("rd-messages"));
    v.messages.slice().reverse().forEach(m => ul.appendChild(h("li", { text: fmtTime(m.at) + "  " + m.channel + "  " + m.payload })));
    rows($("rd-history").tBodies[0], v.history.slice().reverse(), o => [fmtTime(o.at), o.command, o.args.join(" "), { cls: "num", text: fmtDur(o.latencyNs) }, o.error ? o.code + ": " + o.error : o.result]);
  }

  // ---- websocket ----
  const protos = ["arsenal.echo.v1", "arsenal.json.v2", "graphql-transport-ws", "chat.unknown"];
  const chosen = new Set(["arsenal.echo.v1"]);
  protos.forEach(p => {
    const b = h("button", { class: "pill", type: "button", "aria-pressed": String(chosen.has(p)), text: p });
    b.addEventListener("click", () => {
      if (chosen.has(p)) chosen.delete(p); else chosen.add(p);
      b.setAttribute("aria-pressed", String(chosen.has(p)));
      whenCodegen("websocket", cg => cg.set("Subprotocols", protos.filter(x => chosen.has(x)).join(",")));
    });
    $("ws-protos").appendChild(b);
  });
  function headerRows() { return Array.from($("ws-headers").querySelectorAll(".hdr-row")).map(r => [r.children[0].value, r.children[1].value]); }
  function addHeader(name, value) {
    const row = h("div", { class: "hdr-row" });
    const n = h("input", { type: "text", value: name || "", "aria-label": "header name", placeholder: "X-Name" });
    const v = h("input", { type: "text", value: value || "", "aria-label": "header value", placeholder: "value" });
    const rm = h("button", { type: "button", text: "Remove", "aria-label": "remove header" });
    rm.addEventListener("click", () => { row.remove(); syncHeaders(); });
    n.addEventListener("input", syncHeaders); v.addEventListener("input", syncHeaders);
    row.append(n, v, rm); $("ws-headers").appendChild(row);
    syncHeaders();
  }
  function syncHeaders() { whenCodegen("websocket", cg => cg.setHeaders(headerRows().filter(r => r[0].trim() !== ""))); }
  $("ws-add-header").addEventListener("click", () => addHeader("", ""));
  addHeader("X-Demo", "console");
  $("ws-compress").addEventListener("change", () => whenCodegen("websocket", cg => cg.set("DisableCompression", !$("ws-compress").checked)));
  $("ws-connect").addEventListener("click", async () => {
    showErr("ws-error");
    let v;
    try { v = await api("api/websocket/connect", { url: $("ws-url").value, subprotocols: protos.filter(x => chosen.has(x)), headers: headerRows().filter(r => r[0].trim() !== ""), compression: $("ws-compress").checked, messages: 20 }); }
    catch (e) { showErr("ws-error", e); return; }
    const rtts = v.rttsNs.slice().sort((a, b) => a - b);
    kv($("ws-result"), [["url", v.url], ["subprotocol", v.subprotocol || "(none)"], ["extensions", v.extensions || "(none)"], ["compression", v.compression],
      ["handshake", fmtDur(v.handshakeNs)], ["round trips", rtts.length + ", p50 " + fmtDur(rtts[Math.floor(rtts.length / 2)]) + ", max " + fmtDur(rtts[rtts.length - 1])],
      ["sent", fmtBytes(v.payloadOut) + " payload → " + fmtBytes(v.wireOut) + " on the wire"],
      ["compression ratio", (v.ratio * 100).toFixed(1) + " % of the payload size"]]);
    ArsenalCharts.lines($("ws-rtt-chart"), { title: "Round-trip time per message", xs: v.rttsNs.map((_, i) => i + 1), series: [{ name: "rtt", values: v.rttsNs, fmt: fmtDur }], fmt: fmtDur, fmtX: x => "#" + x });
    const ul = clear($("ws-log"));
    v.log.forEach(l => ul.appendChild(h("li", { text: (l.dir === "sent" ? "→ " : "← ") + fmtBytes(l.bytes) + "  " + l.text })));
  });

  // ---- s3 ----
  async function s3Info() {
    showErr("s3-error");
    let v;
    try { v = await api("api/s3/info?key=" + encodeURIComponent($("s3-key").value || "hello.txt")); } catch (e) { showErr("s3-error", e); return; }
    $("s3-bucket").textContent = v.bucket; $("s3-prefix").textContent = v.prefix;
    const sel = $("s3-class");
    if (!sel.options.length) {
      sel.appendChild(h("option", { value: "", text: "(bucket default)" }));
      v.storageClasses.forEach(c => sel.appendChild(h("option", { value: c, text: c })));
    }
    const style = document.querySelector("input[name=s3-style]:checked").value;
    kv($("s3-urls"), [["path style", v.pathUrl], ["virtual-hosted", v.virtualUrl], ["selected", style === "path" ? v.pathUrl : v.virtualUrl]]);
  }
  $("s3-key").addEventListener("change", s3Info);
  $("s3-class").addEventListener("change", () => whenCodegen("s3", cg => cg.set("StorageClass", $("s3-class").value)));
  document.querySelectorAll("input[name=s3-style]").forEach(r => r.addEventListener("change", () => { s3Info(); whenCodegen("s3", cg => cg.set("Style", r.value)); }));
  $("s3-upload").addEventListener("click", () => {
    showErr("s3-error");
    const f = $("s3-file").files[0];
    if (!f) { showErr("s3-error", { message: "choose a file first" }); return; }
    if (f.size > state.options.maxUpload) { showErr("s3-error", { code: "ResourceExhausted", message: "the console accepts uploads up to " + fmtBytes(state.options.maxUpload) }); return; }
    const key = $("s3-key").value || f.name;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "api/s3/upload?key=" + encodeURIComponent(key) + "&storageClass=" + encodeURIComponent($("s3-class").value));
    xhr.upload.onprogress = ev => { if (ev.lengthComputable) $("s3-progress").value = 100 * ev.loaded / ev.total; };
    xhr.onload = () => {
      let v = {}; try { v = JSON.parse(xhr.responseText); } catch (e) { v = { error: xhr.responseText }; }
      if (xhr.status !== 200) { showErr("s3-error", { code: v.code, message: v.error }); return; }
      $("s3-progress").value = 100;
      $("s3-up-result").textContent = "uploaded " + v.key + ": " + fmtBytes(v.bytes) + " in " + fmtDur(v.durationNs) + (v.storageClass ? " as " + v.storageClass : "");
      s3List();
    };
    xhr.onerror = () => showErr("s3-error", { message: "upload failed" });
    xhr.send(f);
  });
  async function s3List() {
    showErr("s3-error");
    let v;
    try { v = await api("api/s3/list", { prefix: $("s3-lprefix").value, delimiter: $("s3-delim").value }); } catch (e) { showErr("s3-error", e); return; }
    rows($("s3-objects").tBodies[0], v.objects, o => [o.key, { cls: "num", text: o.isPrefix ? "dir" : fmtBytes(o.size) }, o.isPrefix ? "" : fmtTime(o.lastModified), o.storageClass || ""]);
  }
  $("s3-list").addEventListener("click", s3List);
  $("s3-download").addEventListener("click", () => {
    const a = h("a", { href: "api/s3/download?key=" + encodeURIComponent($("s3-key").value), download: "" });
    document.body.appendChild(a); a.click(); a.remove();
  });
  $("s3-presign").addEventListener("click", async () => {
    showErr("s3-error");
    try {
      const v = await api("api/s3/presign", { key: $("s3-key").value, method: "GET", expiresSeconds: 900 });
      clear($("s3-presigned")).appendChild(h("span", { text: "GET, expires " + fmtTime(v.expires) + ": " }));
      $("s3-presigned").appendChild(h("code", { id: "s3-presigned-url", text: v.url }));
    } catch (e) { showErr("s3-error", e); }
  });

  // ---- performance ----
  $("pf-run").addEventListener("click", async () => {
    showErr("pf-error");
    const levels = $("pf-levels").value.split(",").map(s => parseInt(s.trim(), 10)).filter(n => n > 0);
    try {
      await api("api/perf/run", { component: $("pf-comp").value, levels, durationMs: Number($("pf-dur").value), scaling: $("pf-scaling").checked });
      $("pf-run").disabled = true; $("pf-cancel").disabled = false; $("pf-status").textContent = "starting…";
      clear($("pf-levels-table").tBodies[0]); ["pf-chart-ops", "pf-chart-lat", "pf-chart-eff", "pf-chart-res", "pf-chart-scale"].forEach(id => clear($(id)));
      perfPoll();
    } catch (e) { showErr("pf-error", e); }
  });
  $("pf-cancel").addEventListener("click", async () => { try { await api("api/perf/cancel", {}); } catch (e) { showErr("pf-error", e); } });
  let perfTimer = 0;
  function perfPoll() { clearTimeout(perfTimer); perfTimer = setTimeout(perfStatus, 300); }
  async function perfStatus() {
    let v; try { v = await api("api/perf/status"); } catch (e) { showErr("pf-error", e); return; }
    perfShow(v);
    if (v.running) perfPoll();
  }
  function perfProgress(p) {
    if (!p) return;
    const frac = p.Planned ? Math.min(1, p.Elapsed / p.Planned) : p.Total ? p.Done / p.Total : 0;
    $("pf-progress").value = 100 * (p.Level + (p.Finished ? 1 : frac)) / p.Levels;
    $("pf-status").textContent = (p.Warmup ? "warming up " : "measuring ") + p.Concurrency + " callers (level " + (p.Level + 1) + " of " + p.Levels + "), " + fmtNum(p.Done) + " calls";
  }
  function perfShow(v) {
    $("pf-run").disabled = v.running; $("pf-cancel").disabled = !v.running;
    if (v.running) { perfProgress(v.progress); return; }
    if (v.error) showErr("pf-error", { code: v.code, message: v.error });
    if (!v.result) { $("pf-status").textContent = v.error ? "stopped" : ""; return; }
    $("pf-progress").value = 100;
    const L = v.result.Levels;
    $("pf-status").textContent = (v.error ? "stopped: " : "done: ") + v.result.Name + ", best " + fmtRate(Math.max(...L.map(l => l.OpsPerSec)));
    rows($("pf-levels-table").tBodies[0], L, l => [{ cls: "num", text: l.Concurrency }, { cls: "num", text: fmtRate(l.OpsPerSec) }, { cls: "num", text: fmtDur(l.Latency.P50) },
      { cls: "num", text: fmtDur(l.Latency.P99) }, { cls: "num", text: l.Speedup.toFixed(2) + "×" }, { cls: "num", text: (l.Efficiency * 100).toFixed(0) + " %" }, { cls: "num", text: fmtNum(l.Errors) }]);
    const labels = L.map(l => l.Concurrency + " callers");
    ArsenalCharts.bars($("pf-chart-ops"), { title: "Throughput by concurrency", labels, series: [{ name: "ops/s", values: L.map(l => l.OpsPerSec) }], fmt: fmtRate });
    ArsenalCharts.bars($("pf-chart-lat"), { title: "Latency by concurrency", labels, series: [{ name: "p50", values: L.map(l => l.Latency.P50) }, { name: "p99", values: L.map(l => l.Latency.P99) }], fmt: fmtDur });
    ArsenalCharts.bars($("pf-chart-eff"), { title: "Speedup and scaling efficiency", labels, series: [{ name: "speedup ×", values: L.map(l => l.Speedup) }, { name: "efficiency", values: L.map(l => l.Efficiency) }], fmt: x => x.toFixed(2) });
    const S = (v.result.Resources && v.result.Resources.Samples) || [];
    if (S.length > 1) {
      const cpu = S.map((s, i) => i === 0 ? 0 : ((s.CPUUser + s.CPUSys) - (S[i - 1].CPUUser + S[i - 1].CPUSys)) / Math.max(1, s.At - S[i - 1].At));
      ArsenalCharts.lines($("pf-chart-res"), { title: "Process during the run (CPU cores, RSS, heap, goroutines)", xs: S.map(s => s.At),
        series: [{ name: "CPU cores", values: cpu, fmt: x => x.toFixed(2) }, { name: "RSS", values: S.map(s => s.RSS), fmt: fmtBytes }, { name: "heap", values: S.map(s => s.Heap), fmt: fmtBytes }, { name: "goroutines", values: S.map(s => s.Goroutines), fmt: fmtNum }],
        fmtX: fmtDur });
    }
    if (v.scaling.length) ArsenalCharts.bars($("pf-chart-scale"), { title: "GOMAXPROCS scaling", labels: v.scaling.map(s => "GOMAXPROCS=" + s.gomaxprocs), series: [{ name: "ops/s", values: v.scaling.map(s => s.opsPerSec) }], fmt: fmtRate });
  }
  let committedTable = null;
  async function committed() {
    try { committedTable = await api("api/perf/results"); } catch (e) { showErr("pf-error", e); return; }
    const sel = clear($("pf-domain"));
    committedTable.domains.forEach(d => sel.appendChild(h("option", { value: d, text: d })));
    showCommitted();
  }
  $("pf-domain").addEventListener("change", showCommitted);
  function showCommitted() {
    const root = clear($("pf-committed"));
    if (!committedTable) return;
    const d = $("pf-domain").value;
    const tb = committedTable.tables[d];
    if (!tb) return;
    const metrics = [...new Set(tb.Rows.map(r => r.Metric))];
    for (const m of metrics) {
      const rs = tb.Rows.filter(r => r.Metric === m);
      const impls = tb.Impls.filter(i => rs.some(r => r.Values && r.Values[i] !== undefined));
      const c = h("div", { class: "chart" }); root.appendChild(c);
      ArsenalCharts.bars(c, { title: d + ": " + m + (rs[0].Higher ? " (higher is better)" : " (lower is better)"), labels: rs.map(r => r.Workload),
        series: impls.map(i => ({ name: i, values: rs.map(r => r.Values[i]) })), fmt: fmtMetric(m) });
    }
    const checks = tb.Checks || [];
    if (checks.length) {
      const ul = h("ul", { class: "report" });
      checks.forEach(x => ul.appendChild(h("li", { class: x.pass ? "ok" : "bad", text: (x.pass ? "pass · " : "fail · ") + x.check + (x.detail ? " (" + x.detail + ")" : "") })));
      root.appendChild(h("h3", { text: "Targets" })); root.appendChild(ul);
    }
  }

  // ---- live updates: WebSocket with polling fallback ----
  function applyState(s) {
    state.lastState = s; state.options = s.options;
    $("rd-prefix").textContent = s.options.demoPrefix;
    $("pf-ncpu").textContent = s.options.numCPU;
    const wsu = $("ws-url");
    if (wsu.options.length === 1) s.options.dialURLs.forEach(u => wsu.appendChild(h("option", { value: u, text: u })));
    $("pf-scaling").disabled = !s.options.allowScaling;
    if (s.options.allowSQL && $("sq-sql").hidden) { $("sq-sql").hidden = false; $("sq-sql-note").textContent = "SQL typed here runs on a read-only copy."; }
    else if (!s.options.allowSQL) $("sq-sql-note").textContent = "Built-in queries only (Options.AllowSQL is off).";
    $("summary").textContent = s.components.length + " components · " + s.components.filter(c => c.healthy).length + " healthy · " + s.process.goroutines + " goroutines · heap " + fmtBytes(s.process.heapBytes);
    rows($("ex-components").tBodies[0], s.components, c => {
      const calls = c.ops.reduce((a, o) => a + o.count, 0), errs = c.ops.reduce((a, o) => a + o.errors, 0);
      return [c.name, c.kind, c.target, c.healthy ? "ok (" + fmtDur(c.healthNs) + ")" : c.code + ": " + c.error, { cls: "num", text: fmtNum(calls) }, { cls: "num", text: fmtNum(errs) }];
    });
    const g = clear($("ex-gauges"));
    for (const c of s.components) {
      g.appendChild(h("h3", { text: c.name + " gauges" }));
      const box = h("div", { class: "gauges" });
      c.gauges.forEach(x => box.appendChild(h("div", { class: "gauge" }, h("span", { text: x.Name }), h("span", { text: fmtGauge(x) }))));
      g.appendChild(box);
    }
  }
  function onEvent(ev) {
    if (ev.seq && ev.seq > state.seq) state.seq = ev.seq;
    if (ev.topic === "stats") applyState(ev.data);
    if (ev.topic === "redis" && loaded.redis) redisRefresh();
    if (ev.topic === "perf") { if (ev.data.progress) perfProgress(ev.data.progress); else perfShow(ev.data); }
  }
  let pollTimer = 0;
  function startPolling() {
    $("live-mode").textContent = "polling"; $("live-mode").className = "badge warn";
    const tick = async () => {
      try {
        applyState(await api("api/state"));
        const e = await api("api/events?since=" + state.seq);
        e.events.forEach(onEvent); state.seq = e.seq;
      } catch (err) { $("live-mode").textContent = "offline"; }
      pollTimer = setTimeout(tick, 2000);
    };
    tick();
  }
  function startLive() {
    let ws;
    try { const u = new URL("live", location.href); u.protocol = u.protocol === "https:" ? "wss:" : "ws:"; ws = new WebSocket(u); }
    catch (e) { startPolling(); return; }
    let opened = false;
    ws.onopen = () => { opened = true; $("live-mode").textContent = "live"; $("live-mode").className = "badge ok"; };
    ws.onmessage = m => { try { onEvent(JSON.parse(m.data)); } catch (e) { /* ignore a bad frame */ } };
    ws.onclose = () => { if (!pollTimer) startPolling(); if (opened) setTimeout(() => { clearTimeout(pollTimer); pollTimer = 0; startLive(); }, 5000); };
  }

  api("api/state").then(applyState).catch(() => {});
  startLive();
  const first = tabs.find(t => "#" + t.id.slice(4) === location.hash) || tabs[0];
  select(first);
  if (first.id === "tab-sqlite") sqliteRun();
  document.addEventListener("codegen-ready", () => {});
  $("tab-sqlite").addEventListener("click", () => { if (!$("sq-meta").textContent) sqliteRun(); });
})();
