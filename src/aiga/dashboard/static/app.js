// The aiga dashboard's page script: draws the runs list and a run's panels from the JSON API, and polls
// it so the page follows a run that is going. A panel is data ({type: "chart" | "table" | "facts" |
// "tree" | "media" | "message", ...}, see aiga/dashboard/pages.py); a system's page is a list of them,
// so a new system needs no change here. Charts are drawn by Plotly (served from the installed Python
// package), the lineage tree as SVG by this script.
"use strict";

const POLL_MS = 4000;
const MARKER_STYLE = {
  admitted: {colour: "#2a9d8f", dash: "solid", symbol: "triangle-up"},
  retired: {colour: "#999999", dash: "dot", symbol: "x"},
  transfer: {colour: "#7b2cbf", dash: "dash", symbol: "diamond"},
  solved: {colour: "#e76f51", dash: "dashdot", symbol: "star"},
};
const SVG_NS = "http://www.w3.org/2000/svg";
let pollTimer = null;
let generation = 0; // bumps when the page changes, so a late reply of the previous page is dropped
const panelBoxes = new Map(); // panel key -> its container, reused across polls
const treeSelection = new Map(); // tree id -> selected node id

// ------------------------------------------------------------------------------------------ helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined) continue;
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function fill(node, ...children) {
  node.replaceChildren(...children.filter((c) => c !== null && c !== undefined && c !== ""));
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function fmt(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return v.toLocaleString("en");
    return Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);
  }
  return String(v);
}

function when(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleString() : "–";
}

async function getJSON(url) {
  const r = await fetch(url, {cache: "no-store"});
  const body = await r.json().catch(() => ({error: `HTTP ${r.status}`}));
  if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
  return body;
}

function schedule(fn) {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(fn, POLL_MS);
}

function stamp(ok, text) {
  if (ok) document.body.dataset.polls = String(Number(document.body.dataset.polls || 0) + 1);
  const u = document.getElementById("updated");
  u.textContent = ok ? `updated ${new Date().toLocaleTimeString()}` : text;
  u.className = ok ? "muted" : "warn";
}

function statusBadge(row) {
  return el("span", {class: `status ${row.status}`, title: row.why || row.error || "", text: row.status});
}

// ------------------------------------------------------------------------------------------ runs list

async function showRuns() {
  const gen = ++generation;
  document.getElementById("crumb").textContent = "";
  document.title = "aiga dashboard";
  const main = document.getElementById("main");
  try {
    const data = await getJSON("/api/runs");
    if (gen !== generation) return;
    main.replaceChildren(runsTable(data));
    stamp(true);
  } catch (e) {
    if (gen !== generation) return;
    stamp(false, `cannot reach the server (${e.message}); retrying`);
  }
  schedule(showRuns);
}

function runsTable(data) {
  const box = el("section", {class: "panel", id: "runs"}, el("h2", {text: `runs in ${data.root}`}));
  if (!data.runs.length) {
    box.append(el("p", {class: "muted", text: "No runs here yet. Start one, e.g. aiga poet --preset smoke."}));
    return box;
  }
  const head = el("tr", {}, ...["run", "system", "started", "status", "iterations", "key figure"].map(
    (h) => el("th", {text: h})));
  const body = el("tbody");
  for (const r of data.runs) {
    const link = el("a", {href: `/run/${encodeURIComponent(r.name)}`, text: r.name});
    const iters = r.iterations === null ? "–" : `${fmt(r.iterations)}${r.budget ? " / " + fmt(r.budget) : ""}`;
    const last = r.error ? el("td", {class: "error", text: r.error})
      : el("td", {text: r.key_figure || (r.page ? "" : "no page for this system: generic view")});
    body.append(el("tr", {"data-run": r.name, "data-status": r.status}, el("td", {}, link),
      el("td", {text: r.system || "?"}), el("td", {text: when(r.started)}), el("td", {}, statusBadge(r)),
      el("td", {class: "num", text: iters}), last));
  }
  box.append(el("table", {class: "runs"}, el("thead", {}, head), body));
  return box;
}

// ------------------------------------------------------------------------------------------ a run

