// The page of one entity: its labels, its facts grouped by property (with
// the ontology's labels), the files, sheets and rows that state them, and
// what refers to it. Every figure comes from the same /sparql endpoint.
"use strict";

const el = (id) => document.getElementById(id);
// Rows asked for per list; one more tells that the list was cut.
const LIMIT = 500;
// An IRI as SPARQL writes it between < and >; anything else is refused
// before it reaches a query.
const IRI = /^[a-z][a-z0-9+.-]*:[^\s<>"{}|\\^`]*$/i;
const page = { iri: new URLSearchParams(location.search).get("iri") || "", facts: [], sources: [], incoming: [], usage: null };

function node(tag, content, attrs) {
  const e = document.createElement(tag);
  if (content !== undefined && content !== null) e.append(content);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

function entityHref(iri) {
  return "/entity?iri=" + encodeURIComponent(iri);
}

// {language tag: text} of the labels among `bindings` for `variable`.
function labelsOf(bindings, variable) {
  const labels = {};
  for (const b of bindings) {
    const label = b[variable];
    if (label && label.type === "literal") labels[languageOf(label)] ??= label.value;
  }
  return labels;
}

// Groups bindings by the values of `keys`, keeping their order.
function groupBy(bindings, keys) {
  const groups = new Map();
  for (const b of bindings) {
    const key = keys.map((k) => (b[k] ? b[k].type + " " + b[k].value + " " + (b[k]["xml:lang"] || "") : "")).join("\u0000");
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(b);
  }
  return [...groups.values()];
}

async function load() {
  if (!IRI.test(page.iri)) {
    el("entity-label").textContent = t("notAnIri");
    return showError(t("notAnIriHelp", page.iri));
  }
  const iri = `<${page.iri}>`;
  try {
    const [facts, sources, incoming, usage] = await Promise.all([
      sparqlBindings(`SELECT ?g ?p ?o ?pl ?ol ?amount ?currency ?comment WHERE {
  GRAPH ?g { ${iri} ?p ?o }
  FILTER(?p != prov:wasDerivedFrom)
  OPTIONAL { ?p rdfs:label ?pl }
  OPTIONAL { ?o skos:prefLabel|rdfs:label ?ol }
  OPTIONAL { ?o schema:value ?amount ; schema:currency ?currency }
  OPTIONAL { GRAPH <${prefixes.ontology || "urn:ttkg:no-ontology"}> { ?p rdfs:comment ?comment } }
} LIMIT ${LIMIT * 8}`),
      sparqlBindings(`SELECT DISTINCT ?g ?file ?sheet ?row ?pipeline WHERE {
  GRAPH ?g { ${iri} prov:wasDerivedFrom ?r . ?r ttkg:rowNumber ?row ; ttkg:sourceFile ?f .
    OPTIONAL { ?r ttkg:sheet ?sheet } ?f ttkg:filePath ?file . OPTIONAL { ?f ttkg:pipeline ?pipeline } }
} ORDER BY ?file ?sheet ?row LIMIT ${LIMIT + 1}`),
      sparqlBindings(`SELECT ?s ?p ?sl ?pl WHERE {
  { SELECT DISTINCT ?s ?p WHERE { ?s ?p ${iri} FILTER(?p != rdf:type) } LIMIT ${LIMIT + 1} }
  OPTIONAL { ?s skos:prefLabel|rdfs:label ?sl }
  OPTIONAL { ?p rdfs:label ?pl }
}`),
      sparqlBindings(`SELECT (COUNT(DISTINCT ?instance) AS ?instances) (COUNT(DISTINCT ?user) AS ?statements) WHERE {
  { ?instance a ${iri} } UNION { ?user ${iri} ?value }
}`),
    ]);
    page.facts = facts;
    page.sources = sources;
    page.incoming = incoming;
    page.usage = usage[0] || null;
    render();
  } catch (e) {
    showError(String(e.message || e));
  }
  document.body.dataset.loaded = "yes";
}

function showError(message) {
  el("error").hidden = !message;
  el("error").textContent = message || "";
  document.body.dataset.loaded = "yes";
}

// A value: a link to its own page for an IRI (by its label where it has
// one), an amount with its currency, or the literal with its language.
function valueCell(bindings) {
  const o = bindings[0].o || bindings[0].s;
  if (o.type !== "uri") {
    const literal = node("span", o.value);
    if (o["xml:lang"]) literal.append(node("span", " @" + o["xml:lang"], { class: "lang" }));
    return literal;
  }
  const labels = labelsOf(bindings, bindings[0].o ? "ol" : "sl");
  let shown = inLanguage(labels, null) || compactIri(o.value);
  const amount = bindings[0].amount;
  if (amount) shown = `${grouped(decimal(amount.value))} ${bindings[0].currency.value}`;
  return node("a", shown, { href: entityHref(o.value), title: o.value });
}

function propertyCell(bindings, variable) {
  const p = bindings[0].p;
  const label = inLanguage(labelsOf(bindings, variable), null);
  const comment = bindings.find((b) => b.comment);
  const title = compactIri(p.value) + (comment ? " — " + comment.comment.value : "");
  return node("a", label || compactIri(p.value), { href: entityHref(p.value), title });
}

// Where a graph's facts come from: the files of its rows, else its name.
function graphName(graph) {
  if (graph === prefixes.ontology) return t("ontologyGraph");
  const file = page.sources.find((s) => s.g.value === graph);
  return file ? file.file.value : compactIri(graph);
}

function table(id, headers, rows) {
  const head = node("tr");
  for (const h of headers) head.append(node("th", h, { scope: "col" }));
  const body = node("tbody");
  for (const cells of rows) {
    const tr = node("tr");
    for (const c of cells) tr.append(node("td", c));
    body.append(tr);
  }
  el(id).replaceChildren(node("thead", head), body);
}

function cut(id, shown, limit) {
  el(id).hidden = shown <= limit;
  el(id).textContent = shown > limit ? t("firstShown", limit) : "";
}

function render() {
  const own = page.facts;
  const typeRows = own.filter((b) => b.p.value === "http://www.w3.org/1999/02/22-rdf-syntax-ns#type");
  const labelRows = own.filter((b) => /#label$|core#prefLabel$/.test(b.p.value));
  const label = inLanguage(labelsOf(labelRows, "o"), null) || compactIri(page.iri);
  el("entity-label").textContent = label;
  document.title = `${label} — ttkg`;
  el("entity-iri").textContent = page.iri;
  el("entity-types").replaceChildren(
    ...groupBy(typeRows, ["o"]).flatMap((g, i) => (i ? [", ", valueCell(g)] : [valueCell(g)])),
  );
  const comment = own.find((b) => /rdf-schema#comment$/.test(b.p.value) && (!b.o["xml:lang"] || b.o["xml:lang"].startsWith(language)))
    || own.find((b) => /rdf-schema#comment$/.test(b.p.value));
  el("entity-comment").textContent = comment ? comment.o.value : "";
  const usage = page.usage;
  const instances = usage && usage.instances ? Number(usage.instances.value) : 0;
  const statements = usage && usage.statements ? Number(usage.statements.value) : 0;
  el("entity-usage").hidden = !(instances || statements);
  el("entity-usage").textContent = instances ? t("instances", instances) : statements ? t("usedBy", statements) : "";

  // Facts: one row per property and value, with the sources stating it.
  const facts = groupBy(own, ["p", "o"]).sort((a, b) => {
    const pa = inLanguage(labelsOf(a, "pl"), compactIri(a[0].p.value));
    const pb = inLanguage(labelsOf(b, "pl"), compactIri(b[0].p.value));
    return pa.localeCompare(pb);
  });
  let previous = null;
  table("facts", [t("property"), t("value"), t("statedBy")], facts.map((g) => {
    const property = g[0].p.value === previous ? "" : propertyCell(g, "pl");
    previous = g[0].p.value;
    const graphs = [...new Set(g.map((b) => b.g.value))].map(graphName);
    return [property, valueCell(g), graphs.join("; ")];
  }));
  el("facts").dataset.facts = facts.length;
  cut("facts-note", own.length, LIMIT * 8 - 1);

  const sources = page.sources.slice(0, LIMIT);
  table("sources", [t("file"), t("sheet"), t("row"), t("pipeline")], sources.map((s) => [
    s.file.value, s.sheet ? s.sheet.value : "", s.row.value, s.pipeline ? s.pipeline.value : "",
  ]));
  if (!sources.length) el("sources").replaceChildren(node("caption", t("noSources")));
  cut("sources-note", page.sources.length, LIMIT);

  const incoming = groupBy(page.incoming, ["s", "p"]);
  table("incoming", [t("entity"), t("property")], incoming.slice(0, LIMIT).map((g) => [valueCell(g), propertyCell(g, "pl")]));
  if (!incoming.length) el("incoming").replaceChildren(node("caption", t("nothingRefers")));
  cut("incoming-note", incoming.length, LIMIT);
}

el("language").addEventListener("click", () => {
  language = language === "zh" ? "en" : "zh";
  localStorage.setItem("ttkg-language", language);
  translatePage();
  if (page.facts.length || page.sources.length) render();
});

translatePage();
loadPrefixes().finally(load);
