//! The normalisation rules, each a polars expression over a column of text.

use polars::prelude::*;
use ttkg_pipeline::{
    AreaUnit, ColumnKind, ColumnSpec, Companion, DateOrder, DateSystem, MoneyColumn, NumberStyle,
    PipelineSpec, Resolve,
};

use crate::refs::References;
use crate::{identity_of, null_str, rule_of, text_of, MULTI_SEPARATOR, ROW_COLUMN};

/// Composes Unicode (NFC: Windows-1258 and Mac files write Vietnamese tone
/// marks as separate characters), trims, folds full-width ASCII (digits,
/// letters, brackets, punctuation) and the ideographic space to their
/// half-width forms, collapses runs of whitespace to one space, and turns
/// empty cells into nulls.
pub fn clean_text(expr: Expr) -> Expr {
    let expr = expr.str().normalize(UnicodeForm::NFC);
    let full: Vec<String> = (0xFF01u32..=0xFF5E)
        .filter_map(char::from_u32)
        .map(String::from)
        .chain(["\u{3000}".to_owned()])
        .collect();
    let half: Vec<String> = (0x21u32..=0x7E)
        .filter_map(char::from_u32)
        .map(String::from)
        .chain([" ".to_owned()])
        .collect();
    let folded = expr.str().replace_many(
        lit(Series::new("full".into(), full)).implode(true),
        lit(Series::new("half".into(), half)).implode(true),
        false,
        true,
    );
    let collapsed = folded
        .str()
        .replace_all(lit(r"\s+"), lit(" "), false)
        .str()
        .strip_chars(lit(NULL));
    when(collapsed.clone().eq(lit("")))
        .then(null_str())
        .otherwise(collapsed)
}

/// Turns the separators of a multi-valued cell (`美国、巴西`) into [`MULTI_SEPARATOR`].
pub(crate) fn canonical_separators(expr: Expr, separators: &str) -> Expr {
    let class: String = separators.chars().map(regex_escape).collect();
    expr.str().replace_all(
        lit(format!(r"\s*[{class}]\s*")),
        lit(MULTI_SEPARATOR.to_string()),
        false,
    )
}