async function showRun(name) {
  const gen = ++generation;
  panelBoxes.clear();
  const main = document.getElementById("main");
  main.replaceChildren(el("p", {class: "muted", text: "loading…"}));
  document.getElementById("crumb").replaceChildren(" / ", el("span", {text: name}));
  const tick = async () => {
    try {
      const data = await getJSON(`/api/runs/${encodeURIComponent(name)}`);
      if (gen !== generation) return;
      drawRun(main, data);
      stamp(true);
    } catch (e) {
      if (gen !== generation) return;
      if (/no run named/.test(e.message)) {
        main.replaceChildren(el("div", {class: "message error", text: e.message}));
        return;
      }
      stamp(false, `cannot reach the server (${e.message}); retrying`);
    }
    if (gen === generation) schedule(tick);
  };
  await tick();
}

function drawRun(main, data) {
  document.title = `${data.title} · aiga`;
  if (!panelBoxes.size) main.replaceChildren();
  const s = data.summary;
  const head = box(main, "__summary", "summary");
  head.replaceChildren(
    el("h1", {text: data.title}),
    el("p", {class: "line"}, statusBadge(s), ` ${s.system || "?"} · started ${when(s.started)} · `,
      `${fmt(s.iterations)}${s.budget ? " / " + fmt(s.budget) : ""} iterations`,
      s.key_figure ? ` · ${s.key_figure}` : "", s.why ? el("span", {class: "muted", text: ` (${s.why})`}) : null));
  const seen = new Set(["__summary"]);
  data.panels.forEach((p, i) => {
    const key = `${p.type}:${p.id || i}`;
    seen.add(key);
    const container = box(main, key, `panel ${p.type}`);
    (RENDER[p.type] || drawUnknown)(container, p);
  });
  for (const [key, node] of panelBoxes) {
    if (!seen.has(key)) {
      node.remove();
      panelBoxes.delete(key);
    }
  }
}

function box(main, key, cls) {
  let node = panelBoxes.get(key);
  if (!node) {
    node = el("section", {class: cls, "data-panel": key});
    panelBoxes.set(key, node);
  }
  main.append(node); // keeps the panels in the page's order
  return node;
}

// ------------------------------------------------------------------------------------------ panels

const RENDER = {facts: drawFacts, message: drawMessage, chart: drawChart, table: drawTable, tree: drawTree,
  media: drawMedia};

function title(p) {
  return p.title ? el("h2", {text: p.title}) : null;
}

function drawUnknown(node, p) {
  node.replaceChildren(el("div", {class: "message warn", text: `panel of unknown type ${p.type}`}));
}

function drawMessage(node, p) {
  node.replaceChildren(el("div", {class: `message ${p.level}`, text: p.text}));
}

function factsList(items) {
  const dl = el("dl", {class: "facts"});
  for (const [k, v] of items) dl.append(el("dt", {text: k}), el("dd", {text: fmt(v)}));
  return dl;
}

function drawFacts(node, p) {
  fill(node, title(p), factsList(p.items));
}

function drawTable(node, p) {
  const head = el("tr", {}, ...p.columns.map((c) => el("th", {text: c})));
  const body = el("tbody", {}, ...p.rows.map((r) => el("tr", {}, ...r.map((v) => el("td", {
    class: typeof v === "number" ? "num" : null, text: fmt(v)})))));
  fill(node, title(p), el("table", {"data-rows": p.rows.length}, el("thead", {}, head), body),
    p.note ? el("p", {class: "note", text: p.note}) : null);
  if (!p.rows.length) node.append(el("p", {class: "muted", text: "none"}));
}

