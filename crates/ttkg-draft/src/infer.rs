//! A column's type from what its header says (万元, 面积, ngày …) and what
//! its values read as, with ttkg's own parsers, so that a drafted type is
//! one the import will read.

use std::collections::HashMap;
use std::sync::LazyLock;

use polars::prelude::*;
use regex::Regex;
use ttkg_normalise::{clean_text, concept_key, parse_date, parse_number, ConceptTable};
use ttkg_pipeline::{AreaUnit, ColumnType, DateOrder, DateSystem, NumberStyle, Resolve};

use ttkg_normalise::writing::Writing;

/// A drafted column's type and settings.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Text {
        resolve: Option<Resolve>,
        split: Option<String>,
    },
    Integer {
        multiplier: Option<String>,
        style: NumberStyle,
    },
    Decimal {
        multiplier: Option<String>,
        style: NumberStyle,
    },
    Date {
        order: DateOrder,
        system: DateSystem,
        time: bool,
    },
    Money {
        currency: Currency,
        multiplier: Option<String>,
        /// The key of the date column whose year picks the exchange rate.
        date_column: Option<String>,
        style: NumberStyle,
    },
    Area {
        unit: AreaUnit,
        style: NumberStyle,
    },
    Concept {
        scheme: String,
        split: Option<String>,
    },
}

/// Where a money column's currency comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Currency {
    Code(String),
    /// The key of a column holding each row's currency.
    Column(String),
}

impl Kind {
    /// The kind a pipeline's column declares.
    pub fn of(spec: &ttkg_pipeline::ColumnSpec) -> Kind {
        let multiplier = spec.multiplier().map(|m| format!("{m}"));
        let style = spec.number_style();
        match &spec.kind {
            ColumnType::Text(t) => Kind::Text {
                resolve: t.resolve,
                split: t.split.clone(),
            },
            ColumnType::Integer(_) => Kind::Integer { multiplier, style },
            ColumnType::Decimal(_) => Kind::Decimal { multiplier, style },
            ColumnType::Date(d) | ColumnType::DateTime(d) => Kind::Date {
                order: d.date_order,
                system: d.date_system,
                time: matches!(spec.kind, ColumnType::DateTime(_)),
            },
            ColumnType::Money(m) => Kind::Money {
                currency: match (&m.currency, &m.currency_column) {
                    (Some(code), _) => Currency::Code(code.clone()),
                    (None, Some(column)) => Currency::Column(column.clone()),
                    (None, None) => Currency::Code("CNY".into()),
                },
                multiplier,
                date_column: m.date_column.clone(),
                style,
            },
            ColumnType::Area(a) => Kind::Area {
                unit: a.unit,
                style,
            },
            ColumnType::Concept(c) => Kind::Concept {
                scheme: c.scheme.clone(),
                split: c.split.clone(),
            },
        }
    }

    pub fn is_number(&self) -> bool {
        matches!(
            self,
            Kind::Integer { .. } | Kind::Decimal { .. } | Kind::Money { .. } | Kind::Area { .. }
        )
    }
}

fn pattern(re: &str) -> Regex {
    Regex::new(re).expect("a draft pattern compiles")
}

static DATE_WORDS: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?i)日期|时间|年月|date|ngày|วันที่|tanggal|thời gian|signed"));
static MONEY_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?i)金额|价值|合同额|经费|投资|资金|amount|value|price|funding|giá trị|số tiền|kinh phí|มูลค่า|จำนวนเงิน|งบประมาณ|nilai|biaya",
    )
});
static AREA_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    pattern(r"(?i)面积|亩|公顷|hectare|\bha\b|ไร่|\brai\b|diện tích|luas|m²|平方米")
});
static ORGANISATION_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?i)单位|机构|公司|大学|学院|企业|组织|合作方|输出方|受让方|organi[sz]ation|institution|company|partner|party|member|đơn vị|cơ quan|tổ chức|หน่วยงาน|องค์กร|lembaga|instansi|perusahaan",
    )
});
static TECHNOLOGY_WORDS: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?i)技术|technolog|công nghệ|เทคโนโลยี|teknologi"));