fn regex_escape(c: char) -> String {
    if "\\^$.|?*+()[]{}-".contains(c) {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

/// The key concept labels are matched on: lower case, without spaces or punctuation.
pub fn concept_key(expr: Expr) -> Expr {
    expr.str()
        .to_lowercase()
        .str()
        .replace_all(lit(r"[\s\p{P}]+"), lit(""), false)
}

const CURRENCY_MARKS: &str =
    r"(?i)US\$|S\$|RMB|CNY|VND|VNĐ|THB|USD|IDR|MYR|SGD|EUR|Rp\.?|RM|[¥￥$₫฿€]|đồng|đ|บาท|人民币|元";
const VALUE_MULTIPLIERS: &str = "万|亿";

/// Units that follow counts (`12人`, `3项`) and say nothing the column does not.
const COUNT_UNITS: &str = r"(人次|人|名|家|项|个|期|次|位|所|个月)$";

/// The decimal type numbers are kept in: 38 digits, 12 of them after the
/// point. Amounts, areas and counts are parsed and scaled in it, never
/// through binary floating point, so 78.82 万元 is exactly 788200.
pub const DECIMAL: DataType = DataType::Decimal(38, 12);

/// Decimal places a reported number may have: it is scaled (万, %) within
/// [`DECIMAL`]'s 12 without rounding.
pub const MAX_DECIMAL_PLACES: usize = 10;

/// Digits before the point a reported number may have (10^18 đồng is more
/// than any agreement; the bound keeps conversions to yuan exact in [`DECIMAL`]).
pub const MAX_INTEGER_DIGITS: usize = 18;

/// A decimal literal, exactly as written.
pub fn decimal(text: &str) -> Expr {
    lit(text.to_owned()).cast(DECIMAL)
}

/// The number in `text` as plain decimal text (`-1500000.50`): separators,
/// currency marks, 万/亿, count units and a trailing `%` removed; null when
/// it is not written as a number in `style`.
fn plain_number(text: Expr, style: NumberStyle) -> (Expr, Expr) {
    let bare = text
        .str()
        .replace_all(lit(r"\s"), lit(""), false)
        .str()
        .replace_all(lit(CURRENCY_MARKS), lit(""), false)
        .str()
        .replace_all(lit(VALUE_MULTIPLIERS), lit(""), false)
        .str()
        .replace_all(lit(COUNT_UNITS), lit(""), false);
    let percent = bare.clone().str().ends_with(lit("%"));
    let bare = bare.str().replace_all(lit("%$"), lit(""), false);
    let (valid, plain) = match style {
        NumberStyle::Point => (
            r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$",
            bare.clone().str().replace_all(lit(","), lit(""), true),
        ),
        NumberStyle::Comma => (
            r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$",
            bare.clone()
                .str()
                .replace_all(lit("."), lit(""), true)
                .str()
                .replace_all(lit(","), lit("."), true),
        ),
    };
    let plain = when(bare.str().contains(lit(valid), false))
        .then(plain)
        .otherwise(null_str());
    (plain, percent)
}

/// Whether `text` is written as a number in `style` but with more decimal
/// places ([`MAX_DECIMAL_PLACES`]) or digits ([`MAX_INTEGER_DIGITS`]) than
/// ttkg keeps without rounding.
pub fn too_precise(text: Expr, style: NumberStyle) -> Expr {
    let (plain, _) = plain_number(text, style);
    plain
        .str()
        .contains(
            lit(format!(
                r"(\.\d{{{}}}|^[+-]?\d{{{}}})",
                MAX_DECIMAL_PLACES + 1,
                MAX_INTEGER_DIGITS + 1
            )),
            false,
        )
        .fill_null(lit(false))
}

/// Parses numbers written with thousands separators, currency marks,
/// spaces, a trailing `%` (divided by 100), count units, or in Chinese
/// numerals (三, 十二, 一百零五), to [`DECIMAL`]. Anything else (two decimal
/// points, letters, more precision than [`too_precise`] allows) gives null:
/// a number is never rounded to fit.
pub fn parse_number(text: Expr, style: NumberStyle) -> Expr {
    let (plain, percent) = plain_number(text.clone(), style);
    let digits = when(too_precise(text.clone(), style).not())
        .then(plain.cast(DECIMAL))
        .otherwise(lit(NULL).cast(DECIMAL));
    let bare = text.str().replace_all(lit(r"\s"), lit(""), false);
    let number = coalesce(&[digits, chinese_numeral_value(bare)]);
    when(percent)
        .then(number.clone() / decimal("100"))
        .otherwise(number)
}

/// The value of a Chinese numeral from 零 to 九千九百九十九, by lookup in a
/// table of their standard spellings; null for anything else.
fn chinese_numeral_value(text: Expr) -> Expr {
    static TABLE: std::sync::LazyLock<(Series, Series)> = std::sync::LazyLock::new(|| {
        let numbers: Vec<u32> = (0..10_000).collect();
        let spelt: Vec<String> = numbers.iter().map(|n| chinese_numeral(*n)).collect();
        let values: Vec<String> = numbers.iter().map(u32::to_string).collect();
        (
            Series::new("spelt".into(), spelt),
            Series::new("value".into(), values),
        )
    });
    let (spelt, values) = &*TABLE;
    crate::refs::lookup(text, spelt, values).cast(DECIMAL)
}

/// 0 → 零, 12 → 十二, 105 → 一百零五, 1010 → 一千零一十.
fn chinese_numeral(n: u32) -> String {
    const DIGITS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    if n == 0 {
        return "零".into();
    }
    let mut spelt = String::new();
    let mut rest = n;
    let mut gap = false;
    for (unit, name) in [(1000, '千'), (100, '百'), (10, '十')] {
        let digit = rest / unit;
        rest %= unit;
        if digit > 0 {
            if gap {
                spelt.push('零');
                gap = false;
            }
            // 十二, not 一十二, at the start.
            if !(unit == 10 && digit == 1 && spelt.is_empty()) {
                spelt.push(DIGITS[digit as usize]);
            }
            spelt.push(name);
        } else if !spelt.is_empty() {
            gap = true;
        }
    }
    if rest > 0 {
        if gap {
            spelt.push('零');
        }
        spelt.push(DIGITS[rest as usize]);
    }
    spelt
}

/// 万 or 亿 written in the value itself overrides the column's multiplier.
fn value_multiplier(text: Expr, column_multiplier: &str) -> Expr {
    when(text.clone().str().contains_literal(lit("亿")))
        .then(decimal("100000000"))
        .when(text.str().contains_literal(lit("万")))
        .then(decimal("10000"))
        .otherwise(decimal(column_multiplier))
}

pub(crate) fn number_hint(style: NumberStyle) -> &'static str {
    match style {
        NumberStyle::Point => {
            "not a number (expected digits with optional thousands commas, such as 1,500,000.50)"
        }
        NumberStyle::Comma => {
            "not a number (expected digits with optional thousands points, such as 1.500.000,50)"
        }
    }
}

/// For a value that is not a number in `style` but is one in the other
/// style (16,32 in a column of 1,500.50 numbers): what to set.
pub(crate) fn other_style_hint(style: NumberStyle) -> (NumberStyle, &'static str) {
    match style {
        NumberStyle::Point => (
            NumberStyle::Comma,
            " is not a number as this column writes them (1,500,000.50), but reads as one with a decimal comma (1.500.000,50): if the sender writes decimals with a comma, set number_style = \"comma\" on the column in the pipeline",
        ),
        NumberStyle::Comma => (
            NumberStyle::Point,
            " is not a number as this column writes them (1.500.000,50), but reads as one with a decimal point (1,500,000.50): if the sender writes decimals with a point, remove number_style = \"comma\" from the column in the pipeline",
        ),
    }
}

pub(crate) fn date_hint(order: DateOrder) -> &'static str {
    match order {
        DateOrder::Ymd => "not a recognisable date (expected 2016-06-16, 2016年6月16日, 2016.6.16, ngày 16 tháng 6 năm 2016, 2016-06, 2016 or an Excel date; for 16/06/2016 set date_order = \"dmy\" in the pipeline)",
        DateOrder::Dmy => "not a recognisable date (expected 16/06/2016, 2016-06-16, 2016年6月16日, ngày 16 tháng 6 năm 2016, 2016-06, 2016 or an Excel date)",
        DateOrder::Mdy => "not a recognisable date (expected 06/16/2016, 2016-06-16, 2016年6月16日, 2016-06, 2016 or an Excel date)",
    }
}

