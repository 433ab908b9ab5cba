// Small SVG charts built with DOM calls only (no innerHTML).
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const COLORS = ["#2f5bd3", "#e07b24", "#1b7f3b", "#9c3fb8", "#b3261e", "#5d6677", "#0f8a8a"];
  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function clear(c) { while (c.firstChild) c.removeChild(c.firstChild); }
  function title(c, t) { if (t) { const h = document.createElement("h3"); h.textContent = t; c.appendChild(h); } }
  function legend(c, series) {
    if (series.length < 2) return;
    const l = document.createElement("div"); l.className = "legend";
    series.forEach((s, i) => {
      const item = document.createElement("span");
      const sw = document.createElement("span"); sw.className = "sw"; sw.style.background = s.color || COLORS[i % COLORS.length];
      item.appendChild(sw); item.appendChild(document.createTextNode(s.name)); l.appendChild(item);
    });
    c.appendChild(l);
  }
  // bars: grouped bar chart. opts: {title, labels[], series[{name, values[]}], fmt}
  function bars(c, opts) {
    clear(c); title(c, opts.title);
    const W = 640, H = 40 + opts.labels.length * (14 * opts.series.length + 12), left = 170, right = 90;
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.title || "chart" });
    let max = 0;
    opts.series.forEach(s => s.values.forEach(v => { if (v > max) max = v; }));
    if (max <= 0) max = 1;
    let y = 10;
    opts.labels.forEach((lab, i) => {
      svg.appendChild(el("text", { x: 0, y: y + 11 }, lab.length > 28 ? lab.slice(0, 27) + "…" : lab));
      opts.series.forEach((s, j) => {
        const v = s.values[i];
        if (v === undefined || v === null || isNaN(v)) { y += 14; return; }
        const w = Math.max(1, (W - left - right) * v / max);
        const r = el("rect", { x: left, y: y, width: w, height: 12, fill: s.color || COLORS[j % COLORS.length] });
        r.appendChild(el("title", {}, s.name + ": " + opts.fmt(v)));
        svg.appendChild(r);
        svg.appendChild(el("text", { x: left + w + 4, y: y + 10 }, opts.fmt(v)));
        y += 14;
      });
      y += 12;
    });
    c.appendChild(svg); legend(c, opts.series);
  }
  // lines: opts {title, xs[], series[{name, values[]}], fmt, fmtX}
  function lines(c, opts) {
    clear(c); title(c, opts.title);
    const W = 640, H = 200, L = 60, R = 10, T = 10, B = 24;
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.title || "chart" });
    const xs = opts.xs; if (!xs.length) { c.appendChild(svg); return; }
    const xmin = xs[0], xmax = xs[xs.length - 1] === xmin ? xmin + 1 : xs[xs.length - 1];
    opts.series.forEach((s, j) => {
      let max = 0; s.values.forEach(v => { if (v > max) max = v; }); if (max <= 0) max = 1;
      const pts = s.values.map((v, i) => `${L + (W - L - R) * (xs[i] - xmin) / (xmax - xmin)},${T + (H - T - B) * (1 - v / max)}`);
      svg.appendChild(el("polyline", { points: pts.join(" "), fill: "none", stroke: s.color || COLORS[j % COLORS.length], "stroke-width": 2 }));
      if (opts.series.length === 1) svg.appendChild(el("text", { x: 0, y: T + 10 }, opts.fmt(max)));
    });
    svg.appendChild(el("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#dde1e8" }));
    svg.appendChild(el("text", { x: L, y: H - 6 }, opts.fmtX(xmin)));
    svg.appendChild(el("text", { x: W - R - 60, y: H - 6 }, opts.fmtX(xmax)));
    c.appendChild(svg); legend(c, opts.series);
    if (opts.series.length > 1) {
      const n = document.createElement("p"); n.className = "muted small"; n.textContent = "Each line is scaled to its own peak: " +
        opts.series.map(s => s.name + " " + s.fmt(Math.max(...s.values))).join(", ");
      c.appendChild(n);
    }
  }
  window.ArsenalCharts = { bars, lines };
})();
