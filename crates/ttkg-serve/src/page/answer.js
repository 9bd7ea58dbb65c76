// What the columns of an answer are (labels, times, numbers, amounts,
// identifiers), how a cell is shown, and the pivot that both the pivot
// table and the chart are drawn from.
"use strict";

// Years, months and dates label an axis even when they are numbers.
const TIME_NAME = /year|month|date|年|月|日期/i;
const TIME_VALUE = /^\d{4}(-\d\d){0,2}$/;
// Numbers that name a thing rather than measure it: a row number, a rank.
const ID_NAME = /^(row|rownumber|line|sheet|index|position|rank|order|id|code|iso|number)$/i;
// Amounts in yuan, which the analyst may see in 万元 or 亿元.
const AMOUNT_NAME = /cny|yuan|元/i;
const UNIT_PLACES = { yuan: 0, wan: 4, yi: 8 };
const UNIT_WORD = { yuan: "unitYuan", wan: "unitWan", yi: "unitYi" };

let prefixes = { ids: "", compact: [], ontology: "" };

async function loadPrefixes() {
  const response = await fetch("/api/prefixes", { headers: { Accept: "application/json" } });
  if (!response.ok) return;
  const data = await response.json();
  prefixes = {
    ids: data.ids,
    ontology: data.ontology,
    // Longest namespace first, so that shapes: wins over ttkg: where both match.
    compact: Object.entries(data.prefixes).sort((a, b) => b[1].length - a[1].length),
  };
}

// The bindings of a SELECT asked of this server's endpoint; an error
// carries the server's message.
async function sparqlBindings(query) {
  const response = await fetch("/sparql", {
    method: "POST",
    headers: { "Content-Type": "application/sparql-query", Accept: "application/sparql-results+json" },
    body: query,
  });
  if (!response.ok) throw new Error(await response.text());
  return (await response.json()).results.bindings;
}

// The vocabularies' names in other languages, by English name: a saved
// question picks a country's or field's English name, and the page shows
// it in the analyst's language. A name two concepts share stays as it is.
const otherNames = new Map();

async function loadOtherNames() {
  let rows;
  try {
    rows = await sparqlBindings(`SELECT ?c ?en ?other WHERE {
  ?c skos:inScheme ?scheme ; skos:prefLabel ?en, ?other
  FILTER(LANG(?en) = "en" && LANG(?other) != "en" && LANG(?other) != "")
}`);
  } catch {
    return;
  }
  const concepts = new Map();
  for (const b of rows) {
    if (!concepts.has(b.en.value)) concepts.set(b.en.value, new Map());
    const names = concepts.get(b.en.value);
    const lang = languageOf(b.other);
    names.set(b.c.value, { ...(names.get(b.c.value) || {}), [lang]: b.other.value });
  }
  for (const [english, byConcept] of concepts) {
    if (byConcept.size === 1) otherNames.set(english, [...byConcept.values()][0]);
  }
}

// A literal label in the chosen language where the saved question (its
// `# @label` lines) or a vocabulary names it so.
function named(value, column) {
  if (language === "en") return value;
  const own = column && column.labels && column.labels[language];
  if (own && Object.hasOwn(own, value)) return own[value];
  const names = otherNames.get(value);
  return (names && names[language]) || value;
}

// An IRI as an analyst reads it: ttkg:Agreement, org/guangxi-academy-…
function compactIri(iri) {
  for (const [prefix, namespace] of prefixes.compact) {
    if (iri.startsWith(namespace) && iri.length > namespace.length) return prefix + ":" + iri.slice(namespace.length);
  }
  if (prefixes.ids && iri.startsWith(prefixes.ids)) return decodeURIComponent(iri.slice(prefixes.ids.length));
  return iri;
}

// The columns of an answer, typed from their names and every value.
function describeColumns(vars, rows, question) {
  const docs = new Map(((question && question.columns) || []).map((c) => [c.variable, c]));
  return vars.map((name, i) => {
    const cells = rows.map((r) => r[i]).filter((c) => c);
    const numeric = cells.length > 0 && cells.every(isNumeric);
    let kind;
    if (numeric) kind = TIME_NAME.test(name) ? "time" : ID_NAME.test(name) ? "id" : "number";
    else if (cells.length > 0 && cells.every((c) => c.type === "literal" && TIME_VALUE.test(c.value))) kind = "time";
    else kind = "label";
    const doc = docs.get(name);
    return {
      index: i,
      name,
      kind,
      amount: kind === "number" && AMOUNT_NAME.test(name),
      header: doc ? inLanguage(doc.headers, name) : name,
      help: doc ? doc.description : "",
      labels: (question && question.labels) || null,
    };
  });
}

// A column's header, with the unit its amounts are shown in.
function headerOf(column, unit) {
  return column.amount ? `${column.header} (${t(UNIT_WORD[unit])})` : column.header;
}

// A cell as the page shows it: numbers grouped by thousands (amounts in the
// chosen unit, exactly), IRIs compacted, the rest as stored.
function showCell(cell, column, unit) {
  if (!cell) return "";
  if (cell.type === "uri") return compactIri(cell.value);
  if (column.kind === "number" && isNumeric(cell)) {
    const value = decimal(cell.value);
    return grouped(column.amount ? shift(value, UNIT_PLACES[unit]) : value);
  }
  return column.kind === "label" ? named(cell.value, column) : cell.value;
}

// A value the pivot groups by: the shown text of a label or time cell.
function keyOf(cell, column) {
  if (!cell) return t("empty");
  if (cell.type === "uri") return compactIri(cell.value);
  return column.kind === "label" ? named(cell.value, column) : cell.value;
}