/// A time of day after a date: ` 10:30`, `T10:30:00`, `T10:30:00.5`.
const TIME: &str = r"(?:(?:T|\s+)(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?)?\s*$";
const YMD: &str = r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?";
const NUMERIC_YEAR_LAST: &str = r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})";
const YEAR_MONTH: &str = r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$";
const YEAR: &str = r"^(\d{4})\s*年?$";
const VIETNAMESE: &str = r"(?i)^ngày\s*(\d{1,2})\s*tháng\s*(\d{1,2})\s*năm\s*(\d{4})$";
const EXCEL_SERIAL: &str = r"^\d{5}(?:\.\d+)?$";
/// Days from Excel's day 0 to 1970-01-01: 1899-12-30 in the 1900 date
/// system, 1904-01-01 in the 1904 one.
fn excel_epoch_offset(system: DateSystem) -> i32 {
    match system {
        DateSystem::Excel1900 => 25569,
        DateSystem::Excel1904 => 24107,
    }
}
/// Thai Buddhist-era years run 543 ahead (2559 BE = 2016 CE); no report of
/// ours dates from after 2400 CE, so such years are Buddhist.
const BUDDHIST_ERA_OFFSET: i32 = 543;

/// Parses dates to ISO 8601 text: `2016-06-16`, or `2016-06` / `2016` when
/// the report gives no more (kept at that precision, never padded with
/// invented days). Impossible dates (2016-02-30) give null. A time of day
/// after the date is read by [`parse_time`].
pub fn parse_date(text: Expr, order: DateOrder, system: DateSystem) -> Expr {
    let ymd = format!("{YMD}{TIME}");
    let numeric = format!("{NUMERIC_YEAR_LAST}{TIME}");
    let part = |re: &str, i: usize| text.clone().str().extract(lit(re.to_owned()), i);
    let vietnamese = iso_date(
        part(VIETNAMESE, 3),
        part(VIETNAMESE, 2),
        part(VIETNAMESE, 1),
    );
    let full = iso_date(part(&ymd, 1), part(&ymd, 2), part(&ymd, 3));
    let year_last = match order {
        DateOrder::Dmy => iso_date(part(&numeric, 3), part(&numeric, 2), part(&numeric, 1)),
        DateOrder::Mdy => iso_date(part(&numeric, 3), part(&numeric, 1), part(&numeric, 2)),
        DateOrder::Ymd => null_str(),
    };
    let serial = when(text.clone().str().contains(lit(EXCEL_SERIAL), false))
        .then(
            (text
                .clone()
                .cast(DataType::Float64)
                .floor()
                .cast(DataType::Int32)
                - lit(excel_epoch_offset(system)))
            .cast(DataType::Date)
            .dt()
            .to_string("%Y-%m-%d"),
        )
        .otherwise(null_str());
    let month = part(YEAR_MONTH, 2);
    let month_ok = within(month.clone().cast(DataType::Int32), 1, 12);
    let year_month = when(month_ok)
        .then(concat_str(
            [
                gregorian(part(YEAR_MONTH, 1)),
                lit("-"),
                month.str().zfill(lit(2)),
            ],
            "",
            false,
        ))
        .otherwise(null_str());
    let year = gregorian(part(YEAR, 1));
    let year_ok = within(year.clone().cast(DataType::Int32), 1900, 2100);
    let year = when(year_ok).then(year).otherwise(null_str());
    coalesce(&[full, year_last, vietnamese, serial, year_month, year])
}