/// The multiplier a header's unit implies (`金额（万元）` → 10000).
pub fn header_multiplier(header: &str) -> Option<&'static str> {
    static WORDS: LazyLock<[(Regex, &str); 4]> = LazyLock::new(|| {
        [
            (pattern(r"亿"), "100000000"),
            (pattern(r"(?i)百万|million|triệu|ล้าน|juta"), "1000000"),
            (pattern(r"万"), "10000"),
            (pattern(r"(?i)千|thousand|nghìn|ngàn|พัน|ribu"), "1000"),
        ]
    });
    WORDS
        .iter()
        .find(|(re, _)| re.is_match(header))
        .map(|(_, m)| *m)
}

/// The currency a header names (`金额（万元）` → CNY, `Giá trị (VNĐ)` → VND).
pub fn header_currency(header: &str) -> Option<&'static str> {
    let upper = header.to_uppercase();
    ttkg_normalise::CURRENCY_WORDS
        .iter()
        // A lone Latin letter (Đ) is a letter of a word, not a currency.
        .filter(|(word, _)| {
            word.chars().count() > 1
                || !word
                    .chars()
                    .all(|c| c.is_alphabetic() && (c as u32) < 0x2E80)
        })
        .filter(|(word, _)| match upper.find(word) {
            // A code or word of letters stands alone (`RM` is not in `FORM`).
            Some(at) if word.chars().all(|c| c.is_ascii_alphabetic()) => {
                let before = upper[..at].chars().next_back();
                let after = upper[at + word.len()..].chars().next();
                !before.is_some_and(|c| c.is_alphanumeric())
                    && !after.is_some_and(|c| c.is_alphanumeric())
            }
            Some(_) => true,
            None => false,
        })
        .max_by_key(|(word, _)| word.chars().count())
        .map(|(_, code)| *code)
}

/// The area unit a header names.
pub fn header_unit(header: &str) -> Option<AreaUnit> {
    static UNITS: LazyLock<[(Regex, AreaUnit); 4]> = LazyLock::new(|| {
        [
            (pattern(r"(?i)亩|\bmu\b"), AreaUnit::Mu),
            (
                pattern(r"(?i)公顷|hectare|\bha\b|héc-?ta|hecta"),
                AreaUnit::Hectare,
            ),
            (pattern(r"(?i)ไร่|\brai\b"), AreaUnit::Rai),
            (pattern(r"(?i)m²|平方米|square met"), AreaUnit::SquareMetre),
        ]
    });
    UNITS
        .iter()
        .find(|(re, _)| re.is_match(header))
        .map(|(_, u)| *u)
}

pub fn says_date(header: &str) -> bool {
    DATE_WORDS.is_match(header)
}

pub fn says_money(header: &str) -> bool {
    MONEY_WORDS.is_match(header) || header_currency(header).is_some()
}

/// What a column's values read as, counted with ttkg's parsers.
#[derive(Debug, Clone, Default)]
pub struct Readings {
    pub values: usize,
    /// Values read as numbers in point style (1,500.50) and comma style (1.500,50).
    pub point: usize,
    pub comma: usize,
    /// Values read as whole numbers (point style).
    pub whole: usize,
    /// Values read as dates, year first, day first, month first.
    pub dates: [usize; 3],
    /// Values with a time of day.
    pub times: usize,
    /// The scheme most values are labels of, and how many.
    pub concept: Option<(String, usize)>,
    /// As `concept`, for the parts of values split at 、;；,，/.
    pub split_concept: Option<(String, usize, usize)>,
    /// Values that are Excel serial day numbers (42537).
    pub serials: usize,
    /// Values that name a currency (CNY, 美元, ₫).
    pub currencies: usize,
    /// Whether no value repeats (a column that can name each row).
    pub distinct: bool,
    /// Which scripts the values are written in.
    pub writing: Writing,
}

const ORDERS: [DateOrder; 3] = [DateOrder::Ymd, DateOrder::Dmy, DateOrder::Mdy];
pub const SPLIT: &str = "、;；,，/";

