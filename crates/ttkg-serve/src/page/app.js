// The query page: saved questions, the editor, the answer as a sortable
// table, a pivot and a chart, downloads. Words in i18n.js, exact numbers in
// numbers.js, column types and the pivot in answer.js, drawing in chart.js.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  saved: [],
  current: null,
  rows: [],
  vars: [],
  columns: [],
  sort: null,
  // table, pivot or chart; `chosen` once the analyst picked one.
  view: "table",
  chosen: null,
  shape: null,
  unit: localStorage.getItem("ttkg-unit") || "yuan",
  // The remote store the answers come from (ttkg serve --endpoint), or null.
  endpoint: null,
};

function text(tag, content, attrs) {
  const el = document.createElement(tag);
  if (content !== undefined) el.textContent = content;
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  return el;
}

// Where the answers come from, when that is another store (ttkg serve
// --endpoint): said under the introduction, in the page's language.
async function loadSource() {
  const response = await fetch("/api/source", { headers: { Accept: "application/json" } });
  if (!response.ok) return;
  state.endpoint = (await response.json()).endpoint;
  showSource();
}

function showSource() {
  const note = $("source-note");
  note.hidden = !state.endpoint;
  if (state.endpoint) note.textContent = t("remoteSource", state.endpoint);
}

async function loadSaved() {
  const response = await fetch("/api/saved", { headers: { Accept: "application/json" } });
  if (!response.ok) return showError(await response.text());
  state.saved = await response.json();
  listSaved();
}

function listSaved() {
  const list = $("saved");
  list.replaceChildren();
  for (const q of state.saved) {
    const button = text("button", inLanguage(q.titles, q.title), {
      type: "button",
      "data-saved": q.name,
      title: inLanguage(q.descriptions, q.description),
    });
    button.classList.toggle("active", state.current !== null && state.current.name === q.name);
    button.addEventListener("click", () => pick(q));
    const item = text("li");
    item.append(button);
    list.append(item);
  }
}

function pick(q) {
  state.current = q;
  state.chosen = null;
  $("editor").value = q.text;
  highlight();
  $("question").hidden = false;
  describeQuestion();
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
      input = text("input", undefined, { id, name: p.name, placeholder: p.help, title: p.help });
      input.value = p.default || "";
      if (p.suggestions && p.suggestions.length) {
        // The values the store holds, offered as the analyst types.
        const list = text("datalist", undefined, { id: id + "-values" });
        for (const value of p.suggestions) list.append(text("option", undefined, { value }));
        input.setAttribute("list", list.id);
        input.setAttribute("autocomplete", "off");
        if (p.moreSuggestions) input.title = p.help + " — " + t("moreValues", p.suggestions.length);
        params.append(list);
        // A value picked from the list runs at once, as a drop-down does.
        input.addEventListener("input", (e) => {
          if (!e.inputType || e.inputType === "insertReplacementText") run();
        });
      }
      input.addEventListener("keydown", (e) => { if (e.key === "Enter") run(); });
    }
    params.append(label, input);
  }
  for (const b of document.querySelectorAll("#saved button")) {
    b.classList.toggle("active", b.dataset.saved === q.name);
  }
  run();
}

function describeQuestion() {
  const q = state.current;
  if (!q) return;
  $("question-title").textContent = inLanguage(q.titles, q.title);
  $("question-description").textContent = inLanguage(q.descriptions, q.description);
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
  closeSuggestions();
  const shownQuestion = questionShown();
  remember($("editor").value, shownQuestion ? shownQuestion.name : null);
  $("status").textContent = t("running");
  // The previous answer stays visible, dimmed, until the new one arrives.
  for (const id of ["results", "chart", "pivot"]) $(id).classList.add("stale");
  const started = performance.now();
  let response;
  try {
    response = await request("application/sparql-results+json, text/turtle;q=0.5");
  } catch (e) {
    $("status").textContent = "";
    clearAnswer();
    return showError(t("noAnswer") + e);
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
    // A graph (CONSTRUCT, DESCRIBE) as the Turtle it is, line by line.
    clearAnswer();
    const pre = text("pre", await response.text(), { class: "graph", "data-testid": "graph" });
    $("graph").replaceChildren(pre);
    $("graph").hidden = false;
    $("status").textContent = t("graphAnswer", took);
    answered();
    return;
  }
  const data = await response.json();
  $("graph").hidden = true;
  if ("boolean" in data) {
    state.vars = ["answer"];
    state.rows = [[{ type: "literal", value: String(data.boolean) }]];
  } else {
    state.vars = data.head.vars;
    state.rows = data.results.bindings.map((b) => state.vars.map((v) => b[v] || null));
  }
  state.sort = null;
  state.columns = describeColumns(state.vars, state.rows, questionShown());
  state.shape = defaultShape();
  state.took = took;
  state.emptyWhy = state.rows.length === 0 && warnings.length > 0;
  render();
  $("download-csv").disabled = $("download-xlsx").disabled = !("results" in data);
  answered();
}