/// The time of day written after a date (`2016-03-12T10:30`, `16/06/2016
/// 10:30:15`) or in an Excel serial's fraction, as `HH:MM:SS` (with the
/// seconds' fraction when written); null when there is none or it is not a
/// time (25:00).
pub fn parse_time(text: Expr, order: DateOrder) -> Expr {
    let ymd = format!("{YMD}{TIME}");
    let numeric = format!("{NUMERIC_YEAR_LAST}{TIME}");
    let written = |re: &str| {
        let part = |i: usize| text.clone().str().extract(lit(re.to_owned()), i);
        let (hour, minute) = (part(4), part(5));
        let second = part(6).fill_null(lit("00"));
        let valid = within(hour.clone().cast(DataType::Int32), 0, 23)
            .and(within(minute.clone().cast(DataType::Int32), 0, 59))
            .and(within(
                second
                    .clone()
                    .str()
                    .slice(lit(0), lit(2))
                    .cast(DataType::Int32),
                0,
                59,
            ));
        when(valid)
            .then(concat_str(
                [
                    hour.str().zfill(lit(2)),
                    lit(":"),
                    minute,
                    lit(":"),
                    second.str().zfill(lit(2)),
                ],
                "",
                false,
            ))
            .otherwise(null_str())
    };
    let numeric_time = match order {
        DateOrder::Ymd => null_str(),
        DateOrder::Dmy | DateOrder::Mdy => written(&numeric),
    };
    // Excel keeps a time as the fraction of a day after the serial's point.
    let seconds = ((text.clone().cast(DataType::Float64)
        - text.clone().cast(DataType::Float64).floor())
        * lit(86_400.0))
    .round(0, RoundMode::HalfAwayFromZero)
    .cast(DataType::Int64);
    let two = |e: Expr| e.cast(DataType::String).str().zfill(lit(2));
    let serial_time = when(
        text.clone()
            .str()
            .contains(lit(EXCEL_SERIAL), false)
            .and(seconds.clone().gt(lit(0)))
            .and(seconds.clone().lt(lit(86_400))),
    )
    .then(concat_str(
        [
            two(seconds.clone() / lit(3600)),
            lit(":"),
            two((seconds.clone() % lit(3600)) / lit(60)),
            lit(":"),
            two(seconds % lit(60)),
        ],
        "",
        false,
    ))
    .otherwise(null_str());
    coalesce(&[written(&ymd), numeric_time, serial_time])
}

/// Whether `text` writes a time of day other than midnight after its date,
/// which a date would have to drop.
pub fn has_time_of_day(text: Expr, order: DateOrder) -> Expr {
    let time = parse_time(text, order);
    time.clone()
        .is_not_null()
        .and(time.str().contains(lit(r"^00:00:00(\.0*)?$"), false).not())
        .fill_null(lit(false))
}

/// A four-digit year, Buddhist-era years moved to the common era.
fn gregorian(year: Expr) -> Expr {
    let number = year.clone().cast(DataType::Int32);
    when(within(number.clone(), 2400, 2700))
        .then((number - lit(BUDDHIST_ERA_OFFSET)).cast(DataType::String))
        .otherwise(year)
}

/// `low <= value <= high`, false for null.
fn within(value: Expr, low: i32, high: i32) -> Expr {
    value
        .clone()
        .gt_eq(lit(low))
        .and(value.lt_eq(lit(high)))
        .fill_null(lit(false))
}

fn iso_date(year: Expr, month: Expr, day: Expr) -> Expr {
    let text = concat_str(
        [
            gregorian(year),
            lit("-"),
            month.str().zfill(lit(2)),
            lit("-"),
            day.str().zfill(lit(2)),
        ],
        "",
        false,
    );
    let valid = text
        .clone()
        .str()
        .to_date(StrptimeOptions {
            format: Some("%Y-%m-%d".into()),
            strict: false,
            exact: true,
            cache: true,
        })
        .is_not_null();
    when(valid).then(text).otherwise(null_str())
}

/// An organisation name: the alias table's name for it, else the name with
/// its legal form written 有限公司; `key.rule` says which rule changed it.
/// A name the table gives several organisations for is kept as written.
fn resolve_organisation(key: &str, text: Expr, refs: &References) -> Vec<Expr> {
    let table = refs.aliases.of("organisation");
    let name_key = table.key(text.clone());
    let listed = table.lookup(name_key.clone());
    let ambiguous = table.ambiguity(name_key);
    let unified = text
        .clone()
        .str()
        .replace_all(lit("有限责任公司"), lit("有限公司"), true);
    let value = when(ambiguous.clone().is_not_null())
        .then(text.clone())
        .otherwise(coalesce(&[listed.clone(), unified.clone()]));
    let rule = when(ambiguous.clone().is_not_null())
        .then(ambiguity_rule("organisation", ambiguous))
        .when(listed.clone().is_not_null().and(listed.neq(text.clone())))
        .then(lit(
            "alias table (data/reference/aliases.csv, organisation)",
        ))
        .when(unified.neq(text))
        .then(lit("legal form 有限责任公司 written as 有限公司"))
        .otherwise(null_str());
    vec![value.alias(key), rule.alias(rule_of(key))]
}