impl Readings {
    /// The readings of one column's values.
    #[cfg(test)]
    pub fn of(values: &[String], concepts: &ConceptTable) -> PolarsResult<Readings> {
        let mut all = Readings::of_all(&[values.to_vec()], concepts)?;
        Ok(all.pop().unwrap_or_default())
    }

    /// The readings of each column's values, counted over the values of all
    /// columns stacked (`i` the column, `v` the value): the parsers' counts
    /// grouped by column, and the labels each scheme knows found by one
    /// join, for the values and for their parts where values hold several.
    /// (An expression per column and scheme took most of a draft's time in
    /// planning.)
    pub fn of_all(columns: &[Vec<String>], concepts: &ConceptTable) -> PolarsResult<Vec<Readings>> {
        // A failed formula (#DIV/0!) says nothing of the column's type.
        let columns: Vec<Vec<String>> = columns
            .iter()
            .map(|values| {
                values
                    .iter()
                    .filter(|v| !(v.starts_with('#') && v.len() <= 14 && !v.contains(' ')))
                    .cloned()
                    .collect()
            })
            .collect();
        let stacked = stack(
            columns
                .iter()
                .enumerate()
                .flat_map(|(i, values)| values.iter().map(move |v| (i as u32, v.as_str()))),
        )?;
        // (column, parser) → how many values it reads.
        let mut parsed: HashMap<(u32, &str), usize> = HashMap::new();
        let counts = stacked
            .clone()
            .group_by([col("i")])
            .agg(counting())
            .collect()?;
        let index = counts.column("i")?.u32()?;
        for name in COUNTED {
            let count = counts.column(name)?.i64()?;
            for (i, n) in index.iter().zip(count.iter()) {
                if let (Some(i), Some(n)) = (i, n) {
                    parsed.insert((i, name), n.max(0) as usize);
                }
            }
        }
        let known = known_by_scheme(stacked, concepts)?;
        // The parts of the values of columns where some value holds several
        // (越南、老挝), and how many each column has.
        let split: Vec<(u32, &str)> = columns
            .iter()
            .enumerate()
            .filter(|(_, values)| values.iter().any(|v| v.contains(|c| SPLIT.contains(c))))
            .flat_map(|(i, values)| {
                values
                    .iter()
                    .flat_map(|v| v.split(|c| SPLIT.contains(c)))
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(move |p| (i as u32, p))
            })
            .collect();
        let mut parts: HashMap<u32, usize> = HashMap::new();
        for (i, _) in &split {
            *parts.entry(*i).or_default() += 1;
        }
        let known_parts = known_by_scheme(stack(split.into_iter())?, concepts)?;
        let schemes: Vec<String> = concepts.schemes().map(str::to_owned).collect();
        Ok(columns
            .iter()
            .enumerate()
            .map(|(i, values)| {
                let i = i as u32;
                let get = |name: &str| parsed.get(&(i, name)).copied().unwrap_or(0);
                let concept = best_scheme(&schemes, i, &known);
                let split_concept = parts.get(&i).and_then(|&n| {
                    best_scheme(&schemes, i, &known_parts).map(|(s, found)| (s, found, n))
                });
                Readings::from_counts(values, get, concept, split_concept)
            })
            .collect())
    }

    fn from_counts(
        values: &[String],
        get: impl Fn(&str) -> usize,
        concept: Option<(String, usize)>,
        split_concept: Option<(String, usize, usize)>,
    ) -> Readings {
        if values.is_empty() {
            return Readings::default();
        }
        static SERIAL: LazyLock<Regex> = LazyLock::new(|| pattern(r"^\d{5}(\.\d+)?$"));
        let serial = &*SERIAL;
        let distinct = values
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            == values.len();
        Readings {
            distinct,
            writing: Writing::of(values.iter().map(String::as_str)),
            serials: values.iter().filter(|v| serial.is_match(v)).count(),
            currencies: values
                .iter()
                .filter(|v| ttkg_normalise::currency_of(v).is_some())
                .count(),
            values: values.len(),
            point: get("point"),
            comma: get("comma"),
            whole: get("whole"),
            dates: [get("date0"), get("date1"), get("date2")],
            times: get("times"),
            concept,
            split_concept,
        }
    }