// The saved question the answer is of, if the editor still holds it.
function questionShown() {
  const q = state.current;
  return q && q.text === $("editor").value ? q : null;
}

function statusLine() {
  if (state.took === undefined) return;
  $("status").textContent = t("rows", state.rows.length, state.took) + (state.emptyWhy ? t("emptyWhy") : "");
}

function sortedRows() {
  if (!state.sort) return state.rows;
  const { column, descending } = state.sort;
  const numeric = state.rows.every((r) => !r[column] || isNumeric(r[column]));
  return [...state.rows].sort((a, b) => {
    let order;
    if (numeric) {
      if (!a[column] || !b[column]) order = (a[column] ? 1 : 0) - (b[column] ? 1 : 0);
      else order = compare(decimal(a[column].value), decimal(b[column].value));
    } else {
      // Labels sort as shown, in the chosen language.
      const shown = (cell) => (cell ? showCell(cell, state.columns[column], state.unit) : "");
      order = shown(a[column]).localeCompare(shown(b[column]), language === "zh" ? "zh-CN" : "en");
    }
    return descending ? -order : order;
  });
}

function render() {
  statusLine();
  renderTable();
  renderView();
}

function renderTable() {
  const table = $("results");
  table.classList.remove("stale");
  table.replaceChildren();
  const head = text("tr");
  state.columns.forEach((column, i) => {
    const mark = state.sort && state.sort.column === i ? (state.sort.descending ? " ▼" : " ▲") : "";
    const th = text("th", headerOf(column, state.unit) + mark, {
      scope: "col",
      "data-variable": column.name,
      title: column.help || column.name,
      "aria-sort": mark ? (state.sort.descending ? "descending" : "ascending") : "none",
    });
    th.addEventListener("click", () => {
      const descending = state.sort && state.sort.column === i ? !state.sort.descending : false;
      state.sort = { column: i, descending };
      renderTable();
    });
    head.append(th);
  });
  const thead = text("thead");
  thead.append(head);
  const tbody = text("tbody");
  for (const row of sortedRows()) {
    const tr = text("tr");
    row.forEach((cell, i) => {
      const column = state.columns[i];
      const attrs = column.kind === "number" ? { class: "number" } : {};
      const td = text("td", undefined, attrs);
      if (cell && cell.type === "uri") {
        // An IRI opens the page of its entity: labels, facts and sources.
        td.append(text("a", showCell(cell, column, state.unit), { href: "/entity?iri=" + encodeURIComponent(cell.value), title: cell.value }));
      } else {
        td.textContent = showCell(cell, column, state.unit);
      }
      tr.append(td);
    });
    tbody.append(tr);
  }
  table.append(thead, tbody);
}

// The pivot and chart shape an answer starts with: what its saved question
// declares (`# @chart`), else years along the axis, labels as series and the
// first number column summed. Null when the answer has nothing to pivot.
function defaultShape() {
  const q = questionShown();
  const declared = (q && q.chart) || {};
  const index = (name) => state.columns.findIndex((c) => c.name === name);
  const labels = state.columns.filter((c) => c.kind === "label" || c.kind === "time");
  const measures = state.columns.filter((c) => c.kind === "number");
  if (declared.type === "none" || !labels.length || !measures.length || !state.rows.length) return null;
  const time = labels.find((c) => c.kind === "time" && distinct(c) < state.rows.length);
  const x = index(declared.x) >= 0 ? index(declared.x) : (time || labels[0]).index;
  let series = -1;
  if (declared.series !== undefined) series = index(declared.series);
  else if (state.columns[x].kind === "time") {
    const other = labels.find((c) => c.index !== x && c.kind === "label" && distinct(c) <= MAX_SERIES);
    if (other) series = other.index;
  }
  const value = index(declared.value) >= 0 ? index(declared.value) : measures[0].index;
  const totals = !(q && q.totals === false);
  return { rows: x, columns: series, value, aggregate: "sum", type: declared.type || null, totals };
}