/// A technology's, event's, platform's or project's name: kept as written
/// (it is the entity's label, in the report's language), while `key.id`,
/// which the entity's IRI is made from, is the alias table's name for it.
/// So a technology reported in Chinese by one sender and in Vietnamese by
/// another is one entity with a label in each language.
fn resolve_entity(key: &str, kind: &str, text: Expr, refs: &References) -> Vec<Expr> {
    let table = refs.aliases.of(kind);
    let name_key = table.key(text.clone());
    let listed = table.lookup(name_key.clone());
    let ambiguous = table.ambiguity(name_key);
    let id = when(ambiguous.clone().is_not_null())
        .then(text.clone())
        .otherwise(coalesce(&[listed.clone(), text.clone()]));
    let rule = when(ambiguous.clone().is_not_null())
        .then(ambiguity_rule(kind, ambiguous))
        .when(listed.clone().is_not_null().and(listed.neq(text.clone())))
        .then(lit(format!(
            "alias table (data/reference/aliases.csv, {kind}): the same {kind} as the name it resolved to, labelled as written"
        )))
        .otherwise(null_str());
    vec![
        text.alias(key),
        id.alias(identity_of(key)),
        rule.alias(rule_of(key)),
    ]
}

fn ambiguity_rule(kind: &str, names: Expr) -> Expr {
    concat_str(
        [
            lit(format!(
                "ambiguous, kept as written: the alias table gives several {kind} names for this one ("
            )),
            names,
            lit("); add a row that tells them apart"),
        ],
        "",
        true,
    )
}

pub(crate) fn normalise_column(key: &str, column: &ColumnSpec, refs: &References) -> Vec<Expr> {
    let text = col(text_of(key));
    let multiplier = column.multiplier_text();
    match column.kind() {
        ColumnKind::Text => match column.resolve() {
            None => vec![text.alias(key)],
            Some(Resolve::Organisation) => resolve_organisation(key, text, refs),
            Some(kind) => resolve_entity(key, kind.name(), text, refs),
        },
        ColumnKind::Integer => {
            let n = parse_number(text.clone(), column.number_style());
            let value = n.clone() * value_multiplier(text, &multiplier);
            vec![
                when(
                    value
                        .clone()
                        .round(0, RoundMode::HalfToEven)
                        .eq(value.clone()),
                )
                .then(value.cast(DataType::Int64))
                .otherwise(lit(NULL).cast(DataType::Int64))
                .alias(key),
                n.alias(Companion::Source.column(key)),
            ]
        }
        ColumnKind::Decimal => {
            let n = parse_number(text.clone(), column.number_style());
            vec![
                (n.clone() * value_multiplier(text, &multiplier)).alias(key),
                n.alias(Companion::Source.column(key)),
            ]
        }
        ColumnKind::Area => {
            let n = parse_number(text, column.number_style());
            let (numerator, denominator) = column.unit().map_or((1, 1), |u| u.hectares_per_unit());
            // 亩 to hectares divides by 15, which no decimal does exactly:
            // rounded half away from zero to 6 places (a hundredth of a m²).
            let hectares = (n.clone() * decimal(&numerator.to_string())
                / decimal(&denominator.to_string()))
            .round(AREA_DECIMAL_PLACES, RoundMode::HalfAwayFromZero);
            let mut columns = vec![
                hectares.alias(key),
                n.clone().alias(Companion::Source.column(key)),
            ];
            if let Some(unit) = column.unit() {
                columns.extend(area_companions(key, n, unit));
            }
            columns
        }
        ColumnKind::Date => {
            vec![parse_date(text, column.date_order(), column.date_system()).alias(key)]
        }
        ColumnKind::DateTime => {
            let date = parse_date(text.clone(), column.date_order(), column.date_system());
            let time = parse_time(text, column.date_order());
            vec![when(
                date.clone()
                    .str()
                    .len_chars()
                    .eq(lit(10))
                    .and(time.clone().is_not_null()),
            )
            .then(concat_str([date.clone(), lit("T"), time], "", false))
            .otherwise(date)
            .alias(key)]
        }
        ColumnKind::Concept => {
            let scheme = column.scheme().unwrap_or("");
            vec![refs.concepts.lookup(scheme, concept_key(text)).alias(key)]
        }
        ColumnKind::Money => Vec::new(),
    }
}

/// Decimal places of an area converted to hectares.
pub const AREA_DECIMAL_PLACES: u32 = 6;

