//! Charts as inline SVG: a report's HTML file carries its charts in itself,
//! so it opens, prints and mails without scripts or other files.

use std::fmt::Write;

use crate::report::{group_thousands, ChartData};

/// The query page's colours, so a chart looks the same in both.
const PALETTE: [&str; 12] = [
    "#0b6e69", "#d9822b", "#3d6fb6", "#b3424a", "#6b8e23", "#8e5ea2", "#c9a227", "#4a9bbf",
    "#7f7f7f", "#e377c2", "#2f4f4f", "#bc8f8f",
];
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 300.0;
const FONT: &str =
    "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',sans-serif";

/// Text safe inside SVG or HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// At most `n` characters, with an ellipsis when cut (the table below the
/// chart has the whole label).
fn shorten(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_owned()
    } else {
        text.chars().take(n - 1).collect::<String>() + "…"
    }
}

/// Round steps for an axis from `low` to `high`: 1, 2 or 5 times a power of ten.
fn ticks(low: f64, high: f64) -> Vec<f64> {
    let span = (high - low).max(f64::MIN_POSITIVE);
    let rough = span / 5.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| span / s <= 6.0)
        .unwrap_or(10.0 * power);
    let first = (low / step).floor() * step;
    let mut out = Vec::new();
    let mut v = first;
    while v <= high + step * 1e-9 && out.len() < 20 {
        out.push(v);
        v += step;
    }
    if out.last().is_some_and(|&l| l < high) {
        out.push(v);
    }
    out
}

/// A tick's label: its digits grouped, no float noise.
fn tick_label(v: f64) -> String {
    let text = format!("{:.6}", v);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    group_thousands(if text == "-0" { "0" } else { text })
}

/// The chart as an `<svg>` element, with a title for screen readers.
pub fn chart(data: &ChartData, title: &str) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" font-family="{FONT}" font-size="11"><title>{}</title>"#,
        escape(title)
    );
    if data.kind == "pie" {
        pie(&mut svg, data);
    } else {
        axes_chart(&mut svg, data);
    }
    svg.push_str("</svg>");
    svg
}

/// The series' colours and names, at most 16 (and how many more).
fn legend(svg: &mut String, names: &[&str], left: f64) {
    for (i, name) in names.iter().enumerate().take(16) {
        let y = 24.0 + i as f64 * 17.0;
        let _ = write!(
            svg,
            r##"<rect x="{left}" y="{}" width="11" height="11" fill="{}"/><text x="{}" y="{}" fill="#1d2733">{}</text>"##,
            y - 9.0,
            PALETTE[i % PALETTE.len()],
            left + 16.0,
            y,
            escape(&shorten(name, 22))
        );
    }
    if names.len() > 16 {
        let _ = write!(
            svg,
            r##"<text x="{left}" y="{}" fill="#5b6876">+{}</text>"##,
            24.0 + 16.0 * 17.0,
            names.len() - 16
        );
    }
}

/// Where a chart with axes is drawn: the plot's edges and its value scale.
struct Frame {
    left: f64,
    top: f64,
    height: f64,
    low: f64,
    high: f64,
    /// The width of one category along the x-axis.
    band: f64,
}

impl Frame {
    /// The y coordinate of value `v`.
    fn y(&self, v: f64) -> f64 {
        self.top + self.height * (1.0 - (v - self.low) / (self.high - self.low))
    }

    /// The x coordinate of the middle of category `i`.
    fn middle(&self, i: usize) -> f64 {
        self.left + self.band * (i as f64 + 0.5)
    }
}

/// The lowest and highest values drawn (stacks summed), zero included.
fn value_range(data: &ChartData) -> (f64, f64) {
    let stacked = data.kind == "stacked";
    let (mut low, mut high) = (0.0f64, 0.0f64);
    for i in 0..data.categories.len() {
        let values = data.series.iter().map(|(_, v)| v[i].unwrap_or(0.0));
        if stacked {
            let (up, down) =
                values.fold(
                    (0.0, 0.0),
                    |(p, m), v| {
                        if v >= 0.0 {
                            (p + v, m)
                        } else {
                            (p, m + v)
                        }
                    },
                );
            high = high.max(up);
            low = low.min(down);
        } else {
            for v in values {
                high = high.max(v);
                low = low.min(v);
            }
        }
    }
    if high == low {
        high = low + 1.0;
    }
    (low, high)
}

