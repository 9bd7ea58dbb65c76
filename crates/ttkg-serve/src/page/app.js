// The query page: saved questions, the editor, a sortable table, a chart
// when the answer is one label column and one number column, downloads.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { saved: [], current: null, rows: [], vars: [], sort: null, request: null };

function text(tag, content, attrs) {
  const el = document.createElement(tag);
  if (content !== undefined) el.textContent = content;
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  return el;
}

async function loadSaved() {
  const response = await fetch("/api/saved", { headers: { Accept: "application/json" } });
  if (!response.ok) return showError(await response.text());
  state.saved = await response.json();
  const list = $("saved");
  list.replaceChildren();
  for (const q of state.saved) {
    const button = text("button", q.title, { type: "button", "data-saved": q.name, title: q.description });
    button.addEventListener("click", () => pick(q));
    const item = text("li");
    item.append(button);
    list.append(item);
  }
}

function pick(q) {
  state.current = q;
  $("editor").value = q.text;
  $("question").hidden = false;
  $("question-title").textContent = q.title;
  $("question-description").textContent = q.description;
  const params = $("params");
  params.replaceChildren();
  for (const p of q.params) {
    const id = "param-" + p.name;
    const label = text("label", p.name + " ", { for: id, title: p.help });
    let input;
    if (p.choices && p.choices.length) {
      // A parameter of a known kind offers its valid values by name.
      input = text("select", undefined, { id, name: p.name, title: p.help });
      for (const c of p.choices) input.append(text("option", c.label, { value: c.value }));
      input.value = p.default || p.choices[0].value;
      input.addEventListener("change", run);
    } else {
      input = text("input", undefined, { id, name: p.name, placeholder: p.help });
      input.value = p.default || "";
      input.addEventListener("keydown", (e) => { if (e.key === "Enter") run(); });
    }
    params.append(label, input);
  }
  for (const b of document.querySelectorAll("#saved button")) {
    b.classList.toggle("active", b.dataset.saved === q.name);
  }
  run();
}

// A saved question whose text is untouched runs by name, with its
// parameters; anything else goes to the SPARQL endpoint as typed.
function request(accept, spreadsheet = false) {
  const q = state.current;
  const query = $("editor").value;
  if (q && q.text === query) {
    const params = new URLSearchParams();
    for (const p of q.params) params.set(p.name, $("param-" + p.name).value);
    if (spreadsheet) params.set("for", "spreadsheet");
    return fetch("/api/saved/" + encodeURIComponent(q.name) + "?" + params, { headers: { Accept: accept } });
  }
  return fetch(spreadsheet ? "/sparql?for=spreadsheet" : "/sparql", {
    method: "POST",
    headers: { "Content-Type": "application/sparql-query", Accept: accept },
    body: query,
  });
}

async function run() {
  showError(null);
  $("status").textContent = "running…";
  // The previous answer stays visible, dimmed, until the new one arrives.
  $("results").classList.add("stale");
  $("chart").classList.add("stale");
  const started = performance.now();
  let response;
  try {
    response = await request("application/sparql-results+json, text/turtle;q=0.5");
  } catch (e) {
    $("status").textContent = "";
    return showError("The server did not answer: " + e);
  }
  const took = Math.round(performance.now() - started);
  // The server's warnings: terms the ontology does not define, and the like.
  const warnings = (response.headers.get("X-Ttkg-Warning") || "").split(/\s*\|\|\s*/).filter((w) => w);
  const decoded = (w) => {
    try {
      return decodeURIComponent(w);
    } catch {
      return w;
    }
  };
  $("warnings").replaceChildren(...warnings.map((w) => text("li", decoded(w))));
  $("warnings").hidden = warnings.length === 0;
  if (!response.ok) {
    $("status").textContent = "";
    clearAnswer();
    return showError(await response.text());
  }
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("json")) {
    const body = await response.text();
    state.vars = ["rdf"];
    state.rows = [[{ value: body }]];
    render();
    $("status").textContent = "graph answer in " + took + " ms";
    answered();
    return;
  }
  const data = await response.json();
  if ("boolean" in data) {
    state.vars = ["answer"];
    state.rows = [[{ value: String(data.boolean) }]];
  } else {
    state.vars = data.head.vars;
    state.rows = data.results.bindings.map((b) => state.vars.map((v) => b[v] || null));
  }
  state.sort = null;
  render();
  $("status").textContent = state.rows.length + (state.rows.length === 1 ? " row" : " rows") + " in " + took + " ms" +
    (state.rows.length === 0 && warnings.length ? " — the warnings below say why the answer may be empty" : "");
  $("download-csv").disabled = $("download-xlsx").disabled = !("results" in data);
  answered();
}

const isNumber = (cell) => cell && cell.type === "literal" && cell.value !== "" && !isNaN(Number(cell.value));
const show = (cell) => (cell ? cell.value : "");

function sortedRows() {
  if (!state.sort) return state.rows;
  const { column, descending } = state.sort;
  const numeric = state.rows.every((r) => !r[column] || isNumber(r[column]));
  const key = (r) => (numeric ? (r[column] ? Number(r[column].value) : -Infinity) : show(r[column]));
  return [...state.rows].sort((a, b) => {
    const x = key(a), y = key(b);
    const order = numeric ? x - y : String(x).localeCompare(String(y));
    return descending ? -order : order;
  });
}