    fn share(&self, n: usize) -> f64 {
        if self.values == 0 {
            0.0
        } else {
            n as f64 / self.values as f64
        }
    }

    /// The number style most values read in, and the share they make.
    pub fn numbers(&self) -> (NumberStyle, f64) {
        if self.comma > self.point {
            (NumberStyle::Comma, self.share(self.comma))
        } else {
            (NumberStyle::Point, self.share(self.point))
        }
    }

    /// Whether most values name a currency: a column of each row's currency.
    pub fn is_currency(&self) -> bool {
        self.values > 0 && self.share(self.currencies) >= 0.9
    }

    /// The date orders that read the most values (several when the values
    /// read the same in each, as ISO dates do).
    pub fn date_orders(&self) -> Vec<DateOrder> {
        let most = self.dates.iter().copied().max().unwrap_or(0);
        ORDERS
            .iter()
            .zip(self.dates)
            .filter(|(_, n)| most > 0 && *n == most)
            .map(|(o, _)| *o)
            .collect()
    }

    /// The date order most values read in (year first on a tie), and the share.
    pub fn dates(&self) -> (DateOrder, f64) {
        let (i, n) = self
            .dates
            .iter()
            .enumerate()
            .max_by_key(|(i, n)| (**n, std::cmp::Reverse(*i)))
            .map(|(i, n)| (i, *n))
            .unwrap_or((0, 0));
        (ORDERS[i], self.share(n))
    }

    pub fn date_share(&self, order: DateOrder) -> f64 {
        let i = ORDERS.iter().position(|o| *o == order).unwrap_or(0);
        self.share(self.dates[i])
    }

    pub fn concept_share(&self, scheme: &str) -> f64 {
        match (&self.concept, &self.split_concept) {
            (Some((s, n)), _) if s == scheme => self.share(*n),
            (_, Some((s, found, parts))) if s == scheme && *parts > 0 => {
                *found as f64 / *parts as f64
            }
            _ => 0.0,
        }
    }
}

/// The names of the counts `counting` makes.
const COUNTED: [&str; 7] = [
    "point", "comma", "whole", "times", "date0", "date1", "date2",
];

/// The parsers' counts over the stacked values `v`, in `COUNTED`'s order.
fn counting() -> Vec<Expr> {
    let count = |e: Expr, name: &str| e.cast(DataType::Int64).sum().alias(name);
    let point = || parse_number(col("v"), NumberStyle::Point);
    let mut exprs = vec![
        count(point().is_not_null(), "point"),
        count(
            parse_number(col("v"), NumberStyle::Comma).is_not_null(),
            "comma",
        ),
        count(
            point()
                .cast(DataType::Float64)
                .round(0, RoundMode::HalfToEven)
                .eq(point().cast(DataType::Float64)),
            "whole",
        ),
        count(
            col("v").str().contains(lit(r"\d{1,2}:\d{2}"), false),
            "times",
        ),
    ];
    for (order, name) in ORDERS.iter().zip(&COUNTED[4..]) {
        let parsed = parse_date(col("v"), *order, DateSystem::Excel1900);
        exprs.push(count(parsed.is_not_null(), name));
    }
    exprs
}

/// Values of several columns in one frame: `i` the column, `v` the value
/// as normalisation sees it (tidied, full-width folded).
fn stack<'a>(values: impl Iterator<Item = (u32, &'a str)>) -> PolarsResult<LazyFrame> {
    let (index, values): (Vec<u32>, Vec<&str>) = values.unzip();
    Ok(df!("i" => index, "v" => values)?
        .lazy()
        .with_column(clean_text(col("v")).alias("v")))
}