function distinct(column) {
  return new Set(state.rows.map((r) => keyOf(r[column.index], column))).size;
}

// Which views the answer offers, and the one shown.
function renderView() {
  const shape = state.shape;
  const offered = { table: true, pivot: shape !== null, chart: shape !== null };
  for (const b of document.querySelectorAll("#views button")) {
    b.disabled = !offered[b.dataset.view];
    b.setAttribute("aria-pressed", "false");
  }
  let view = state.chosen && offered[state.chosen] ? state.chosen : shape ? "chart" : "table";
  state.view = view;
  document.querySelector(`#views button[data-view="${view}"]`).setAttribute("aria-pressed", "true");
  $("views").hidden = state.columns.length === 0;
  $("unit-choice").hidden = !state.columns.some((c) => c.amount);
  $("shape").hidden = view === "table";
  $("chart-only").hidden = view !== "chart";
  $("pivot").hidden = view !== "pivot";
  $("table-view").hidden = view !== "table";
  $("pivot").classList.remove("stale");
  $("chart").classList.remove("stale");
  $("chart").hidden = true;
  note(null);
  if (view === "table") return;
  fillShapeControls();
  if (view === "pivot") {
    $("pivot").replaceChildren(pivotTable(state.rows, state.columns, shape, state.unit, shape.totals));
    note(shape.totals ? (shape.aggregate === "average" ? t("averageRounded") : null) : t("noTotals"));
  } else {
    renderChart();
  }
}

// The selects of the pivot and chart, set to the current shape.
function fillShapeControls() {
  const shape = state.shape;
  const labels = state.columns.filter((c) => c.kind === "label" || c.kind === "time");
  const measures = state.columns.filter((c) => c.kind === "number");
  const chart = state.view === "chart";
  $("shape-rows-label").textContent = chart ? t("xAxis") : t("rowsBy");
  $("shape-columns-label").textContent = chart ? t("series") : t("columnsBy");
  options($("shape-rows"), labels.map((c) => [c.index, c.header]), shape.rows);
  options($("shape-columns"), [[-1, t("none")], ...labels.filter((c) => c.index !== shape.rows).map((c) => [c.index, c.header])], shape.columns);
  options($("shape-value"), [...measures.map((c) => [c.index, headerOf(c, state.unit)]), [-1, t("countRows")]], shape.value);
  options($("shape-aggregate"), ["sum", "count", "average", "min", "max"].map((a) => [a, t(a)]), shape.aggregate);
  $("shape-aggregate").disabled = shape.value < 0;
}

function options(select, choices, chosen) {
  select.replaceChildren(...choices.map(([value, label]) => text("option", label, { value })));
  select.value = String(chosen);
}

function renderChart() {
  const shape = state.shape;
  const pivot = pivotOf(state.rows, state.columns, shape);
  const x = state.columns[shape.rows];
  const series = shape.columns >= 0 ? state.columns[shape.columns] : null;
  const value = shape.value >= 0 ? state.columns[shape.value] : null;
  if (pivot.rowKeys.length > MAX_CATEGORIES) return note(t("tooMany", pivot.rowKeys.length, x.header));
  if (series && pivot.columnKeys.length > MAX_SERIES) return note(t("tooMany", pivot.columnKeys.length, series.header));
  const places = value && value.amount && shape.aggregate !== "count" ? UNIT_PLACES[state.unit] : 0;
  const number = (acc) => {
    const v = aggregateOf(acc, shape.aggregate);
    if (v === null) return null;
    return (typeof v === "number" ? v : toNumber(v)) / 10 ** places;
  };
  let data = {
    categories: pivot.rowKeys,
    series: (series ? pivot.columnKeys : [""]).map((ck) => ({ name: ck, values: pivot.rowKeys.map((rk) => number(pivot.cell(rk, ck))) })),
  };
  const nonNegative = data.series.every((s) => s.values.every((v) => v === null || v >= 0));
  const types = chartTypes(x, series, data.categories.length, data.series.length, nonNegative, shape.totals);
  if (!shape.type || !types.includes(shape.type)) {
    shape.type = x.kind === "time" && types.includes("line") ? "line" : "bar";
  }
  options($("chart-type"), types.map((type) => [type, t(type)]), shape.type);
  // A line has no place for a value not reported along the axis (joined
  // to the years, it would read as a rise or a fall): left out, and said.
  const blank = data.categories.indexOf(t("empty"));
  const notDrawn = shape.type === "line" && blank >= 0 ? state.rows.filter((r) => !r[x.index]).length : 0;
  if (notDrawn) {
    const drawn = (values) => values.filter((_, i) => i !== blank);
    data = { categories: drawn(data.categories), series: data.series.map((s) => ({ name: s.name, values: drawn(s.values) })) };
  }
  const caption = t("by", valueCaption(state.columns, shape, state.unit), x.header, series ? series.header : null);
  const svg = drawChart(data, shape.type, caption);
  const figure = $("chart");
  figure.replaceChildren(svg, text("figcaption", caption));
  figure.hidden = false;
  const notes = [shape.aggregate === "average" ? t("averageRounded") : null, notDrawn ? t("notOnLine", notDrawn, x.header) : null];
  note(notes.filter(Boolean).join(" ") || null);
}

