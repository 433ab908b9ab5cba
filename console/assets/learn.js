// Arsenal console: the examples catalog and the tutorials. Every value
// from the server is rendered with textContent or DOM properties, never
// as HTML.
"use strict";
(function () {
  const { $, h, clear, api, showErr } = window.arsenalConsole;

  // ---- examples catalog ----
  const cat = { loaded: false, timer: 0, seq: 0, current: "", files: [] };
  function fill(sel, values) {
    const keep = sel.value;
    while (sel.options.length > 1) sel.remove(1);
    for (const v of values) sel.appendChild(h("option", { value: v, text: v }));
    sel.value = keep;
  }
  async function catalogSearch() {
    const seq = ++cat.seq;
    const p = new URLSearchParams();
    const add = (k, id) => { const v = $(id).value.trim(); if (v) p.set(k, v); };
    add("q", "ex-search"); add("database", "ex-database"); add("complexity", "ex-complexity"); add("tag", "ex-tag"); add("feature", "ex-feature");
    let v;
    try { v = await api("api/examples?" + p.toString()); } catch (e) { showErr("ex-error", e); return; }
    if (seq !== cat.seq) return; // a later search answered first
    showErr("ex-error");
    if (!cat.loaded) {
      cat.loaded = true;
      fill($("ex-database"), v.facets.databases); fill($("ex-complexity"), v.facets.complexities);
      fill($("ex-tag"), v.facets.tags); fill($("ex-feature"), v.facets.features);
    }
    $("ex-count").textContent = v.examples.length + " of " + v.total + " examples";
    const ul = clear($("ex-list"));
    for (const e of v.examples) {
      const b = h("button", { type: "button", "data-name": e.name, onclick: () => openExample(e.name) },
        h("span", { class: "name", text: e.name }),
        h("span", { class: "cx cx-" + e.complexity, text: e.complexity }),
        h("span", { class: "cx", text: e.database }),
        h("span", { text: e.title }),
        h("span", { class: "tags", text: e.tags.join(", ") }));
      if (e.name === cat.current) b.setAttribute("aria-current", "true");
      ul.appendChild(h("li", {}, b));
    }
    if (!v.examples.length) ul.appendChild(h("li", { class: "muted", text: "no example matches" }));
  }
  function scheduleSearch() { clearTimeout(cat.timer); cat.timer = setTimeout(catalogSearch, 150); }
  async function openExample(name) {
    let v;
    try { v = await api("api/examples/" + encodeURIComponent(name)); } catch (e) { showErr("ex-error", e); return; }
    showErr("ex-error");
    cat.current = name; cat.files = v.files;
    for (const b of document.querySelectorAll("#ex-list button")) b.setAttribute("aria-current", String(b.dataset.name === name));
    $("ex-title").textContent = v.title;
    $("ex-meta").textContent = v.name + " · " + v.database + " · " + v.complexity;
    $("ex-desc").textContent = v.description;
    const facts = clear($("ex-facts"));
    const pairs = [["run", v.run], ["tags", v.tags.join(", ")], ["features", v.features.join(", ")], ["environment", (v.env || []).join(", ") || "none"], ["prints", v.expect.join(" · ")]];
    for (const [k, x] of pairs) { facts.appendChild(h("dt", { text: k })); facts.appendChild(h("dd", { text: x })); }
    const sel = clear($("ex-file"));
    v.files.forEach((f, i) => sel.appendChild(h("option", { value: String(i), text: f.name })));
    showFile(0);
    $("ex-copy").disabled = false;
  }
  function showFile(i) { const f = cat.files[i]; $("ex-code").textContent = f ? f.code : ""; $("ex-copied").textContent = ""; }
  $("ex-search").addEventListener("input", scheduleSearch);
  for (const id of ["ex-database", "ex-complexity", "ex-tag", "ex-feature"]) $(id).addEventListener("change", catalogSearch);
  $("ex-file").addEventListener("change", () => showFile(Number($("ex-file").value)));
  $("ex-copy").addEventListener("click", async () => {
    const src = $("ex-code");
    try { await navigator.clipboard.writeText(src.textContent); $("ex-copied").textContent = "copied"; }
    catch (e) { const r = document.createRange(); r.selectNodeContents(src); const s = getSelection(); s.removeAllRanges(); s.addRange(r); $("ex-copied").textContent = "selected: press Ctrl+C"; }
  });

  // ---- tutorials ----
  const tu = { loaded: false, t: null, step: 1, allowApply: false };
  async function tutorialsLoad() {
    let v;
    try { v = await api("api/tutorials"); } catch (e) { showErr("tu-error", e); return; }
    tu.allowApply = v.allowApply;
    const sel = clear($("tu-pick"));
    for (const t of v.tutorials) sel.appendChild(h("option", { value: t.name, text: t.name + ": " + t.title }));
    await tutorialOpen(sel.value);
  }
  async function tutorialOpen(name) {
    let v;
    try { v = await api("api/tutorials/" + encodeURIComponent(name)); } catch (e) { showErr("tu-error", e); return; }
    tu.t = v; tu.step = 1;
    $("tu-desc").textContent = v.description;
    $("tu-target").textContent = v.target;
    renderSteps(); showStep(1);
  }
  function renderSteps() {
    const ol = clear($("tu-steps"));
    let done = 0;
    for (const s of tu.t.items) {
      if (s.status === "done") done++;
      const b = h("button", { type: "button", id: "tu-step-" + s.n, text: s.title, onclick: () => showStep(s.n) });
      if (s.n === tu.step) b.setAttribute("aria-current", "step");
      const st = h("span", { class: "st st-" + (s.status || "none"), id: "tu-status-" + s.n, text: s.status === "done" ? "✓ done" : s.status === "todo" ? "not done" : "" });
      ol.appendChild(h("li", {}, b, " ", st));
    }
    $("tu-progress").textContent = done + " of " + tu.t.items.length + " steps done";
  }
  function showStep(n) {
    tu.step = n;
    const s = tu.t.items[n - 1];
    $("tu-step-title").textContent = "Step " + n + " of " + tu.t.items.length + ": " + s.title;
    $("tu-instruction").textContent = s.instruction;
    $("tu-hint").textContent = s.hint; $("tu-hint").hidden = true;
    $("tu-code").textContent = s.code; $("tu-code").hidden = true;
    $("tu-apply").hidden = true;
    $("tu-apply-note").textContent = "";
    $("tu-result").textContent = ""; showErr("tu-error");
    $("tu-prev").disabled = n <= 1; $("tu-next").disabled = n >= tu.t.items.length;
    renderSteps();
  }
  function applyProgress(progress) { progress.forEach((p, i) => { tu.t.items[i].status = p; }); renderSteps(); }
  async function check(step) {
    showErr("tu-error"); $("tu-result").textContent = "checking…";
    let v;
    try { v = await api("api/tutorials/" + encodeURIComponent(tu.t.name) + "/check", { step }); } catch (e) { $("tu-result").textContent = ""; showErr("tu-error", e); return; }
    $("tu-target").textContent = v.target;
    applyProgress(v.progress);
    if (step === 0) { $("tu-result").textContent = ""; return; }
    const r = v.results[0];
    $("tu-result").textContent = r.done ? "✓ step " + step + " done" : "not done yet";
    if (!r.done) showErr("tu-error", { code: r.code, message: r.error });
  }
  $("tu-pick").addEventListener("change", () => tutorialOpen($("tu-pick").value));
  $("tu-check").addEventListener("click", () => check(tu.step));
  $("tu-check-all").addEventListener("click", () => check(0));
  $("tu-hint-btn").addEventListener("click", () => { $("tu-hint").hidden = false; });
  $("tu-solution-btn").addEventListener("click", () => {
    $("tu-code").hidden = false;
    $("tu-apply").hidden = !tu.allowApply;
    $("tu-apply-note").textContent = tu.allowApply ? "Apply runs this code against " + $("tu-target").textContent + "." : "Run this code yourself: applying a solution from the page is off (Options.AllowTutorialSolutions).";
  });
  $("tu-apply").addEventListener("click", async () => {
    showErr("tu-error");
    try { await api("api/tutorials/" + encodeURIComponent(tu.t.name) + "/apply", { step: tu.step }); } catch (e) { showErr("tu-error", e); return; }
    $("tu-result").textContent = "solution applied: press Check";
  });
  $("tu-reset").addEventListener("click", async () => {
    showErr("tu-error");
    let v;
    try { v = await api("api/tutorials/" + encodeURIComponent(tu.t.name) + "/reset", {}); } catch (e) { showErr("tu-error", e); return; }
    await tutorialOpen(tu.t.name);
    $("tu-result").textContent = "started over (" + v.deleted + " deleted)";
  });
  $("tu-prev").addEventListener("click", () => showStep(tu.step - 1));
  $("tu-next").addEventListener("click", () => showStep(tu.step + 1));

  function onTab(name) {
    if (name === "examples" && !cat.started) { cat.started = true; catalogSearch(); }
    if (name === "tutorials" && !tu.loaded) { tu.loaded = true; tutorialsLoad(); }
  }
  document.addEventListener("tab-open", ev => onTab(ev.detail));
  // app.js selected the first tab before this script ran.
  for (const name of ["examples", "tutorials"]) if (!$("panel-" + name).hidden) onTab(name);
})();