/// Money: the amount in its currency's base unit, the currency, the year
/// whose rate applies, and the amount in yuan.
///
/// Yuan are `amount × (CNY per US dollar) ÷ (currency per US dollar)` for
/// the signing year, computed in [`DECIMAL`] (12 places, half to even) and
/// rounded half away from zero (四舍五入) to the fen; amounts in yuan are
/// rounded to the fen the same way.
pub(crate) fn normalise_money(
    key: &str,
    column: &ColumnSpec,
    money: &MoneyColumn,
    spec: &PipelineSpec,
    refs: &References,
) -> Vec<Expr> {
    let text = col(text_of(key));
    let n = parse_number(text.clone(), column.number_style());
    let scale = value_multiplier(text, &column.multiplier_text());
    let amount = n.clone() * scale.clone();
    let currency = match (&money.currency, &money.currency_column) {
        (Some(code), _) => lit(code.as_str()),
        (None, Some(other)) => currency_code(col(text_of(other))),
        (None, None) => null_str(),
    };
    let year = match &money.date_column {
        Some(date)
            if spec
                .column(date)
                .is_some_and(|c| matches!(c.kind(), ColumnKind::Date | ColumnKind::DateTime)) =>
        {
            col(date.clone())
                .str()
                .slice(lit(0), lit(4))
                .cast(DataType::Int32)
        }
        Some(date) => parse_date(col(text_of(date)), DateOrder::Ymd, DateSystem::Excel1900)
            .str()
            .slice(lit(0), lit(4))
            .cast(DataType::Int32),
        None => lit(NULL).cast(DataType::Int32),
    };
    let rate_key = concat_str(
        [
            currency.clone(),
            lit("|"),
            year.clone().cast(DataType::String),
        ],
        "",
        false,
    );
    let (cny_per_usd, currency_per_usd) = refs.rates.lookup(rate_key);
    let cny = when(currency.clone().eq(lit("CNY")))
        .then(amount.clone())
        .otherwise(amount.clone() * cny_per_usd / currency_per_usd)
        .round(2, RoundMode::HalfAwayFromZero);
    vec![
        amount.alias(key),
        n.clone().alias(Companion::Source.column(key)),
        // The unit the sender wrote the figure in (万 or 亿 in the cell or
        // the column's multiplier), so the figure can be shown as written.
        when(n.is_not_null())
            .then(scale)
            .otherwise(lit(NULL).cast(DECIMAL))
            .alias(Companion::Scale.column(key)),
        currency.alias(Companion::Currency.column(key)),
        year.alias(Companion::Year.column(key)),
        cny.alias(Companion::Cny.column(key)),
    ]
}

/// Currency codes from what senders write: codes, symbols, names (upper
/// case, no spaces).
pub const CURRENCY_WORDS: &[(&str, &str)] = &[
    ("CNY", "CNY"),
    ("RMB", "CNY"),
    ("¥", "CNY"),
    ("￥", "CNY"),
    ("元", "CNY"),
    ("人民币", "CNY"),
    ("人民币元", "CNY"),
    ("VND", "VND"),
    ("₫", "VND"),
    ("Đ", "VND"),
    ("VNĐ", "VND"),
    ("ĐỒNG", "VND"),
    ("THB", "THB"),
    ("฿", "THB"),
    ("บาท", "THB"),
    ("USD", "USD"),
    ("US$", "USD"),
    ("$", "USD"),
    ("IDR", "IDR"),
    ("RP", "IDR"),
    ("MYR", "MYR"),
    ("RM", "MYR"),
    ("SGD", "SGD"),
    ("S$", "SGD"),
    ("EUR", "EUR"),
    ("€", "EUR"),
    ("LAK", "LAK"),
    ("₭", "LAK"),
    ("KHR", "KHR"),
    ("៛", "KHR"),
    ("MMK", "MMK"),
    ("PHP", "PHP"),
    ("₱", "PHP"),
    ("BND", "BND"),
];

/// The currency a text such as `人民币`, `US$` or `đồng` names.
pub fn currency_of(text: &str) -> Option<&'static str> {
    let key: String = text.to_uppercase().split_whitespace().collect();
    CURRENCY_WORDS
        .iter()
        .find(|(word, _)| *word == key)
        .map(|(_, code)| *code)
}

/// Currency codes from what senders write (see [`CURRENCY_WORDS`]).
fn currency_code(text: Expr) -> Expr {
    const TABLE: &[(&str, &str)] = CURRENCY_WORDS;
    let old = Series::new(
        "old".into(),
        TABLE.iter().map(|(o, _)| *o).collect::<Vec<_>>(),
    );
    let new = Series::new(
        "new".into(),
        TABLE.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
    );
    let key = text
        .str()
        .to_uppercase()
        .str()
        .replace_all(lit(r"\s"), lit(""), false);
    crate::refs::lookup(key, &old, &new)
}