fn axes_chart(svg: &mut String, data: &ChartData) {
    let many = data.series.len() > 1;
    let (left, top, bottom) = (78.0, 14.0, 56.0);
    let right = if many { WIDTH - 170.0 } else { WIDTH - 16.0 };
    let (low, high) = value_range(data);
    let marks = ticks(low, high);
    let frame = Frame {
        left,
        top,
        height: HEIGHT - top - bottom,
        low: marks[0],
        high: *marks.last().unwrap_or(&high),
        band: (right - left) / data.categories.len().max(1) as f64,
    };
    for &m in &marks {
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{right}" y1="{0:.1}" y2="{0:.1}" stroke="{1}"/><text x="{2}" y="{3:.1}" text-anchor="end" fill="#5b6876">{4}</text>"##,
            frame.y(m),
            if m == 0.0 { "#5b6876" } else { "#e3e7eb" },
            left - 6.0,
            frame.y(m) + 4.0,
            tick_label(m)
        );
    }
    let _ = write!(
        svg,
        r##"<text transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle" fill="#5b6876">{}</text>"##,
        top + frame.height / 2.0,
        escape(&shorten(&data.value_title, 40))
    );
    categories(svg, data, &frame, HEIGHT - bottom + 14.0);
    if data.kind == "line" {
        lines(svg, data, &frame);
    } else {
        bars(svg, data, &frame);
    }
    if many {
        let names: Vec<&str> = data.series.iter().map(|(n, _)| n.as_str()).collect();
        legend(svg, &names, right + 14.0);
    }
}

/// The categories under the x-axis: slanted when there are many, every
/// few when there are very many.
fn categories(svg: &mut String, data: &ChartData, frame: &Frame, y: f64) {
    let n = data.categories.len();
    let every = (n as f64 / 24.0).ceil().max(1.0) as usize;
    for (i, category) in data.categories.iter().enumerate().step_by(every) {
        let x = frame.middle(i);
        if n > 8 {
            let _ = write!(
                svg,
                r##"<text transform="translate({x:.1} {y}) rotate(-35)" text-anchor="end" fill="#1d2733">{}</text>"##,
                escape(&shorten(category, 12))
            );
        } else {
            let _ = write!(
                svg,
                r##"<text x="{x:.1}" y="{y}" text-anchor="middle" fill="#1d2733">{}</text>"##,
                escape(&shorten(category, (frame.band / 7.0).max(4.0) as usize))
            );
        }
    }
}

fn lines(svg: &mut String, data: &ChartData, frame: &Frame) {
    for (s, (name, values)) in data.series.iter().enumerate() {
        let colour = PALETTE[s % PALETTE.len()];
        let points: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (frame.middle(i), frame.y(v))))
            .collect();
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"><title>{}</title></polyline>"#,
            path.join(" "),
            escape(name)
        );
        for (x, y) in points {
            let _ = write!(
                svg,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{colour}"/>"#
            );
        }
    }
}

/// Bars side by side per category, or stacked (positive values up,
/// negative down), no wider than 56 px however few the categories.
fn bars(svg: &mut String, data: &ChartData, frame: &Frame) {
    let stacked = data.kind == "stacked";
    let groups = if stacked { 1 } else { data.series.len() };
    let width = (frame.band * 0.8 / groups as f64).min(56.0);
    let inset = (frame.band - width * groups as f64) / 2.0;
    for i in 0..data.categories.len() {
        let (mut up, mut down) = (0.0f64, 0.0f64);
        for (s, (name, values)) in data.series.iter().enumerate() {
            let Some(v) = values[i] else { continue };
            let (from, to) = if stacked {
                let base = if v >= 0.0 { &mut up } else { &mut down };
                let from = *base;
                *base += v;
                (from, *base)
            } else {
                (0.0, v)
            };
            let slot = if stacked { 0 } else { s };
            let x = frame.left + frame.band * i as f64 + inset + width * slot as f64;
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                frame.y(from.max(to)),
                (width - 1.0).max(1.0),
                (frame.y(from.min(to)) - frame.y(from.max(to))).max(0.5),
                PALETTE[s % PALETTE.len()],
                escape(&format!("{} · {name}", data.categories[i])),
                tick_label(v)
            );
        }
    }
}