function note(message) {
  $("view-note").hidden = !message;
  $("view-note").textContent = message || "";
}

// Downloads are for spreadsheets: CSV with a byte-order mark, and text a
// spreadsheet would run as a formula written as text.
async function download(accept, name) {
  const response = await request(accept, true);
  if (!response.ok) return showError(await response.text());
  save(await response.blob(), name);
}

function save(blob, name) {
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
  state.columns = [];
  state.sort = null;
  state.shape = null;
  state.took = undefined;
  for (const id of ["results", "pivot", "chart"]) {
    $(id).replaceChildren();
    $(id).classList.remove("stale");
  }
  for (const id of ["pivot", "chart", "views", "shape", "unit-choice", "graph", "view-note"]) $(id).hidden = true;
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
  markErrorLine(message);
}

function translateUnits() {
  for (const unit of Object.keys(UNIT_PLACES)) $("unit").querySelector(`option[value="${unit}"]`).textContent = t(unit);
}

function reshape(change) {
  if (!state.shape) return;
  Object.assign(state.shape, change);
  if (state.shape.columns === state.shape.rows) state.shape.columns = -1;
  renderView();
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
for (const b of document.querySelectorAll("#views button")) {
  b.addEventListener("click", () => {
    state.chosen = b.dataset.view;
    renderView();
  });
}
$("shape-rows").addEventListener("change", (e) => reshape({ rows: Number(e.target.value) }));
$("shape-columns").addEventListener("change", (e) => reshape({ columns: Number(e.target.value) }));
$("shape-value").addEventListener("change", (e) => reshape({ value: Number(e.target.value) }));
$("shape-aggregate").addEventListener("change", (e) => reshape({ aggregate: e.target.value }));
$("chart-type").addEventListener("change", (e) => reshape({ type: e.target.value }));
$("unit").value = state.unit;
$("unit").addEventListener("change", (e) => {
  state.unit = e.target.value;
  localStorage.setItem("ttkg-unit", state.unit);
  render();
});
$("save-svg").addEventListener("click", () => {
  const svg = $("chart").querySelector("svg");
  if (svg) save(new Blob([svgText(svg)], { type: "image/svg+xml" }), fileName("svg"));
});
$("save-png").addEventListener("click", async () => {
  const svg = $("chart").querySelector("svg");
  if (!svg) return;
  try {
    save(await pngBlob(svg), fileName("png"));
  } catch (e) {
    showError(String(e.message || e));
  }
});
$("language").addEventListener("click", () => {
  language = language === "zh" ? "en" : "zh";
  localStorage.setItem("ttkg-language", language);
  translatePage();
  showSource();
  listSaved();
  describeQuestion();
  translateUnits();
  listOntology();
  listHistory();
  if (state.columns.length) {
    state.columns = describeColumns(state.vars, state.rows, questionShown());
    render();
  }
});

setupEditor($("editor"), $("highlight"), $("completions"));
setupPanels();
translatePage();
translateUnits();
loadSource();
loadPrefixes().finally(() => {
  // The other-language names first, so that the first answer shows them.
  loadOtherNames().finally(loadSaved);
  loadOntology();
});