/// A concept column whose cells may hold several values (`越南、老挝`): each
/// part is looked up, and the cell becomes the IRIs joined by
/// [`MULTI_SEPARATOR`]; one unknown part makes the whole cell null (a problem).
pub(crate) fn split_concepts(
    lf: LazyFrame,
    key: &str,
    column: &ColumnSpec,
    refs: &References,
) -> PolarsResult<LazyFrame> {
    let scheme = column.scheme().unwrap_or("");
    let separators = column.split().unwrap_or("");
    let parts = lf
        .clone()
        .select([
            col(ROW_COLUMN),
            canonical_separators(col(text_of(key)), separators)
                .str()
                .split(lit(MULTI_SEPARATOR.to_string()))
                .alias("__part"),
        ])
        .explode(
            by_name(["__part"], true, false),
            ExplodeOptions {
                empty_as_null: true,
                keep_nulls: true,
            },
        )
        .with_column(
            refs.concepts
                .lookup(scheme, concept_key(col("__part")))
                .alias("__iri"),
        )
        .group_by([col(ROW_COLUMN)])
        .agg([
            col("__iri").null_count().alias("__unknown"),
            col("__part").null_count().alias("__empty"),
            col("__iri")
                .str()
                .join(&MULTI_SEPARATOR.to_string(), true)
                .alias("__joined"),
        ])
        .select([
            col(ROW_COLUMN),
            when(col("__unknown").gt(col("__empty")))
                .then(null_str())
                .when(col("__joined").eq(lit("")))
                .then(null_str())
                .otherwise(col("__joined"))
                .alias(key),
        ]);
    // The raw input column of the same name is replaced by the joined IRIs.
    Ok(lf.drop(by_name([key], true, false)).join(
        parts,
        [col(ROW_COLUMN)],
        [col(ROW_COLUMN)],
        JoinArgs::new(JoinType::Left),
    ))
}