fn pie(svg: &mut String, data: &ChartData) {
    let values: Vec<f64> = data.series[0]
        .1
        .iter()
        .map(|v| v.unwrap_or(0.0).max(0.0))
        .collect();
    let total: f64 = values.iter().sum();
    let (cx, cy, r) = (180.0, HEIGHT / 2.0, HEIGHT / 2.0 - 16.0);
    let mut angle = -std::f64::consts::FRAC_PI_2;
    for (i, v) in values.iter().enumerate() {
        if *v <= 0.0 || total <= 0.0 {
            continue;
        }
        let sweep = v / total * std::f64::consts::TAU;
        let (x1, y1) = (cx + r * angle.cos(), cy + r * angle.sin());
        let end = angle + sweep;
        let (x2, y2) = (cx + r * end.cos(), cy + r * end.sin());
        let colour = PALETTE[i % PALETTE.len()];
        let tip = escape(&format!("{}: {}", data.categories[i], tick_label(*v)));
        if sweep >= std::f64::consts::TAU - 1e-9 {
            let _ = write!(
                svg,
                r#"<circle cx="{cx}" cy="{cy}" r="{r}" fill="{colour}"><title>{tip}</title></circle>"#
            );
        } else {
            let _ = write!(
                svg,
                r#"<path d="M{cx},{cy} L{x1:.1},{y1:.1} A{r},{r} 0 {} 1 {x2:.1},{y2:.1} Z" fill="{colour}" stroke="white"><title>{tip}</title></path>"#,
                u8::from(sweep > std::f64::consts::PI)
            );
        }
        angle = end;
    }
    let names: Vec<String> = data
        .categories
        .iter()
        .zip(&values)
        .map(|(c, v)| {
            let share = if total > 0.0 { v / total * 100.0 } else { 0.0 };
            // The name is cut, never the share.
            format!("{} {share:.1}%", shorten(c, 14))
        })
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    legend(svg, &names, cx + r + 40.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(kind: &str) -> ChartData {
        ChartData {
            kind: kind.into(),
            x_title: "Year".into(),
            value_title: "Value".into(),
            categories: vec!["2014".into(), "2015".into(), "<2016>".into()],
            series: vec![
                ("越南".into(), vec![Some(1.0), None, Some(3.5)]),
                ("Thailand".into(), vec![Some(2.0), Some(2.0), Some(0.0)]),
            ],
            note: None,
        }
    }

    #[test]
    fn every_kind_draws_well_formed_escaped_svg() {
        for kind in ["bar", "stacked", "line", "pie"] {
            let svg = chart(&data(kind), "A & B");
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{kind}");
            assert!(svg.contains("<title>A &amp; B</title>"), "{kind}");
            assert!(
                !svg.contains("<2016>") && !svg.contains("NaN"),
                "{kind}: {svg}"
            );
            // A pie shows the first series' shares by category; the others name their series.
            let named = if kind == "pie" {
                "2014 22.2%"
            } else {
                "越南"
            };
            assert!(svg.contains(named), "{kind}: {svg}");
        }
    }

    #[test]
    fn axes_have_round_ticks_that_cover_the_values() {
        assert_eq!(ticks(0.0, 5.9), vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let t = ticks(0.0, 52_958_500.0);
        assert_eq!(t.first(), Some(&0.0));
        assert!(*t.last().unwrap() >= 52_958_500.0 && t.len() <= 8, "{t:?}");
        assert_eq!(tick_label(20_000_000.0), "20,000,000");
        assert_eq!(tick_label(0.30000000000000004), "0.3");
    }
}