function drawChart(node, p) {
  if (typeof Plotly === "undefined") {
    node.replaceChildren(title(p), el("div", {class: "message warn",
      text: "Charts need Plotly: pip install 'aiga[dashboard]' and restart the dashboard."}));
    return;
  }
  let plot = node.querySelector(".plot");
  if (!plot) {
    plot = el("div", {class: "plot"});
    fill(node, plot, p.note ? el("p", {class: "note", text: p.note}) : null);
    if (p.wide) node.classList.add("wide");
  }
  const traces = p.series.map((s) => ({type: "scatter", mode: s.x.length === 1 ? "markers" : "lines", name: s.name,
    x: s.x, y: s.y, line: {shape: s.shape, width: 1.6}, connectgaps: false}));
  const shapes = [];
  const byKind = new Map();
  for (const m of p.markers) {
    const st = MARKER_STYLE[m.kind] || {colour: "#888", dash: "dot", symbol: "circle"};
    if (m.y === null || m.y === undefined) {
      shapes.push({type: "line", xref: "x", yref: "paper", x0: m.x, x1: m.x, y0: 0, y1: 1,
        line: {color: st.colour, width: 1, dash: st.dash}, opacity: 0.55, layer: "below"});
    }
    const k = byKind.get(m.kind) || {x: [], y: [], text: [], onAxis: []};
    k.x.push(m.x); k.text.push(m.text);
    k.y.push(m.y === null || m.y === undefined ? 0.02 : m.y);
    k.onAxis.push(m.y === null || m.y === undefined);
    byKind.set(m.kind, k);
  }
  for (const [kind, k] of byKind) {
    const st = MARKER_STYLE[kind] || {colour: "#888", symbol: "circle"};
    // vertical lines get their hover label from a marker at the foot of the chart (its own hidden axis)
    const onAxis = k.onAxis.every(Boolean);
    traces.push({type: "scatter", mode: "markers", name: kind, x: k.x, y: k.y, text: k.text, hoverinfo: "text",
      yaxis: onAxis ? "y2" : "y", marker: {color: st.colour, symbol: st.symbol, size: onAxis ? 8 : 9,
        line: {width: 1, color: "#fff"}}});
  }
  const xmax = Math.max(0, ...p.series.map((s) => (s.x.length ? s.x[s.x.length - 1] : 0)));
  const layout = {title: {text: p.title, font: {size: 14}, x: 0.01, xanchor: "left"}, height: 330,
    margin: {l: 55, r: 15, t: 40, b: 45},
    xaxis: {title: {text: p.xlabel}, zeroline: false, dtick: xmax <= 10 ? 1 : undefined}, // whole iterations
    yaxis: {title: {text: p.ylabel}, zeroline: false, rangemode: p.from_zero ? "tozero" : "normal"}, shapes, hovermode: "closest",
    yaxis2: {overlaying: "y", range: [0, 1], visible: false, fixedrange: true},
    showlegend: p.series.length <= 24, // beyond that a legend hides the chart; hover names the lines
    legend: {orientation: "v", font: {size: 10}}, uirevision: p.id, paper_bgcolor: "#fff", plot_bgcolor: "#fafafa"};
  Plotly.react(plot, traces, layout, {displaylogo: false, responsive: true});
  node.dataset.series = String(p.series.length);
  node.dataset.points = String(p.series.reduce((a, s) => a + s.x.length, 0));
  node.dataset.markers = String(p.markers.length);
}

function figure(item) {
  const fig = el("figure", {"data-url": item.url});
  const status = el("figcaption", {text: `${item.label} (drawing…)`});
  const img = el("img", {alt: item.label});
  const link = el("a", {href: item.url, target: "_blank", rel: "noopener", title: "open full size"}, img);
  img.addEventListener("load", () => { status.textContent = item.label; fig.dataset.loaded = "1"; });
  img.addEventListener("error", () => { status.textContent = `${item.label}: could not be drawn`; status.className = "error"; });
  img.src = item.url;
  fig.append(link, status);
  return fig;
}

function drawFigures(holder, items) {
  // keep figures whose picture is unchanged, so a poll does not restart an animation
  const old = new Map([...holder.querySelectorAll("figure")].map((f) => [f.dataset.url, f]));
  holder.replaceChildren(...items.map((it) => old.get(it.url) || figure(it)));
}

function drawMedia(node, p) {
  let holder = node.querySelector(".figures");
  if (!holder) {
    holder = el("div", {class: "figures"});
    fill(node, title(p), holder, p.note ? el("p", {class: "note", text: p.note}) : null);
  }
  drawFigures(holder, p.items);
}

