// The page's words in English and Chinese. The language is the analyst's
// choice (kept in the browser), else the browser's language.
"use strict";

const MESSAGES = {
  en: {
    title: "ttkg — ask the technology-transfer knowledge graph",
    intro: "Ask the technology-transfer knowledge graph. Pick a saved question or write SPARQL; the ontology's prefixes (ttkg:, org:, prov:, schema:, skos:, dcterms:, rdfs:, xsd:) are predeclared.",
    saved: "Saved questions",
    editor: "SPARQL",
    run: "Run",
    downloadCsv: "Download CSV",
    downloadXlsx: "Download XLSX",
    running: "running…",
    rows: (n, ms) => `${n.toLocaleString("en")} ${n === 1 ? "row" : "rows"} in ${ms} ms`,
    emptyWhy: " — the warnings below say why the answer may be empty",
    graphAnswer: (ms) => `graph answer in ${ms} ms`,
    noAnswer: "The server did not answer: ",
    table: "Table",
    pivot: "Pivot",
    chart: "Chart",
    rowsBy: "Rows",
    columnsBy: "Columns",
    value: "Value",
    aggregate: "Aggregate",
    none: "(none)",
    countRows: "number of rows",
    sum: "sum",
    count: "count",
    average: "average",
    min: "minimum",
    max: "maximum",
    total: "Total",
    chartType: "Chart",
    bar: "bars",
    stacked: "stacked bars",
    line: "line",
    pie: "pie (shares)",
    xAxis: "Along the axis",
    series: "Series",
    savePng: "Save PNG",
    saveSvg: "Save SVG",
    amounts: "Amounts in",
    yuan: "yuan (元)",
    wan: "10,000 yuan (万元)",
    yi: "100 million yuan (亿元)",
    unitYuan: "元",
    unitWan: "万元",
    unitYi: "亿元",
    by: (value, x, series) => (series ? `${value} by ${x} and ${series}` : `${value} by ${x}`),
    averageRounded: "Averages are rounded to two decimal places.",
    tooMany: (n, what) => `${n} values of ${what}: too many to chart; pivot, or filter the question first.`,
    noChart: "This answer has no number column that a chart could show.",
    questionNoChart: "This question's figures are not on one scale, so it is not charted.",
    noTotals: "Rows of this answer overlap (a total row, or items counted under several labels), so it has no totals.",
    language: "中文",
    languageTitle: "切换到中文",
    empty: "(empty)",
  },
  zh: {
    title: "ttkg — 查询技术转移知识图谱",
    intro: "查询技术转移知识图谱。选择一个已保存的问题，或编写 SPARQL；本体的前缀（ttkg:、org:、prov:、schema:、skos:、dcterms:、rdfs:、xsd:）已预先声明。",
    saved: "已保存的问题",
    editor: "SPARQL",
    run: "运行",
    downloadCsv: "下载 CSV",
    downloadXlsx: "下载 XLSX",
    running: "正在运行…",
    rows: (n, ms) => `${n.toLocaleString("zh-CN")} 行，用时 ${ms} 毫秒`,
    emptyWhy: " — 下面的提示说明了答案可能为空的原因",
    graphAnswer: (ms) => `图结果，用时 ${ms} 毫秒`,
    noAnswer: "服务器没有响应：",
    table: "表格",
    pivot: "透视表",
    chart: "图表",
    rowsBy: "行",
    columnsBy: "列",
    value: "数值",
    aggregate: "汇总方式",
    none: "（无）",
    countRows: "行数",
    sum: "求和",
    count: "计数",
    average: "平均值",
    min: "最小值",
    max: "最大值",
    total: "合计",
    chartType: "图表",
    bar: "柱形图",
    stacked: "堆积柱形图",
    line: "折线图",
    pie: "饼图（占比）",
    xAxis: "横轴",
    series: "系列",
    savePng: "保存 PNG",
    saveSvg: "保存 SVG",
    amounts: "金额单位",
    yuan: "元",
    wan: "万元",
    yi: "亿元",
    unitYuan: "元",
    unitWan: "万元",
    unitYi: "亿元",
    by: (value, x, series) => (series ? `按${x}和${series}的${value}` : `按${x}的${value}`),
    averageRounded: "平均值四舍五入到两位小数。",
    tooMany: (n, what) => `${what}有 ${n} 个值，太多，无法绘图；请使用透视表，或先筛选问题。`,
    noChart: "此答案没有可绘图的数值列。",
    questionNoChart: "此问题的数字单位不同，因此不绘图。",
    noTotals: "此答案的行互相重叠（含合计行，或同一项计入多个类别），因此不显示合计。",
    language: "English",
    languageTitle: "Switch to English",
    empty: "（空）",
  },
};

function preferredLanguage() {
  const chosen = localStorage.getItem("ttkg-language");
  if (chosen && MESSAGES[chosen]) return chosen;
  return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}

let language = preferredLanguage();

function t(key, ...args) {
  const message = MESSAGES[language][key] ?? MESSAGES.en[key] ?? key;
  return typeof message === "function" ? message(...args) : message;
}

// Text in the language chosen from a {tag: text} map, else English, else
// Chinese, else whatever there is.
function inLanguage(texts, fallback) {
  if (!texts) return fallback;
  return texts[language] ?? texts.en ?? texts.zh ?? Object.values(texts)[0] ?? fallback;
}

// The static words of the page, marked data-i18n in index.html.
function translatePage() {
  document.documentElement.lang = language === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  const toggle = document.getElementById("language");
  toggle.textContent = t("language");
  toggle.title = t("languageTitle");
}