// Rows grouped by one or two columns with one number column aggregated,
// with the totals of each row, each column and all: the same figures the
// chart draws. `value` -1 counts rows.
function pivotOf(rows, columns, spec) {
  const byRow = columns[spec.rows];
  const byColumn = spec.columns >= 0 ? columns[spec.columns] : null;
  const value = spec.value >= 0 ? columns[spec.value] : null;
  const rowKeys = [], columnKeys = [];
  const seenRow = new Set(), seenColumn = new Set();
  const cells = new Map(), rowTotals = new Map(), columnTotals = new Map();
  const all = accumulator();
  for (const row of rows) {
    const rk = keyOf(row[byRow.index], byRow);
    const ck = byColumn ? keyOf(row[byColumn.index], byColumn) : "";
    if (!seenRow.has(rk)) {
      seenRow.add(rk);
      rowKeys.push(rk);
    }
    if (!seenColumn.has(ck)) {
      seenColumn.add(ck);
      columnKeys.push(ck);
    }
    const cell = value ? row[value.index] : { type: "literal", value: "1" };
    const amount = cell && isNumeric(cell) ? decimal(cell.value) : null;
    if (value && !amount) continue; // an empty cell is not a zero
    for (const acc of [
      at(cells, rk + "\u0000" + ck),
      at(rowTotals, rk),
      at(columnTotals, ck),
      all,
    ]) {
      acc.count += 1;
      acc.sum = acc.sum ? add(acc.sum, amount) : amount;
      acc.min = acc.min && compare(acc.min, amount) <= 0 ? acc.min : amount;
      acc.max = acc.max && compare(acc.max, amount) >= 0 ? acc.max : amount;
    }
  }
  // Years and dates in order, a time not reported last.
  const timeOrder = (keys, column) => {
    const empty = t("empty");
    if (column && column.kind === "time") {
      keys.sort((a, b) => (a === empty) - (b === empty) || String(a).localeCompare(String(b)));
    }
  };
  timeOrder(rowKeys, byRow);
  timeOrder(columnKeys, byColumn);
  return {
    rowKeys,
    columnKeys,
    cell: (rk, ck) => cells.get(rk + "\u0000" + ck),
    rowTotal: (rk) => rowTotals.get(rk),
    columnTotal: (ck) => columnTotals.get(ck),
    all,
  };
}

function accumulator() {
  return { count: 0, sum: null, min: null, max: null };
}

function at(map, key) {
  if (!map.has(key)) map.set(key, accumulator());
  return map.get(key);
}

// An aggregate as a decimal (exact) or, for averages, a number.
function aggregateOf(acc, aggregate) {
  if (!acc || acc.count === 0) return null;
  switch (aggregate) {
    case "count":
      return { units: BigInt(acc.count), scale: 0 };
    case "average":
      return toNumber(acc.sum) / acc.count;
    case "min":
      return acc.min;
    case "max":
      return acc.max;
    default:
      return acc.sum;
  }
}

// An aggregate as shown: amounts in the chosen unit, averages rounded.
function showAggregate(value, column, aggregate, unit) {
  if (value === null) return "";
  if (typeof value === "number") {
    const places = column && column.amount && aggregate !== "count" ? UNIT_PLACES[unit] : 0;
    return rounded(value / 10 ** places);
  }
  return grouped(column && column.amount && aggregate !== "count" ? shift(value, UNIT_PLACES[unit]) : value);
}

// The pivot as a table: row keys down, column keys across, totals last.
function pivotTable(rows, columns, spec, unit, totals) {
  const p = pivotOf(rows, columns, spec);
  const value = spec.value >= 0 ? columns[spec.value] : null;
  const show = (acc) => showAggregate(aggregateOf(acc, spec.aggregate), value, spec.aggregate, unit);
  const table = text("table", undefined, { id: "pivot-table", "data-testid": "pivot-table" });
  const head = text("tr");
  const corner = spec.columns >= 0
    ? `${columns[spec.rows].header} \\ ${columns[spec.columns].header}`
    : columns[spec.rows].header;
  head.append(text("th", corner, { scope: "col" }));
  const across = spec.columns >= 0 ? p.columnKeys : [""];
  for (const ck of across) {
    head.append(text("th", spec.columns >= 0 ? ck : valueCaption(columns, spec, unit), { scope: "col" }));
  }
  if (totals && spec.columns >= 0) head.append(text("th", t("total"), { scope: "col", class: "total" }));
  const thead = text("thead");
  thead.append(head);
  const tbody = text("tbody");
  for (const rk of p.rowKeys) {
    const tr = text("tr");
    tr.append(text("th", rk, { scope: "row" }));
    for (const ck of across) tr.append(text("td", show(p.cell(rk, ck)), { class: "number" }));
    if (totals && spec.columns >= 0) tr.append(text("td", show(p.rowTotal(rk)), { class: "number total" }));
    tbody.append(tr);
  }
  if (totals) {
    const tr = text("tr", undefined, { class: "total" });
    tr.append(text("th", t("total"), { scope: "row" }));
    for (const ck of across) tr.append(text("td", show(spec.columns >= 0 ? p.columnTotal(ck) : p.all), { class: "number" }));
    if (spec.columns >= 0) tr.append(text("td", show(p.all), { class: "number" }));
    tbody.append(tr);
  }
  table.append(thead, tbody);
  return table;
}

// "sum of valueCny (万元)", "number of rows".
function valueCaption(columns, spec, unit) {
  if (spec.value < 0) return t("countRows");
  const column = columns[spec.value];
  const header = spec.aggregate === "count" ? column.header : headerOf(column, unit);
  return `${t(spec.aggregate)}: ${header}`;
}
