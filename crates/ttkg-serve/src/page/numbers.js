// Numbers as the store gives them: decimal text, added and shifted exactly
// (BigInt with a scale), never through floating point, so a sum of amounts
// on the page is the sum the department receives.
"use strict";

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

// A decimal from text: { units: BigInt, scale } meaning units / 10^scale.
function decimal(textValue) {
  const m = DECIMAL.exec(String(textValue).trim());
  if (!m || (m[2] === "" && !m[3])) return null;
  const digits = (m[2] || "0") + (m[3] || "");
  let scale = (m[3] || "").length - Number(m[4] || 0);
  let units = BigInt(digits);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  if (scale > 40) return null; // beyond what any report states
  return { units: m[1] === "-" ? -units : units, scale };
}

function aligned(a, b) {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale), scale];
}

function add(a, b) {
  const [x, y, scale] = aligned(a, b);
  return { units: x + y, scale };
}

function compare(a, b) {
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

// Divides by 10^places exactly: yuan to 万元 (4) or 亿元 (8).
function shift(a, places) {
  return { units: a.units, scale: a.scale + places };
}

function toNumber(a) {
  return Number(a.units) / 10 ** a.scale;
}

// The digits as text, trailing zeros of the fraction dropped (that is not
// rounding: 150.000000 is 150).
function plain(a) {
  const negative = a.units < 0n;
  let digits = (negative ? -a.units : a.units).toString().padStart(a.scale + 1, "0");
  let whole = digits.slice(0, digits.length - a.scale);
  let fraction = digits.slice(digits.length - a.scale).replace(/0+$/, "");
  return { negative: negative && (whole !== "0" || fraction !== ""), whole, fraction };
}

// Thousands separators, every digit kept.
function grouped(a) {
  const { negative, whole, fraction } = plain(a);
  const groups = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (negative ? "-" : "") + groups + (fraction ? "." + fraction : "");
}

// An average, which the page rounds (and says so): two decimal places.
function rounded(value) {
  return value.toLocaleString(language === "zh" ? "zh-CN" : "en", { maximumFractionDigits: 2 });
}

const isNumeric = (cell) =>
  cell && cell.type === "literal" && cell.value !== "" && decimal(cell.value) !== null &&
  (!cell.datatype || /#(integer|decimal|double|float|long|int|short|nonNegativeInteger|positiveInteger|unsignedInt)$/.test(cell.datatype));