function render() {
  const table = $("results");
  table.classList.remove("stale");
  $("chart").classList.remove("stale");
  table.replaceChildren();
  const head = text("tr");
  state.vars.forEach((v, i) => {
    const mark = state.sort && state.sort.column === i ? (state.sort.descending ? " ▼" : " ▲") : "";
    const th = text("th", v + mark, { scope: "col", "aria-sort": mark ? (state.sort.descending ? "descending" : "ascending") : "none" });
    th.addEventListener("click", () => {
      const descending = state.sort && state.sort.column === i ? !state.sort.descending : false;
      state.sort = { column: i, descending };
      render();
    });
    head.append(th);
  });
  const thead = text("thead");
  thead.append(head);
  const tbody = text("tbody");
  for (const row of sortedRows()) {
    const tr = text("tr");
    for (const cell of row) tr.append(text("td", show(cell), isNumber(cell) ? { class: "number" } : {}));
    tbody.append(tr);
  }
  table.append(thead, tbody);
  chart();
}

// A bar chart (a line for years or dates) when the answer is one label
// column and one number column.
function chart() {
  const figure = $("chart");
  figure.replaceChildren();
  figure.hidden = true;
  if (state.vars.length < 2 || state.rows.length < 2 || state.rows.length > 60) return;
  // Years and dates label the axis even when they are numbers.
  const temporalName = (v) => /year|date|month|年/i.test(v);
  const numeric = state.vars.map((v, i) => !temporalName(v) && state.rows.every((r) => isNumber(r[i])));
  const numbers = numeric.map((n, i) => (n ? i : -1)).filter((i) => i >= 0);
  const labels = numeric.map((n, i) => (n ? -1 : i)).filter((i) => i >= 0);
  if (numbers.length !== 1 || labels.length < 1) return;
  const [label, value] = [labels[0], numbers[0]];
  const rows = sortedRows();
  const values = rows.map((r) => Number(r[value].value));
  const names = rows.map((r) => show(r[label]));
  const temporal = names.every((n) => /^\d{4}(-\d\d)?(-\d\d)?$/.test(n));
  const width = 760, height = 280, left = 56, bottom = 90, top = 12;
  const max = Math.max(...values, 0) || 1;
  const step = (width - left) / values.length;
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${state.vars[value]} by ${state.vars[label]}`);
  const add = (tag, attrs, content) => {
    const el = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (content !== undefined) el.textContent = content;
    svg.append(el);
    return el;
  };
  add("line", { x1: left, y1: y(0), x2: width, y2: y(0), class: "axis" });
  add("text", { x: left - 6, y: y(max) + 4, "text-anchor": "end", class: "tick" }, max.toLocaleString());
  add("text", { x: left - 6, y: y(0), "text-anchor": "end", class: "tick" }, "0");
  if (temporal) {
    const points = values.map((v, i) => `${left + step * (i + 0.5)},${y(v)}`).join(" ");
    add("polyline", { points, class: "line" });
  }
  values.forEach((v, i) => {
    const x = left + step * i;
    if (!temporal) {
      add("rect", { x: x + step * 0.1, y: y(v), width: step * 0.8, height: Math.max(0, y(0) - y(v)), class: "bar" })
        .append(Object.assign(document.createElementNS(ns, "title"), { textContent: `${names[i]}: ${v}` }));
    } else {
      add("circle", { cx: x + step * 0.5, cy: y(v), r: 3, class: "point" });
    }
    const name = names[i].length > 14 ? names[i].slice(0, 13) + "…" : names[i];
    add("text", { x: x + step * 0.5, y: height - bottom + 14, transform: `rotate(35 ${x + step * 0.5} ${height - bottom + 14})`, class: "tick" }, name);
  });
  figure.append(svg, text("figcaption", `${state.vars[value]} by ${state.vars[label]}`));
  figure.hidden = false;
}

// Downloads are for spreadsheets: CSV with a byte-order mark, and text a
// spreadsheet would run as a formula written as text.
async function download(accept, name) {
  const response = await request(accept, true);
  if (!response.ok) return showError(await response.text());
  const blob = await response.blob();
  const link = text("a", undefined, { href: URL.createObjectURL(blob), download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

// An answer that failed leaves nothing of the previous one on the page: a
// table or chart left standing would read as this question's answer.
function clearAnswer() {
  state.vars = [];
  state.rows = [];
  state.sort = null;
  $("results").replaceChildren();
  $("results").classList.remove("stale");
  const figure = $("chart");
  figure.replaceChildren();
  figure.classList.remove("stale");
  figure.hidden = true;
  $("download-csv").disabled = $("download-xlsx").disabled = true;
}

// Once the editor's text is no longer the saved question's, the page no
// longer shows that question's title, description and parameters.
function forgetQuestion() {
  if (!state.current || $("editor").value === state.current.text) return;
  state.current = null;
  $("question").hidden = true;
  $("question-title").textContent = "";
  $("question-description").textContent = "";
  $("params").replaceChildren();
  for (const b of document.querySelectorAll("#saved button")) b.classList.remove("active");
}

// Download names say what and when: the saved question's name (or
// "query") and today's date, such as agreements-by-country-2016-06-30.csv.
function fileName(extension) {
  const what = state.current ? state.current.name : "query";
  const today = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  const date = `${today.getFullYear()}-${pad(today.getMonth() + 1)}-${pad(today.getDate())}`;
  return `${what}-${date}.${extension}`;
}

// Counts finished runs, so that scripts driving the page know when one ends.
function answered() {
  document.body.dataset.answers = Number(document.body.dataset.answers || 0) + 1;
}

function showError(message) {
  if (message) answered();
  const box = $("error");
  box.hidden = !message;
  box.textContent = message || "";
}

$("run").addEventListener("click", run);
$("editor").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    run();
  }
});
$("editor").addEventListener("input", forgetQuestion);
$("download-csv").addEventListener("click", () => download("text/csv", fileName("csv")));
$("download-xlsx").addEventListener("click", () =>
  download("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", fileName("xlsx")));
loadSaved();