/// (column, scheme) → how many of the column's stacked values are labels
/// the scheme knows.
fn known_by_scheme(
    stacked: LazyFrame,
    concepts: &ConceptTable,
) -> PolarsResult<HashMap<(u32, String), usize>> {
    let known = stacked
        .with_column(concept_key(col("v")).alias("key"))
        .join(
            concepts.keys_by_scheme()?.lazy(),
            [col("key")],
            [col("key")],
            JoinArgs::new(JoinType::Inner),
        )
        .group_by([col("i"), col("scheme")])
        .agg([len().cast(DataType::Int64).alias("n")])
        .collect()?;
    let index = known.column("i")?.u32()?;
    let scheme = known.column("scheme")?.str()?;
    let count = known.column("n")?.i64()?;
    let mut counts = HashMap::new();
    for ((i, s), n) in index.iter().zip(scheme.iter()).zip(count.iter()) {
        if let (Some(i), Some(s), Some(n)) = (i, s, n) {
            counts.insert((i, s.to_owned()), n.max(0) as usize);
        }
    }
    Ok(counts)
}

/// The scheme that knows the most of column `i`'s values (the first of
/// `schemes` on a tie), and how many.
fn best_scheme(
    schemes: &[String],
    i: u32,
    known: &HashMap<(u32, String), usize>,
) -> Option<(String, usize)> {
    let mut best: Option<(String, usize)> = None;
    for scheme in schemes {
        let n = known.get(&(i, scheme.clone())).copied().unwrap_or(0);
        if n > 0 && best.as_ref().is_none_or(|(_, b)| n > *b) {
            best = Some((scheme.clone(), n));
        }
    }
    best
}

/// A column's kind from its header and values alone, and why.
pub fn infer(header: &str, readings: &Readings) -> (Kind, String) {
    if readings.values == 0 {
        let text = Kind::Text {
            resolve: None,
            split: None,
        };
        return (
            text,
            "no values in the rows read; text until it has some".into(),
        );
    }
    let (_, numbers) = readings.numbers();
    let (_, dates) = readings.dates();
    let date_needed = if says_date(header) { 0.6 } else { 0.9 };
    if dates >= date_needed && (says_date(header) || numbers < 0.8) {
        return date(readings);
    }
    if numbers >= 0.75 {
        return number(header, readings);
    }
    if let Some(found) = concept(readings) {
        return found;
    }
    text(header)
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

fn date(readings: &Readings) -> (Kind, String) {
    let (order, dates) = readings.dates();
    let serials = if readings.serials * 2 > readings.values {
        "; they are Excel serial day numbers, counted from 1900 (Windows): set date_system = \"1904\" if the file comes from an old Mac workbook"
    } else {
        ""
    };
    let kind = Kind::Date {
        order,
        system: DateSystem::Excel1900,
        time: readings.times * 2 > readings.values,
    };
    let why = format!(
        "{} of the values read as dates{}{serials}",
        percent(dates),
        order_note(order)
    );
    (kind, why)
}

/// An area, an amount, a whole number or a decimal, as the header says.
fn number(header: &str, readings: &Readings) -> (Kind, String) {
    let (style, numbers) = readings.numbers();
    let multiplier = header_multiplier(header).map(str::to_owned);
    let why = format!("{} of the values read as numbers", percent(numbers));
    if AREA_WORDS.is_match(header) {
        return match header_unit(header) {
            Some(unit) => (
                Kind::Area { unit, style },
                format!("{why}; the header names an area in {}", unit.name()),
            ),
            None => (
                Kind::Area {
                    unit: AreaUnit::Mu,
                    style,
                },
                format!("{why}; the header names an area but no unit: 亩 assumed, check it"),
            ),
        };
    }
    if says_money(header) {
        let (currency, said) = match header_currency(header) {
            Some(code) => (code.to_owned(), format!("the header names {code}")),
            None => (
                "CNY".to_owned(),
                "no currency in the header: CNY assumed unless a column gives each row's, check it"
                    .to_owned(),
            ),
        };
        let kind = Kind::Money {
            currency: Currency::Code(currency),
            multiplier,
            date_column: None,
            style,
        };
        return (kind, format!("{why}; the header names an amount; {said}"));
    }
    if readings.whole == readings.point && style == NumberStyle::Point {
        return (
            Kind::Integer { multiplier, style },
            format!("{why}, all whole"),
        );
    }
    (Kind::Decimal { multiplier, style }, why)
}

/// Labels of one concept scheme, whole or split at separators.
fn concept(readings: &Readings) -> Option<(Kind, String)> {
    let whole = readings
        .concept
        .clone()
        .map(|(s, n)| (s, readings.share(n), None));
    let split = readings.split_concept.clone().map(|(s, found, parts)| {
        let share = found as f64 / parts.max(1) as f64;
        (s, share, Some(SPLIT.to_owned()))
    });
    let (scheme, share, split) = [whole, split]
        .into_iter()
        .flatten()
        .filter(|(_, share, _)| *share >= 0.6)
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    let why = format!(
        "{} of the values are labels of the {scheme} scheme",
        percent(share)
    );
    Some((Kind::Concept { scheme, split }, why))
}

/// Text, resolved as organisations or technologies where the header names them.
fn text(header: &str) -> (Kind, String) {
    let resolve = if ORGANISATION_WORDS.is_match(header) {
        Some(Resolve::Organisation)
    } else if TECHNOLOGY_WORDS.is_match(header) {
        Some(Resolve::Technology)
    } else {
        None
    };
    let why = match resolve {
        Some(r) => format!(
            "text; the header names {}s, so names are resolved with the alias table",
            r.name()
        ),
        None => "text".into(),
    };
    (
        Kind::Text {
            resolve,
            split: None,
        },
        why,
    )
}

fn order_note(order: DateOrder) -> &'static str {
    match order {
        DateOrder::Ymd => "",
        DateOrder::Dmy => ", day first",
        DateOrder::Mdy => ", month first",
    }
}

