// Beside the editor: the ontology to browse (classes and properties with
// their labels, comments and how often the store uses them), the queries
// this browser ran, and "save as question", which writes a .rq file with
// its header comments filled in.
"use strict";

const OWL = "http://www.w3.org/2002/07/owl#";
const RDF_PROPERTY = "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property";
const HISTORY_KEY = "ttkg-history";
const HISTORY_SIZE = 50;
const ontology = { terms: [], counts: null };

// The ontology's classes and properties, for completion and the panel.
async function loadOntology() {
  if (!prefixes.ontology) return;
  let rows;
  try {
    rows = await sparqlBindings(`SELECT ?term ?kind ?label ?comment WHERE {
  GRAPH <${prefixes.ontology}> {
    ?term a ?kind . FILTER(?kind IN (<${OWL}Class>, <${OWL}ObjectProperty>, <${OWL}DatatypeProperty>, <${RDF_PROPERTY}>))
    OPTIONAL { ?term <http://www.w3.org/2000/01/rdf-schema#label> ?label }
    OPTIONAL { ?term <http://www.w3.org/2000/01/rdf-schema#comment> ?comment }
  }
}`);
  } catch (e) {
    $("ontology-status").textContent = t("ontologyFailed", String(e.message || e));
    return;
  }
  const byIri = new Map();
  for (const b of rows) {
    const iri = b.term.value;
    if (!byIri.has(iri)) {
      const name = compactIri(iri);
      byIri.set(iri, { iri, name: name === iri ? `<${iri}>` : name, label: {}, kind: "property", comment: "" });
    }
    const term = byIri.get(iri);
    if (b.kind.value === OWL + "Class") term.kind = "class";
    if (b.label) term.label[languageOf(b.label)] ??= b.label.value;
    if (b.comment && (!term.comment || languageOf(b.comment) === language)) term.comment = b.comment.value;
  }
  ontology.terms = [...byIri.values()].sort((a, b) => a.name.localeCompare(b.name));
  editor.terms = ontology.terms;
  listOntology();
}

// How many entities of each class and statements of each property the
// store holds; asked only when the panel is opened, as it reads the store.
async function countOntology() {
  if (ontology.counts) return;
  ontology.counts = new Map();
  $("ontology-status").textContent = t("counting");
  try {
    const rows = await sparqlBindings(`SELECT ?term (COUNT(*) AS ?n) WHERE {
  { ?s a ?term } UNION { ?s ?term ?o FILTER(?term != <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>) }
} GROUP BY ?term`);
    for (const b of rows) ontology.counts.set(b.term.value, Number(b.n.value));
    $("ontology-status").textContent = "";
  } catch (e) {
    $("ontology-status").textContent = t("countsFailed", String(e.message || e));
  }
  listOntology();
}

function listOntology() {
  const filter = $("ontology-filter").value.trim().toLowerCase();
  const matches = (term) => !filter || term.name.toLowerCase().includes(filter)
    || Object.values(term.label).some((l) => l.toLowerCase().includes(filter));
  for (const [kind, listId] of [["class", "ontology-classes"], ["property", "ontology-properties"]]) {
    const items = ontology.terms.filter((term) => term.kind === kind && matches(term)).map((term) => {
      const item = text("li");
      const use = text("button", term.name, { type: "button", title: t("insertTerm") + (term.comment ? "\n" + term.comment : "") });
      use.addEventListener("click", () => insertAtCaret(term.name + " "));
      const label = text("span", inLanguage(term.label, ""), { class: "term-label" });
      const count = ontology.counts && ontology.counts.has(term.iri) ? grouped(decimal(String(ontology.counts.get(term.iri)))) : ontology.counts ? "0" : "";
      const link = text("a", "↗", { href: "/entity?iri=" + encodeURIComponent(term.iri), title: t("openEntity"), target: "_blank" });
      item.append(use, " ", label, " ", text("span", count, { class: "count" }), " ", link);
      return item;
    });
    $(listId).replaceChildren(...items);
  }
}

function history() {
  try {
    const list = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]");
    return Array.isArray(list) ? list.filter((h) => h && typeof h.query === "string") : [];
  } catch {
    return [];
  }
}

