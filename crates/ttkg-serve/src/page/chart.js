// Charts of a pivot: bars, stacked bars, a line for years or months, a pie
// for shares. Drawn as SVG with its colours and fonts inline, so that the
// saved SVG and PNG look like the page.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const PALETTE = ["#0b6e69", "#d9822b", "#3d6fb6", "#b3424a", "#6b8e23", "#8e5ea2", "#c9a227", "#4a9bbf", "#7f7f7f", "#e377c2", "#2f4f4f", "#bc8f8f"];
const FONT = 'system-ui, "Noto Sans", "Noto Sans CJK SC", "Noto Sans Thai", sans-serif';
const MAX_CATEGORIES = 60;
const MAX_SERIES = 12;
const MAX_SLICES = 12;

// Which charts make sense for a pivot of this shape.
function chartTypes(x, series, categories, seriesCount, nonNegative, totals) {
  const types = ["bar"];
  if (series && totals) types.push("stacked");
  if (x.kind === "time" && categories > 1) types.push("line");
  if (!series && totals && nonNegative && categories <= MAX_SLICES) types.push("pie");
  return types;
}

function svgElement(tag, attrs, content) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  if (content !== undefined) el.textContent = content;
  return el;
}

// 1, 2 or 5 times a power of ten, so that about five ticks cover `span`.
function tickStep(span) {
  const raw = span / 5 || 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
}

const shorten = (label, length) => (label.length > length ? label.slice(0, length - 1) + "…" : label);

// Draws `data` = { categories, series: [{ name, values }] } as `type`;
// values are numbers (already in the unit shown), null where nothing is.
function drawChart(data, type, caption) {
  const legend = data.series.length > 1 || type === "pie";
  const width = 820, height = 380;
  const svg = svgElement("svg", {
    xmlns: SVG_NS,
    viewBox: `0 0 ${width + (legend ? 180 : 0)} ${height}`,
    role: "img",
    "aria-label": caption,
    "font-family": FONT,
  });
  svg.append(svgElement("rect", { x: 0, y: 0, width: "100%", height: "100%", fill: "#fff" }));
  svg.append(svgElement("text", { x: 8, y: 18, "font-size": 14, "font-weight": 600, fill: "#1d2733" }, caption));
  if (type === "pie") drawPie(svg, data, width, height);
  else drawAxes(svg, data, type, width, height);
  if (legend) {
    const names = type === "pie" ? data.categories : data.series.map((s) => s.name);
    names.slice(0, 24).forEach((name, i) => {
      const y = 40 + i * 18;
      svg.append(svgElement("rect", { x: width + 8, y: y - 10, width: 12, height: 12, fill: PALETTE[i % PALETTE.length] }));
      const label = svgElement("text", { x: width + 26, y, "font-size": 11, fill: "#1d2733" }, shorten(name, 24));
      label.append(svgElement("title", {}, name));
      svg.append(label);
    });
  }
  return svg;
}

