// The SPARQL editor: a textarea under a highlighted copy of its text, with
// completion of prefixes, the ontology's terms (with their labels),
// keywords and the query's own variables, and the line of a syntax error
// marked. The textarea stays the editor, so typing, undo and pasting are
// the browser's own.
"use strict";

const KEYWORDS = [
  "SELECT", "DISTINCT", "REDUCED", "WHERE", "FILTER", "OPTIONAL", "UNION", "MINUS", "GRAPH", "SERVICE", "BIND",
  "VALUES", "GROUP BY", "HAVING", "ORDER BY", "ASC", "DESC", "LIMIT", "OFFSET", "PREFIX", "BASE", "ASK",
  "CONSTRUCT", "DESCRIBE", "FROM", "NAMED", "AS", "COUNT", "SUM", "AVG", "MIN", "MAX", "SAMPLE",
  "GROUP_CONCAT", "SEPARATOR", "EXISTS", "NOT EXISTS", "IN", "NOT IN", "STR", "LANG", "LANGMATCHES",
  "DATATYPE", "BOUND", "IF", "COALESCE", "REGEX", "REPLACE", "CONTAINS", "STRSTARTS", "STRENDS", "LCASE",
  "UCASE", "CONCAT", "YEAR", "MONTH", "DAY", "NOW", "ROUND", "ABS", "true", "false",
];
// Keywords over two words (GROUP BY) are highlighted word by word.
const KEYWORD = new Set(["A", ...KEYWORDS.flatMap((k) => k.split(" ")).map((k) => k.toUpperCase())]);
// One token at a time: comments, IRIs, strings, variables, prefixed names,
// numbers, words; everything else is punctuation and space.
const TOKEN = /(#.*)|(<[^<>"{}|^`\\\s]*>)|("(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?)|([?$][\w\u00b7\u0300-\u036f\u00c0-\uffff]+)|((?:[A-Za-z][\w.-]*)?:[\w%-]*(?:\.[\w%-]+)*)|(\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b)|([A-Za-z_]\w*)/g;
const CLASSES = ["comment", "iri", "string", "variable", "name", "number"];
const MAX_SUGGESTIONS = 12;

const editor = {
  area: null,
  shown: null,
  list: null,
  // Terms to complete: { name, label: {lang: text}, kind, comment }.
  terms: [],
  suggestions: [],
  selected: 0,
  errorLine: 0,
};

function highlightLine(line) {
  const out = document.createDocumentFragment();
  let last = 0;
  for (const m of line.matchAll(TOKEN)) {
    if (m.index > last) out.append(line.slice(last, m.index));
    const group = m.slice(1).findIndex((g) => g !== undefined);
    let kind = CLASSES[group];
    if (group === 6) kind = KEYWORD.has(m[0].toUpperCase()) ? "keyword" : null;
    if (kind) {
      const span = document.createElement("span");
      span.className = "tok-" + kind;
      span.textContent = m[0];
      out.append(span);
    } else {
      out.append(m[0]);
    }
    last = m.index + m[0].length;
  }
  if (last < line.length) out.append(line.slice(last));
  return out;
}

function highlight() {
  const shown = editor.shown;
  shown.replaceChildren();
  editor.area.value.split("\n").forEach((line, i) => {
    const span = document.createElement("span");
    span.className = "line" + (i + 1 === editor.errorLine ? " error-line" : "");
    span.append(highlightLine(line));
    shown.append(span, "\n");
  });
  syncScroll();
}

function syncScroll() {
  editor.shown.scrollTop = editor.area.scrollTop;
  editor.shown.scrollLeft = editor.area.scrollLeft;
}

// Marks the line a syntax error names ("… at line 3, column 5"); 0 clears.
function markErrorLine(message) {
  const found = /at line (\d+), column \d+/.exec(message || "");
  editor.errorLine = found ? Number(found[1]) : 0;
  highlight();
  if (editor.errorLine) {
    const line = editor.shown.querySelector(".error-line");
    if (line) editor.area.scrollTop = Math.max(0, line.offsetTop - editor.area.clientHeight / 2);
  }
}

// The word being typed before the caret, and where it starts.
function wordBeforeCaret() {
  const caret = editor.area.selectionStart;
  const before = editor.area.value.slice(0, caret);
  const line = before.slice(before.lastIndexOf("\n") + 1);
  if (line.includes("#")) {
    // Inside a comment nothing is completed.
    const hash = line.indexOf("#");
    const inIri = line.lastIndexOf("<", hash) > line.lastIndexOf(">", hash);
    if (!inIri) return null;
  }
  const match = /[?$]?[\w.-]*:?[\w%-]*$/.exec(line);
  return { word: match[0], start: caret - match[0].length };
}

function suggest(forced) {
  const at = wordBeforeCaret();
  if (!at || (!forced && at.word.length < 2 && !at.word.endsWith(":"))) return closeSuggestions();
  const word = at.word;
  const lower = word.toLowerCase();
  let found = [];
  if (word.startsWith("?") || word.startsWith("$")) {
    const vars = new Set(editor.area.value.match(/[?$][\w]+/g) || []);
    vars.delete(word);
    found = [...vars].filter((v) => v.toLowerCase().startsWith(lower)).map((v) => ({ insert: v, kind: "variable" }));
  } else if (word.includes(":")) {
    const local = lower.slice(lower.indexOf(":") + 1);
    found = editor.terms
      .filter((term) => term.name.toLowerCase() !== lower)
      .filter((term) => term.name.toLowerCase().startsWith(lower)
        || (local && term.name.toLowerCase().startsWith(lower.slice(0, lower.indexOf(":") + 1))
          && Object.values(term.label).some((l) => l.toLowerCase().includes(local))))
      .map((term) => ({ insert: term.name, label: inLanguage(term.label, ""), kind: term.kind, help: term.comment }));
  } else {
    const prefixNames = prefixes.compact.map(([p]) => p + ":");
    found = [
      ...prefixNames.filter((p) => p.startsWith(lower)).map((p) => ({ insert: p, kind: "prefix" })),
      ...KEYWORDS.filter((k) => k.toLowerCase().startsWith(lower) && k.toLowerCase() !== lower)
        .map((k) => ({ insert: k, kind: "keyword" })),
    ];
  }
  editor.suggestions = found.slice(0, MAX_SUGGESTIONS);
  editor.start = at.start;
  editor.selected = 0;
  if (!editor.suggestions.length) return closeSuggestions();
  showSuggestions();
}

function showSuggestions() {
  const list = editor.list;
  list.replaceChildren(...editor.suggestions.map((s, i) => {
    const item = document.createElement("li");
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", String(i === editor.selected));
    item.dataset.insert = s.insert;
    const name = document.createElement("code");
    name.textContent = s.insert;
    item.append(name);
    if (s.label) {
      const label = document.createElement("span");
      label.textContent = s.label;
      item.append(" ", label);
    }
    const kind = document.createElement("small");
    kind.textContent = t("kind_" + s.kind);
    item.append(" ", kind);
    if (s.help) item.title = s.help;
    item.addEventListener("mousedown", (e) => {
      e.preventDefault();
      accept(i);
    });
    return item;
  }));
  // Under the caret: its line from the line height, its column measured.
  const style = getComputedStyle(editor.area);
  const lineHeight = parseFloat(style.lineHeight) || 20;
  const before = editor.area.value.slice(0, editor.start);
  const lineIndex = before.split("\n").length - 1;
  const lineText = before.slice(before.lastIndexOf("\n") + 1);
  const measure = (editor.canvas ||= document.createElement("canvas")).getContext("2d");
  measure.font = `${style.fontSize} ${style.fontFamily}`;
  const left = parseFloat(style.paddingLeft) + measure.measureText(lineText).width - editor.area.scrollLeft;
  const top = parseFloat(style.paddingTop) + (lineIndex + 1) * lineHeight - editor.area.scrollTop;
  list.style.left = Math.max(0, Math.min(left, editor.area.clientWidth - 200)) + "px";
  list.style.top = Math.min(top + 2, editor.area.clientHeight) + "px";
  list.hidden = false;
}

function closeSuggestions() {
  editor.suggestions = [];
  if (editor.list) editor.list.hidden = true;
}

function accept(index) {
  const chosen = editor.suggestions[index];
  if (!chosen) return;
  const area = editor.area;
  const end = area.selectionStart;
  area.setRangeText(chosen.insert, editor.start, end, "end");
  closeSuggestions();
  area.dispatchEvent(new Event("input", { bubbles: true }));
  area.focus();
}

// Inserts text at the caret, as the ontology panel does with a term.
function insertAtCaret(textToInsert) {
  const area = editor.area;
  area.setRangeText(textToInsert, area.selectionStart, area.selectionEnd, "end");
  area.dispatchEvent(new Event("input", { bubbles: true }));
  area.focus();
}

function setupEditor(area, shown, list) {
  Object.assign(editor, { area, shown, list });
  area.setAttribute("aria-autocomplete", "list");
  area.setAttribute("aria-controls", list.id);
  area.addEventListener("input", (e) => {
    editor.errorLine = 0;
    highlight();
    if (e.isTrusted || e.inputType) suggest(false);
  });
  area.addEventListener("scroll", syncScroll);
  area.addEventListener("blur", closeSuggestions);
  area.addEventListener("keydown", (e) => {
    if (e.key === " " && e.ctrlKey) {
      e.preventDefault();
      suggest(true);
      return;
    }
    if (list.hidden || !editor.suggestions.length) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const n = editor.suggestions.length;
      editor.selected = (editor.selected + (e.key === "ArrowDown" ? 1 : n - 1)) % n;
      showSuggestions();
    } else if ((e.key === "Enter" && !e.ctrlKey && !e.metaKey) || e.key === "Tab") {
      e.preventDefault();
      e.stopImmediatePropagation();
      accept(editor.selected);
    } else if (e.key === "Escape") {
      e.preventDefault();
      closeSuggestions();
    }
  });
  new ResizeObserver(() => {
    shown.style.height = area.offsetHeight + "px";
  }).observe(area);
  highlight();
}