// Each run is remembered once, newest first; a rerun moves it up.
function remember(query, name) {
  const list = history().filter((h) => h.query !== query);
  list.unshift({ query, name: name || null, at: new Date().toISOString() });
  localStorage.setItem(HISTORY_KEY, JSON.stringify(list.slice(0, HISTORY_SIZE)));
  listHistory();
}

function listHistory() {
  const items = history().map((h) => {
    const first = h.query.split("\n").find((l) => l.trim() && !l.startsWith("#")) || h.query;
    const when = new Date(h.at);
    const button = text("button", (h.name ? h.name + ": " : "") + first.trim().slice(0, 80), {
      type: "button",
      title: `${when.toLocaleString(language === "zh" ? "zh-CN" : "en")}\n${h.query}`,
    });
    button.addEventListener("click", () => {
      $("editor").value = h.query;
      $("editor").dispatchEvent(new Event("input"));
    });
    const item = text("li");
    item.append(button);
    return item;
  });
  $("history").replaceChildren(...items);
  $("history-empty").hidden = items.length > 0;
}

// A name for a file of queries/: lower-case words joined by hyphens.
function fileStem(title) {
  const stem = title.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60);
  return stem || "question";
}

// The query as a saved question: the header comments from the dialog, the
// directives it already had (@param, @column …) kept, and the chart the
// analyst is looking at written as its @chart.
function questionFile(query, form, shape, columns) {
  const lines = query.split("\n");
  let body = 0;
  const kept = [];
  while (body < lines.length && lines[body].startsWith("#")) {
    const directive = /^#\s*@(\w+)/.exec(lines[body]);
    if (directive && !["title", "description", "chart", "totals"].includes(directive[1])) kept.push(lines[body]);
    body++;
  }
  const oneLine = (s) => s.replace(/\s*\n\s*/g, " ").trim();
  const header = [`# ${oneLine(form.title)}`];
  for (const line of form.description.split("\n").map((l) => l.trim()).filter((l) => l)) header.push(`# ${line}`);
  if (form.titleZh.trim()) header.push(`# @title zh ${oneLine(form.titleZh)}`);
  if (form.descriptionZh.trim()) header.push(`# @description zh ${oneLine(form.descriptionZh)}`);
  if (shape && shape.type) {
    const name = (i) => columns[i].name;
    const parts = [`# @chart ${shape.type}`, `x=${name(shape.rows)}`];
    if (shape.columns >= 0) parts.push(`series=${name(shape.columns)}`);
    if (shape.value >= 0) parts.push(`value=${name(shape.value)}`);
    header.push(parts.join(" "));
  }
  if (shape && shape.totals === false) header.push("# @totals none");
  return [...header, ...kept, ...lines.slice(body)].join("\n").replace(/\n*$/, "\n");
}

function openSaveDialog() {
  const q = questionShown();
  $("save-title").value = q ? q.title : "";
  $("save-title-zh").value = q ? (q.titles || {}).zh || "" : "";
  $("save-description").value = q ? q.description : "";
  $("save-description-zh").value = q ? (q.descriptions || {}).zh || "" : "";
  $("save-name").value = q ? q.name : "";
  $("save-dialog").showModal();
  $("save-title").focus();
}

function saveQuestion(event) {
  event.preventDefault();
  const form = {
    title: $("save-title").value,
    titleZh: $("save-title-zh").value,
    description: $("save-description").value,
    descriptionZh: $("save-description-zh").value,
  };
  if (!form.title.trim()) {
    $("save-title").reportValidity();
    return;
  }
  const shape = state.view === "chart" ? state.shape : null;
  const content = questionFile($("editor").value, form, shape, state.columns);
  const stem = fileStem($("save-name").value || form.title);
  save(new Blob([content], { type: "application/sparql-query" }), stem + ".rq");
  $("save-dialog").close();
}

function setupPanels() {
  $("ontology-panel").addEventListener("toggle", () => {
    if ($("ontology-panel").open) countOntology();
  });
  $("ontology-filter").addEventListener("input", listOntology);
  $("clear-history").addEventListener("click", () => {
    localStorage.removeItem(HISTORY_KEY);
    listHistory();
  });
  $("save-as").addEventListener("click", openSaveDialog);
  $("save-form").addEventListener("submit", saveQuestion);
  $("save-cancel").addEventListener("click", () => $("save-dialog").close());
  listHistory();
}