/// Areas in every unit (`{key}.mu`, `{key}.hectare`, …) from the figure as
/// reported in `unit`: exact where the ratio is a decimal (hectares to 亩 is
/// ×15), else rounded half away from zero to [`AREA_DECIMAL_PLACES`].
fn area_companions(key: &str, reported: Expr, unit: AreaUnit) -> Vec<Expr> {
    let (numerator, denominator) = unit.hectares_per_unit();
    AreaUnit::ALL
        .iter()
        .map(|target| {
            let (target_numerator, target_denominator) = target.hectares_per_unit();
            // reported × (ha per unit) ÷ (ha per target unit)
            let factor_numerator = u64::from(numerator) * u64::from(target_denominator);
            let factor_denominator = u64::from(denominator) * u64::from(target_numerator);
            (reported.clone() * decimal(&factor_numerator.to_string())
                / decimal(&factor_denominator.to_string()))
            .round(AREA_DECIMAL_PLACES, RoundMode::HalfAwayFromZero)
            .alias(Companion::Area(*target).column(key))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(values: &[Option<&str>], expr: Expr) -> Vec<Option<String>> {
        let df = df!("v" => values).unwrap();
        let out = df.lazy().select([expr.alias("out")]).collect().unwrap();
        let col = out.column("out").unwrap().cast(&DataType::String).unwrap();
        col.str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_owned))
            .collect()
    }

    #[test]
    fn composes_decomposed_vietnamese() {
        assert_eq!(
            run(&[Some("Vi\u{ea}\u{323}t Nam")], clean_text(col("v"))),
            vec![Some("Việt Nam".into())]
        );
    }

    #[test]
    fn cleans_width_space_and_blanks() {
        let out = run(
            &[
                Some("  广西（南宁）　２０１６ "),
                Some("   "),
                None,
                Some("a \t b"),
            ],
            clean_text(col("v")),
        );
        assert_eq!(
            out,
            vec![
                Some("广西(南宁) 2016".into()),
                None,
                None,
                Some("a b".into())
            ]
        );
    }

    #[test]
    fn parses_numbers_in_both_styles() {
        let values = [
            Some("1,500,000.50"),
            Some("¥ 2,000"),
            Some("1,5,0"),
            Some("abc"),
            Some("-3"),
        ];
        assert_eq!(
            run_text(&values, parse_number(col("v"), NumberStyle::Point)),
            vec![
                Some("1500000.5".into()),
                Some("2000".into()),
                None,
                None,
                Some("-3".into())
            ]
        );
        let values = [Some("1.500.000,50"), Some("2.000.000 ₫"), Some("12,5")];
        assert_eq!(
            run_text(&values, parse_number(col("v"), NumberStyle::Comma)),
            vec![
                Some("1500000.5".into()),
                Some("2000000".into()),
                Some("12.5".into())
            ]
        );
    }

    #[test]
    fn numbers_are_never_rounded_to_fit() {
        let values = [
            Some("78.82"),
            Some("0.1234567891"),
            Some("0.12345678912"),
            Some("999999999999999999"),
            Some("1000000000000000000"),
        ];
        assert_eq!(
            run_text(&values, parse_number(col("v"), NumberStyle::Point)),
            vec![
                Some("78.82".into()),
                Some("0.1234567891".into()),
                None,
                Some("999999999999999999".into()),
                None
            ]
        );
        assert_eq!(
            run(&values, too_precise(col("v"), NumberStyle::Point)),
            vec![
                Some("false".into()),
                Some("false".into()),
                Some("true".into()),
                Some("false".into()),
                Some("true".into())
            ]
        );
        // 万 in the value: exact, where floats give 788199.9999999999.
        assert_eq!(
            run_text(
                &[Some("78.82万"), Some("40.91")],
                parse_number(col("v"), NumberStyle::Point) * value_multiplier(col("v"), "10000")
            ),
            vec![Some("788200".into()), Some("409100".into())]
        );
    }

    /// Decimal text without trailing zeros, as the mapper writes it.
    fn run_text(values: &[Option<&str>], expr: Expr) -> Vec<Option<String>> {
        run(values, expr)
            .into_iter()
            .map(|v| {
                v.map(|t| {
                    if t.contains('.') {
                        t.trim_end_matches('0').trim_end_matches('.').to_owned()
                    } else {
                        t
                    }
                })
            })
            .collect()
    }

    #[test]
    fn parses_dates_at_their_precision() {
        let values = [
            Some("2016-06-16"),
            Some("2016年6月16日"),
            Some("2016.6.16"),
            Some("42537"),
            Some("2016-06"),
            Some("2016年"),
            Some("2016-02-30"),
            Some("16/06/2016"),
            Some("soon"),
            Some("2016-06-16T00:00:00"),
        ];
        assert_eq!(
            run(
                &values,
                parse_date(col("v"), DateOrder::Dmy, DateSystem::Excel1900)
            ),
            vec![
                Some("2016-06-16".into()),
                Some("2016-06-16".into()),
                Some("2016-06-16".into()),
                Some("2016-06-16".into()),
                Some("2016-06".into()),
                Some("2016".into()),
                None,
                Some("2016-06-16".into()),
                None,
                Some("2016-06-16".into()),
            ]
        );
        assert_eq!(
            run(
                &[Some("16/06/2016")],
                parse_date(col("v"), DateOrder::Ymd, DateSystem::Excel1900)
            ),
            vec![None]
        );
        assert_eq!(
            run(
                &[Some("06/16/2016")],
                parse_date(col("v"), DateOrder::Mdy, DateSystem::Excel1900)
            ),
            vec![Some("2016-06-16".into())]
        );
        // Vietnamese words, Thai Buddhist-era years, Excel's 1904 date system.
        assert_eq!(
            run(
                &[
                    Some("ngày 16 tháng 6 năm 2016"),
                    Some("16/6/2559"),
                    Some("2559"),
                    Some("2559-06"),
                    Some("31/02/2559")
                ],
                parse_date(col("v"), DateOrder::Dmy, DateSystem::Excel1900)
            ),
            vec![
                Some("2016-06-16".into()),
                Some("2016-06-16".into()),
                Some("2016".into()),
                Some("2016-06".into()),
                None
            ]
        );
        assert_eq!(
            run(
                &[Some("41075")],
                parse_date(col("v"), DateOrder::Ymd, DateSystem::Excel1904)
            ),
            vec![Some("2016-06-16".into())]
        );
    }

    #[test]
    fn chinese_numerals_count_units_and_percentages() {
        assert_eq!(chinese_numeral(12), "十二");
        assert_eq!(chinese_numeral(105), "一百零五");
        assert_eq!(chinese_numeral(1010), "一千零一十");
        assert_eq!(chinese_numeral(110), "一百一十");
        let values = [
            Some("三"),
            Some("十二"),
            Some("一百零五"),
            Some("12人"),
            Some("35人次"),
            Some("12.5%"),
            Some("三十x"),
        ];
        let parsed = run_text(&values, parse_number(col("v"), NumberStyle::Point));
        let expected: Vec<Option<String>> = ["3", "12", "105", "12", "35", "0.125"]
            .iter()
            .map(|v| Some(v.to_string()))
            .chain([None])
            .collect();
        assert_eq!(parsed, expected);
    }

    #[test]
    fn times_of_day_are_found_and_midnight_is_none() {
        let values = [
            Some("2016-03-12T10:30:00"),
            Some("2016-03-12 10:30"),
            Some("16/06/2016 08:05:09"),
            Some("2016-03-12T00:00:00"),
            Some("2016-03-12"),
            Some("42537.4375"),
            Some("2016-03-12T25:00"),
        ];
        assert_eq!(
            run(&values, parse_time(col("v"), DateOrder::Dmy)),
            vec![
                Some("10:30:00".into()),
                Some("10:30:00".into()),
                Some("08:05:09".into()),
                Some("00:00:00".into()),
                None,
                Some("10:30:00".into()),
                None
            ]
        );
        assert_eq!(
            run(&values, has_time_of_day(col("v"), DateOrder::Dmy)),
            ["true", "true", "true", "false", "false", "true", "false"]
                .iter()
                .map(|v| Some(v.to_string()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn currency_codes_from_symbols() {
        assert_eq!(
            run(
                &[Some("rmb"), Some("₫"), Some("US$"), Some("XYZ")],
                currency_code(col("v"))
            ),
            vec![
                Some("CNY".into()),
                Some("VND".into()),
                Some("USD".into()),
                None
            ]
        );
    }
}