/// A known column's kind, kept where the values read as it and adjusted to
/// what this header says (another unit, another currency); else the kind
/// inferred.
pub fn adapt(known: Kind, exact: bool, header: &str, readings: &Readings, inferred: Kind) -> Kind {
    let (_, numbers) = readings.numbers();
    match known {
        _ if readings.values == 0 => known,
        Kind::Money {
            currency,
            multiplier,
            date_column,
            style,
        } if numbers >= 0.8 => Kind::Money {
            currency: match (header_currency(header), currency) {
                (Some(code), Currency::Code(_)) => Currency::Code(code.to_owned()),
                (_, kept) => kept,
            },
            multiplier: if exact {
                multiplier
            } else {
                header_multiplier(header).map(str::to_owned)
            },
            date_column,
            // Values that read only in comma style (1.500,50) say so.
            style: match readings.numbers().0 {
                NumberStyle::Comma => NumberStyle::Comma,
                NumberStyle::Point => style,
            },
        },
        // The unit this header names, else the known column's.
        Kind::Area { unit, style } if numbers >= 0.8 => Kind::Area {
            unit: header_unit(header).unwrap_or(unit),
            style: match readings.numbers().0 {
                NumberStyle::Comma => NumberStyle::Comma,
                NumberStyle::Point => style,
            },
        },
        Kind::Integer { .. } | Kind::Decimal { .. } if numbers >= 0.8 => known,
        // Serial numbers read the same counted from 1900 or 1904, so the
        // system is not taken from another sender's pipeline.
        Kind::Date { order, time, .. } => {
            if readings.date_share(order) >= 0.8 {
                Kind::Date {
                    order,
                    system: DateSystem::Excel1900,
                    time,
                }
            } else {
                inferred
            }
        }
        Kind::Concept { ref scheme, .. } if readings.concept_share(scheme) >= 0.5 => known,
        // Names of organisations or technologies are resolved where the
        // header says so, even if the known column was not.
        Kind::Text { resolve, split }
            if !inferred.is_number() || matches!(inferred, Kind::Integer { .. }) =>
        {
            let resolve = match (&inferred, resolve) {
                (_, Some(r)) => Some(r),
                (
                    Kind::Text {
                        resolve: Some(r), ..
                    },
                    None,
                ) => Some(*r),
                _ => None,
            };
            Kind::Text { resolve, split }
        }
        _ => inferred,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_counted_apart_with_their_schemes_and_parts() {
        let label = |scheme: &str, label: &str, iri: &str| {
            (scheme.to_owned(), label.to_owned(), iri.to_owned())
        };
        let concepts = ConceptTable::from_labels(&[
            label("country", "越南", "c:VN"),
            label("country", "老挝", "c:LA"),
            label("field", "农业", "f:agri"),
            label("field", "Vietnam", "f:odd"),
        ])
        .unwrap();
        let column = |values: &[&str]| values.iter().map(|v| v.to_string()).collect::<Vec<_>>();
        let all = Readings::of_all(
            &[
                column(&["越南、老挝", "越南", "Vietnam", "2016-06-01"]),
                column(&["农业", "农业", "#DIV/0!"]),
                column(&[]),
            ],
            &concepts,
        )
        .unwrap();
        // Each column's own counts, not its neighbours'.
        assert_eq!(all[0].values, 4);
        assert_eq!(all[0].dates[0], 1);
        assert_eq!(all[0].concept, Some(("country".into(), 1)));
        // The parts: 越南, 老挝, 越南, Vietnam, 2016-06-01; 3 countries.
        assert_eq!(all[0].split_concept, Some(("country".into(), 3, 5)));
        // The formula error is not a value; no separator, no parts.
        assert_eq!(all[1].values, 2);
        assert_eq!(all[1].concept, Some(("field".into(), 2)));
        assert_eq!(all[1].split_concept, None);
        assert_eq!(all[1].dates, [0, 0, 0]);
        assert_eq!(all[2].values, 0);
        assert_eq!(all[2].concept, None);
    }

    #[test]
    fn headers_say_units_currencies_and_multipliers() {
        assert_eq!(header_multiplier("协议金额（万元）"), Some("10000"));
        assert_eq!(header_multiplier("Giá trị (triệu VNĐ)"), Some("1000000"));
        assert_eq!(header_currency("协议金额（万元）"), Some("CNY"));
        assert_eq!(header_currency("Giá trị hợp đồng (VNĐ)"), Some("VND"));
        assert_eq!(header_currency("Contract value (USD)"), Some("USD"));
        assert_eq!(header_currency("Form"), None);
        assert_eq!(header_unit("面积（公顷）"), Some(AreaUnit::Hectare));
        assert_eq!(header_unit("พื้นที่ (ไร่)"), Some(AreaUnit::Rai));
    }

    fn readings(values: &[&str]) -> Readings {
        let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        Readings::of(&values, &ConceptTable::default()).unwrap()
    }

    #[test]
    fn values_give_the_type() {
        let (kind, _) = infer(
            "签约日期",
            &readings(&["2016-06-16", "2015/3/2", "2014年5月6日"]),
        );
        assert!(
            matches!(
                kind,
                Kind::Date {
                    order: DateOrder::Ymd,
                    ..
                }
            ),
            "{kind:?}"
        );
        let (kind, _) = infer("Ngày ký", &readings(&["16/06/2016", "25/12/2015"]));
        assert!(
            matches!(
                kind,
                Kind::Date {
                    order: DateOrder::Dmy,
                    ..
                }
            ),
            "{kind:?}"
        );
        let (kind, _) = infer("协议金额（万元）", &readings(&["78.82", "1,200"]));
        assert_eq!(
            kind,
            Kind::Money {
                currency: Currency::Code("CNY".into()),
                multiplier: Some("10000".into()),
                date_column: None,
                style: NumberStyle::Point
            }
        );
        let (kind, _) = infer("学员人数", &readings(&["12", "30"]));
        assert!(matches!(kind, Kind::Integer { .. }), "{kind:?}");
        let (kind, _) = infer("Diện tích (ha)", &readings(&["12,5", "1.030,25"]));
        assert_eq!(
            kind,
            Kind::Area {
                unit: AreaUnit::Hectare,
                style: NumberStyle::Comma
            }
        );
        let (kind, _) = infer("合作单位", &readings(&["广西大学", "越南农业科学院"]));
        assert_eq!(
            kind,
            Kind::Text {
                resolve: Some(Resolve::Organisation),
                split: None
            }
        );
    }
}