function drawTree(node, p) {
  let svgHolder = node.querySelector(".tree-svg");
  let detail = node.querySelector(".detail");
  if (!svgHolder) {
    svgHolder = el("div", {class: "tree-svg"});
    detail = el("div", {class: "detail"}, el("p", {class: "muted", text: p.note || "click a node"}));
    const legend = el("div", {class: "legend"}, ...p.legend.map((l) => el("span", {},
      l.colour ? el("i", {style: `background:${l.colour}`}) : "", l.label)));
    node.replaceChildren(title(p), legend, el("div", {class: "tree-row"}, svgHolder, detail));
  }
  node.querySelector("h2").textContent = p.title;
  const nodes = p.nodes;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const rows = Math.max(1, ...nodes.map((n) => n.y + 1));
  const xs = nodes.map((n) => n.x);
  const xmin = Math.min(0, ...xs), xmax = Math.max(1, ...xs);
  const W = Math.max(420, Math.min(900, svgHolder.clientWidth || 700)), rowH = 26, left = 20, right = 70;
  const H = rows * rowH + 40;
  const X = (x) => left + (x - xmin) / (xmax - xmin) * (W - left - right);
  const Y = (y) => 16 + y * rowH;
  const root = svg("svg", {width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: "tree", "data-nodes": nodes.length});
  for (const n of nodes) {
    const par = byId.get(n.parent);
    if (!par) continue;
    const x0 = X(par.x), y0 = Y(par.y), x1 = X(n.x), y1 = Y(n.y), xm = (x0 + x1) / 2;
    root.append(svg("path", {d: `M${x0},${y0} C${xm},${y0} ${xm},${y1} ${x1},${y1}`, class: "edge"}));
  }
  // axis: iterations
  const axisY = H - 14;
  root.append(svg("line", {x1: left, x2: W - right, y1: axisY - 8, y2: axisY - 8, class: "axis"}));
  for (const t of ticks(xmin, xmax, 6)) {
    const tx = svg("text", {x: X(t), y: axisY + 4, class: "tick"});
    tx.textContent = String(t);
    root.append(svg("line", {x1: X(t), x2: X(t), y1: axisY - 11, y2: axisY - 5, class: "axis"}), tx);
  }
  const selected = treeSelection.get(p.id);
  for (const n of nodes) {
    const g = svg("g", {class: `node${n.id === selected ? " selected" : ""}`, "data-id": n.id, tabindex: 0,
      role: "button", transform: `translate(${X(n.x)},${Y(n.y)})`});
    const fill = n.filled ? n.colour : "#fff";
    const shape = n.shape === "square"
      ? svg("rect", {x: -7, y: -7, width: 14, height: 14, fill, stroke: n.colour, "stroke-width": 2})
      : svg("circle", {r: 8, fill, stroke: n.colour, "stroke-width": 3});
    const label = svg("text", {x: 12, y: 4});
    label.textContent = n.label;
    const tip = svg("title");
    tip.textContent = n.detail.map(([k, v]) => `${k}: ${fmt(v)}`).slice(0, 6).join("\n");
    g.append(shape, label, tip);
    const pick = () => { treeSelection.set(p.id, n.id); drawTree(node, p); };
    g.addEventListener("click", pick);
    g.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") pick(); });
    root.append(g);
  }
  svgHolder.replaceChildren(root);
  const chosen = byId.get(selected);
  if (chosen) {
    let figs = detail.querySelector(".figures");
    if (detail.dataset.node !== String(chosen.id) || !figs) {
      figs = el("div", {class: "figures"});
      detail.replaceChildren(el("h3", {text: chosen.label}), factsList(chosen.detail), figs);
      detail.dataset.node = String(chosen.id);
    } else {
      detail.querySelector("dl").replaceWith(factsList(chosen.detail));
    }
    drawFigures(figs, chosen.media);
  }
}

function ticks(lo, hi, n) {
  const span = hi - lo;
  const step0 = Math.max(1, span / n);
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0);
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) out.push(Math.round(t));
  return out;
}

// ------------------------------------------------------------------------------------------ start

function route() {
  const m = location.pathname.match(/^\/run\/([^/]+)$/);
  if (m) showRun(decodeURIComponent(m[1]));
  else showRuns();
}

route();