function drawAxes(svg, data, type, width, height) {
  // Long or many category names are slanted, and need room below the axis.
  const slant = data.categories.length > 8 || data.categories.some((c) => c.length > 10);
  const top = 34, bottom = slant ? 92 : 36;
  const stacked = type === "stacked";
  const totals = data.categories.map((_, i) => {
    let up = 0, down = 0;
    for (const s of data.series) {
      const v = s.values[i] || 0;
      if (v >= 0) up += v;
      else down += v;
    }
    return [down, up];
  });
  const all = data.series.flatMap((s) => s.values.filter((v) => v !== null));
  let low = Math.min(0, ...(stacked ? totals.map((t) => t[0]) : all));
  let high = Math.max(0, ...(stacked ? totals.map((t) => t[1]) : all));
  if (high === low) high = low + 1;
  const step = tickStep(high - low);
  low = Math.floor(low / step) * step;
  high = Math.ceil(high / step) * step;
  const ticks = [];
  for (let v = low; v <= high + step / 2; v += step) ticks.push(v);
  const format = (v) => v.toLocaleString(language === "zh" ? "zh-CN" : "en", { maximumFractionDigits: 6 });
  const left = 14 + 7 * Math.max(...ticks.map((v) => format(v).length));
  const y = (v) => top + (height - top - bottom) * (1 - (v - low) / (high - low));
  for (const v of ticks) {
    svg.append(svgElement("line", { x1: left, x2: width, y1: y(v), y2: y(v), stroke: v === 0 ? "#5b6876" : "#e3e7eb" }));
    svg.append(svgElement("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#5b6876" }, format(v)));
  }
  const n = data.categories.length;
  const band = (width - left) / n;
  data.categories.forEach((name, i) => {
    const cx = left + band * (i + 0.5);
    const ly = height - bottom + 16;
    const label = svgElement("text", {
      x: cx, y: ly, "font-size": 11, fill: "#5b6876",
      "text-anchor": slant ? "end" : "middle",
      transform: slant ? `rotate(-35 ${cx} ${ly})` : "",
    }, shorten(name, 18));
    label.append(svgElement("title", {}, name));
    svg.append(label);
  });
  if (type === "line") {
    data.series.forEach((s, k) => {
      const colour = PALETTE[k % PALETTE.length];
      const points = s.values
        .map((v, i) => (v === null ? null : [left + band * (i + 0.5), y(v)]))
        .filter((p) => p);
      svg.append(svgElement("polyline", { points: points.map((p) => p.join(",")).join(" "), fill: "none", stroke: colour, "stroke-width": 2, class: "line" }));
      s.values.forEach((v, i) => {
        if (v === null) return;
        const dot = svgElement("circle", { cx: left + band * (i + 0.5), cy: y(v), r: 3, fill: colour, class: "point" });
        dot.append(svgElement("title", {}, `${s.name ? s.name + ", " : ""}${data.categories[i]}: ${format(v)}`));
        svg.append(dot);
      });
    });
    return;
  }
  const groups = stacked ? 1 : data.series.length;
  const barWidth = (band * 0.8) / groups;
  const base = data.categories.map(() => [0, 0]);
  data.series.forEach((s, k) => {
    s.values.forEach((v, i) => {
      if (v === null) return;
      let from = 0;
      if (stacked) {
        const side = v >= 0 ? 1 : 0;
        from = base[i][side];
        base[i][side] += v;
      }
      const x = left + band * i + band * 0.1 + (stacked ? 0 : barWidth * k);
      const y0 = y(from), y1 = y(from + v);
      const bar = svgElement("rect", {
        x, y: Math.min(y0, y1), width: Math.max(1, barWidth - 1), height: Math.max(0.5, Math.abs(y1 - y0)),
        fill: PALETTE[k % PALETTE.length], class: "bar",
      });
      bar.append(svgElement("title", {}, `${s.name ? s.name + ", " : ""}${data.categories[i]}: ${format(v)}`));
      svg.append(bar);
    });
  });
}

function drawPie(svg, data, width, height) {
  const values = data.series[0].values.map((v) => v || 0);
  const total = values.reduce((a, b) => a + b, 0) || 1;
  const [cx, cy, r] = [width / 2, height / 2 + 10, Math.min(width, height) / 2 - 40];
  let angle = -Math.PI / 2;
  values.forEach((v, i) => {
    const share = v / total;
    const next = angle + share * 2 * Math.PI;
    const [x0, y0, x1, y1] = [cx + r * Math.cos(angle), cy + r * Math.sin(angle), cx + r * Math.cos(next), cy + r * Math.sin(next)];
    const path = share >= 0.9999
      ? `M ${cx - r} ${cy} A ${r} ${r} 0 1 1 ${cx + r} ${cy} A ${r} ${r} 0 1 1 ${cx - r} ${cy} Z`
      : `M ${cx} ${cy} L ${x0} ${y0} A ${r} ${r} 0 ${share > 0.5 ? 1 : 0} 1 ${x1} ${y1} Z`;
    const percent = (share * 100).toLocaleString(language === "zh" ? "zh-CN" : "en", { maximumFractionDigits: 1 }) + "%";
    const slice = svgElement("path", { d: path, fill: PALETTE[i % PALETTE.length], stroke: "#fff", class: "slice" });
    slice.append(svgElement("title", {}, `${data.categories[i]}: ${percent}`));
    svg.append(slice);
    if (share > 0.04) {
      const mid = (angle + next) / 2;
      svg.append(svgElement("text", {
        x: cx + r * 0.65 * Math.cos(mid), y: cy + r * 0.65 * Math.sin(mid) + 4,
        "text-anchor": "middle", "font-size": 11, fill: "#fff", "font-weight": 600,
      }, percent));
    }
    angle = next;
  });
}

// The chart as a standalone SVG file's text.
function svgText(svg) {
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(svg);
}

// The chart drawn on a canvas at twice its size, as a PNG blob.
function pngBlob(svg) {
  return new Promise((resolve, reject) => {
    const box = svg.viewBox.baseVal;
    const image = new Image();
    const url = URL.createObjectURL(new Blob([svgText(svg)], { type: "image/svg+xml" }));
    image.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = box.width * 2;
      canvas.height = box.height * 2;
      const context = canvas.getContext("2d");
      context.scale(2, 2);
      context.drawImage(image, 0, 0, box.width, box.height);
      URL.revokeObjectURL(url);
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("no PNG"))), "image/png");
    };
    image.onerror = () => reject(new Error("the chart could not be drawn as an image"));
    image.src = url;
  });
}
