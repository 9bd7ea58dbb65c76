//! The corpus of messy reports (tests/fixtures/messy/, written by
//! `ttkg-demo --messy`): one import of all of them, then each file's
//! expected outcome — the values loaded, the rows quarantined and why, or
//! the error that names the file.

use crate::common;

use std::path::Path;
use std::sync::OnceLock;

use common::{select, Run};
use ttkg_graph::KnowledgeStore;

struct Corpus {
    _dir: tempfile::TempDir,
    run: Run,
    store: KnowledgeStore,
    /// The quarantine CSV: file, sheet, row, column, value, rule, reason, pipeline.
    quarantine: String,
    /// The names CSV: file, sheet, row, column, written, resolved to, rule, pipeline.
    names: String,
}

fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = common::root();
        let fixture = root.join("tests/fixtures/messy");
        let dir = tempfile::tempdir().unwrap();
        common::copy_dir(&root.join("ontology"), &dir.path().join("ontology"));
        common::copy_dir(
            &root.join("data/reference"),
            &dir.path().join("data/reference"),
        );
        common::copy_dir(&fixture.join("pipelines"), &dir.path().join("pipelines"));
        common::copy_dir(&fixture.join("data"), &dir.path().join("data"));
        // A workbook really encrypted by Excel's method (see its README).
        std::fs::copy(
            root.join("tests/fixtures/encrypted/two-row-header-password-ttkg-test.xlsx"),
            dir.path()
                .join("data/workbooks/two-row-header-password-ttkg-test.xlsx"),
        )
        .unwrap();
        common::copy_dir(
            &fixture.join("reference"),
            &dir.path().join("data/reference"),
        );
        let store_path = dir.path().join("store");
        let run = common::import(dir.path(), &store_path, &[]);
        assert_eq!(
            run.code, 4,
            "broken files fail, the others load:\n{}\n{}",
            run.stdout, run.stderr
        );
        let quarantine_dir = store_path.with_extension("quarantine");
        let report = |prefix: &str| {
            let csv = std::fs::read_dir(&quarantine_dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| {
                    p.extension().is_some_and(|x| x == "csv")
                        && p.file_name().unwrap().to_string_lossy().starts_with(prefix)
                })
                .unwrap_or_else(|| panic!("a {prefix} CSV"));
            std::fs::read_to_string(csv).unwrap()
        };
        let (quarantine, names) = (report("quarantine-"), report("names-"));
        let store = KnowledgeStore::open(&store_path).unwrap();
        Corpus {
            _dir: dir,
            run,
            store,
            quarantine,
            names,
        }
    })
}

/// `(value, datatype local name)` of `property` on the agreement numbered `number`.
fn agreement(number: &str, property: &str) -> Option<(String, String)> {
    let rows = select(
        &corpus().store,
        &format!(
            "SELECT ?v (REPLACE(STR(DATATYPE(?v)), '^.*#', '') AS ?t) WHERE {{
               ?a ttkg:agreementNumber \"{number}\" ; {property} ?v }}"
        ),
    );
    assert!(rows.len() <= 1, "{number} {property}: {rows:?}");
    rows.into_iter()
        .next()
        .map(|r| (r[0].clone(), r[1].clone()))
}

fn loaded(number: &str) -> bool {
    !select(
        &corpus().store,
        &format!("SELECT ?a WHERE {{ ?a ttkg:agreementNumber \"{number}\" }}"),
    )
    .is_empty()
}

/// The quarantine line of `file` row `row`, which must exist.
fn quarantined(file: &str, row: u32) -> String {
    corpus()
        .quarantine
        .lines()
        .find(|l| {
            l.starts_with(&format!("{file},")) && l.split(',').nth(2) == Some(&row.to_string())
        })
        .unwrap_or_else(|| {
            panic!(
                "{file} row {row} is not quarantined:\n{}",
                corpus().quarantine
            )
        })
        .to_owned()
}

fn assert_quarantined(file: &str, row: u32, reason: &str) {
    let line = quarantined(file, row);
    assert!(
        line.contains(reason),
        "{file} row {row}: expected `{reason}` in\n{line}"
    );
}

fn file_status(file: &str) -> String {
    corpus()
        .run
        .stdout
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(file))
        .unwrap_or_else(|| panic!("{file} not in the summary:\n{}", corpus().run.stdout))
        .to_owned()
}

#[test]
fn the_corpus_has_at_least_40_files_each_with_an_outcome_here() {
    let mut files = Vec::new();
    let data = common::root().join("tests/fixtures/messy/data");
    for dir in std::fs::read_dir(&data).unwrap() {
        for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            files.push(
                path.strip_prefix(&data)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    assert!(files.len() >= 40, "{} files", files.len());
    let this_test = std::fs::read_to_string(common::root().join("tests/messy.rs")).unwrap();
    for file in &files {
        let name = Path::new(file)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            this_test.contains(&name),
            "{file} has no expected outcome in tests/messy.rs"
        );
        assert!(
            corpus().run.stdout.contains(file.as_str()),
            "{file} was not imported"
        );
    }
}

#[test]
fn csv_encodings_and_delimiters_are_detected_and_reported() {
    // utf8.csv, utf8-bom.csv, gb18030.csv, gbk.csv, excel-unicode-text-utf16le.csv,
    // utf16be.csv, semicolons.csv, tabs.csv, title-and-notes-above-header.csv
    for prefix in [
        "ENC-U8",
        "ENC-BOM",
        "ENC-GB",
        "ENC-GBK",
        "ENC-U16",
        "ENC-U16BE",
        "ENC-SEMI",
        "ENC-TAB",
        "ENC-TITLE",
    ] {
        for (n, name, country) in [(1, "广西大学", "VN"), (2, "中国—东盟农业合作研究所", "LA")]
        {
            let number = format!("{prefix}-{n}");
            assert_eq!(
                agreement(&number, "ttkg:transferee/skos:prefLabel")
                    .map(|v| v.0)
                    .as_deref(),
                Some(name),
                "{number}"
            );
            assert_eq!(
                agreement(&number, "ttkg:partnerCountry/ttkg:isoCode")
                    .map(|v| v.0)
                    .as_deref(),
                Some(country),
                "{number}"
            );
        }
    }
    // windows-1258.csv: tone marks arrive as combining characters and are composed.
    assert_eq!(
        agreement("ENC-VN-1", "ttkg:transferee/skos:prefLabel")
            .unwrap()
            .0,
        "Viện Khoa học Nông nghiệp Việt Nam"
    );
    assert_eq!(
        agreement("ENC-VN-1", "ttkg:partnerCountry/ttkg:isoCode")
            .unwrap()
            .0,
        "VN"
    );
    // windows-874.csv (TIS-620)
    assert_eq!(
        agreement("ENC-TH-1", "ttkg:transferee/skos:prefLabel")
            .unwrap()
            .0,
        "มหาวิทยาลัยขอนแก่น"
    );
    assert_eq!(
        agreement("ENC-TH-1", "ttkg:partnerCountry/ttkg:isoCode")
            .unwrap()
            .0,
        "TH"
    );
    let out = &corpus().run.stdout;
    for (file, encoding) in [
        ("encodings/gb18030.csv", "GBK"),
        ("encodings/gbk.csv", "GBK"),
        ("encodings/excel-unicode-text-utf16le.csv", "UTF-16LE"),
        ("encodings/utf16be.csv", "UTF-16BE"),
        ("encodings/windows-1258.csv", "windows-1258"),
        ("encodings/windows-874.csv", "windows-874"),
    ] {
        assert!(
            out.contains(&format!("{file}: read as {encoding}")),
            "{file} as {encoding}:\n{out}"
        );
    }
}

#[test]
fn broken_and_empty_files_fail_with_a_message_naming_them() {
    let err = &corpus().run.stderr;
    for (file, message) in [
        ("encodings/empty.csv", "the file is empty"),
        (
            "encodings/workbook-named-csv.csv",
            "is it a workbook saved with a .csv name?",
        ),
        (
            "workbooks/empty-sheet.xlsx",
            "sheet '协议': the sheet is empty",
        ),
        (
            "workbooks/password-protected.xlsx",
            "password-protected workbook",
        ),
        (
            "workbooks/two-row-header-password-ttkg-test.xlsx",
            "password-protected workbook",
        ),
        (
            "workbooks/truncated.xlsx",
            "cannot open it as a xlsx workbook",
        ),
    ] {
        assert!(file_status(file).contains("FAILED"), "{file}");
        let line = err
            .lines()
            .find(|l| l.starts_with(&format!("error: {file} ")))
            .unwrap_or_else(|| panic!("no error for {file}:\n{err}"));
        assert!(line.contains(message), "{file}: {line}");
    }
}

#[test]
fn workbook_layouts_merged_cells_formulas_errors_and_totals() {
    // sheets-titles-and-a-hidden-draft.xlsx: both visible sheets, not the hidden draft.
    for number in ["WB-S15-1", "WB-S15-2", "WB-S16-1", "WB-S16-2"] {
        assert!(loaded(number), "{number}");
    }
    assert!(!loaded("WB-DRAFT-1"), "hidden sheets are not read");
    assert!(
        corpus()
            .run
            .stderr
            .contains("sheet '草稿' matches '*' but is hidden"),
        "{}",
        corpus().run.stderr
    );
    // two-row-header.xlsx: 协议金额 merged over 金额 and 币种.
    assert_eq!(
        agreement("WB-TWO-2", "ttkg:amount/schema:value").unwrap().0,
        "200"
    );
    assert_eq!(
        agreement("WB-TWO-2", "ttkg:amount/schema:currency")
            .unwrap()
            .0,
        "CNY"
    );
    // country-merged-down.xlsx: the country cell merged over three rows.
    for number in ["WB-MERGED-1", "WB-MERGED-2", "WB-MERGED-3"] {
        assert_eq!(
            agreement(number, "ttkg:partnerCountry/ttkg:isoCode")
                .unwrap()
                .0,
            "LA",
            "{number}"
        );
    }
    // formulas-errors-and-totals.xlsx: cached formula values, error cells, 小计 and 合计.
    assert_eq!(
        agreement("WB-FORMULA-1", "ttkg:amount/schema:value")
            .unwrap()
            .0,
        "100"
    );
    let file = "workbooks/formulas-errors-and-totals.xlsx";
    assert_quarantined(file, 3, "the spreadsheet error #DIV/0!");
    assert_quarantined(file, 4, "the spreadsheet error #N/A");
    let status = file_status(file);
    let counts: Vec<&str> = status.split_whitespace().collect();
    assert_eq!(
        &counts[2..7],
        ["loaded", "5", "1", "2", "2"],
        "read, loaded, quarantined, skipped: {status}"
    );
}

#[test]
fn amounts_in_both_number_conventions_with_symbols_and_chinese_multipliers() {
    let money = |number: &str| -> (f64, String) {
        (
            agreement(number, "ttkg:amount/schema:value")
                .unwrap()
                .0
                .parse()
                .unwrap(),
            agreement(number, "ttkg:amount/schema:currency").unwrap().0,
        )
    };
    // money/thousands-and-symbols.csv
    for (number, value, currency) in [
        ("MON-1", 1_500_000.5, "CNY"),
        ("MON-2", 80_000.0, "CNY"),
        ("MON-4", 120_000.0, "THB"),
        ("MON-5", 150_000_000.0, "IDR"),
        ("MON-6", 25_000.0, "MYR"),
        ("MON-7", 10_000.0, "USD"),
        ("MON-8", 1_200_000.0, "CNY"),
        ("MON-9", 150_000_000.0, "CNY"),
        // money-comma/vietnamese-and-indonesian-numbers.csv
        ("MONC-1", 1_500_000.5, "VND"),
        ("MONC-2", 2_500.5, "IDR"),
        // money-wan/wan-yuan-column.csv: 万元 in the header, 亿 in a value.
        ("WAN-1", 12_005_000.0, "CNY"),
        ("WAN-2", 300_000_000.0, "CNY"),
    ] {
        assert_eq!(money(number), (value, currency.to_owned()), "{number}");
    }
    let file = "money/thousands-and-symbols.csv";
    // Written with thousands points in a column of thousands commas: the
    // message says which setting reads it.
    assert_quarantined(
        file,
        4,
        "is not a number as this column writes them (1,500,000.50), but reads as one with a decimal comma (1.500.000,50): if the sender writes decimals with a comma, set number_style = \"\"comma\"\"",
    );
    assert_quarantined(file, 11, "negative amount");
    assert_quarantined(file, 12, "not a number");
    assert_quarantined(file, 13, "unknown currency");
    assert_quarantined(file, 14, "no exchange rate for USD in the year 2031");
    assert!(!loaded("MON-13"));
}

#[test]
fn counts_in_chinese_numerals_and_with_units() {
    // counts/chinese-numerals-and-units.csv
    for (name, count) in [
        ("CNT-1", "3"),
        ("CNT-2", "12"),
        ("CNT-3", "105"),
        ("CNT-4", "35"),
    ] {
        let rows = select(
            &corpus().store,
            &format!("SELECT ?n WHERE {{ ?c skos:prefLabel \"{name}\" ; ttkg:traineeCount ?n }}"),
        );
        assert_eq!(rows, vec![vec![count.to_owned()]], "{name}");
    }
    assert_quarantined(
        "counts/chinese-numerals-and-units.csv",
        6,
        "not a whole number",
    );
}

#[test]
fn dates_in_every_convention_at_their_precision() {
    for (number, value, datatype) in [
        ("D-ISO-1", "2016-06-16", "date"), // dates-ymd/iso.csv
        ("D-ZH-1", "2016-06-16", "date"),  // dates-ymd/chinese.csv
        ("D-ZH-2", "2016-06-16", "date"),
        ("D-DOT-1", "2016-06-16", "date"), // dates-ymd/dotted.csv
        ("D-XL-1", "2016-06-16", "date"),  // dates-ymd/excel-serial-1900.csv
        ("D-PREC-1", "2016", "gYear"),     // dates-ymd/year-and-month-only.csv
        ("D-PREC-2", "2016-06", "gYearMonth"),
        ("D-PREC-3", "2016-06", "gYearMonth"),
        ("D-DMY-1", "2016-06-16", "date"), // dates-dmy/day-month-year.csv
        ("D-DMY-2", "2016-06-16", "date"),
        ("D-BE-1", "2016-06-16", "date"), // dates-dmy/buddhist-era.csv
        ("D-BE-2", "2016", "gYear"),
        ("D-VI-1", "2016-06-16", "date"), // dates-dmy/vietnamese-words.csv
        ("D-MDY-1", "2016-06-16", "date"), // dates-mdy/month-day-year.csv
        ("D-1904-1", "2016-06-16", "date"), // dates-1904/excel-serial-1904.csv
    ] {
        assert_eq!(
            agreement(number, "ttkg:signingDate"),
            Some((value.to_owned(), datatype.to_owned())),
            "{number}"
        );
    }
    assert_quarantined(
        "dates-ymd/impossible.csv",
        2,
        "date 2016-02-30 does not exist",
    );
    assert_quarantined("dates-ymd/impossible.csv", 3, "not a recognisable date");
    // Both rows bad: the file fails whole.
    assert!(file_status("dates-ymd/impossible.csv").contains("FAILED"));
    // A time of day in a date column is refused, not cut off.
    assert!(!loaded("D-ISO-2"));
    assert_quarantined(
        "dates-ymd/iso.csv",
        3,
        "2016-06-16T09:30:00 has a time of day (09:30:00) that this date column would drop",
    );
    assert_quarantined(
        "dates-dmy/day-month-year.csv",
        4,
        "date 31/02/2016 does not exist",
    );
}

/// Areas are stored in hectares and in 亩 whatever unit the report used
/// (`area.mu`): 12.5 ha is exactly 187.5 亩, 625 rai 100 ha or 1500 亩.
#[test]
fn areas_in_mu_hectares_and_rai_become_hectares_and_mu() {
    // areas-mu/mu.csv, areas-ha/hectares.csv, areas-rai/rai.csv
    for (name, hectares, mu) in [
        ("A-MU-1", "10", "150"),
        ("A-MU-2", "100", "1500"),
        ("A-HA-1", "12.5", "187.5"),
        ("A-RAI-1", "100", "1500"),
    ] {
        let rows = select(
            &corpus().store,
            &format!("SELECT ?ha ?mu WHERE {{ ?b skos:prefLabel \"{name}\" ; ttkg:areaHectares ?ha ; ttkg:areaMu ?mu }}"),
        );
        assert_eq!(rows.len(), 1, "{name}: {rows:?}");
        assert_eq!(
            (rows[0][0].as_str(), rows[0][1].as_str()),
            (hectares, mu),
            "{name}"
        );
    }
}

#[test]
fn percentages_become_fractions() {
    // percentages/yield-increase.csv
    for (name, fraction) in [("P-1", 0.15), ("P-2", 0.125), ("P-3", 0.08)] {
        let rows = select(
            &corpus().store,
            &format!("SELECT ?y WHERE {{ ?b skos:prefLabel \"{name}\" ; ttkg:yieldIncrease ?y }}"),
        );
        let y: f64 = rows[0][0].parse().unwrap();
        assert!((y - fraction).abs() < 1e-9, "{name}: {y}");
    }
    let line = corpus()
        .quarantine
        .lines()
        .find(|l| l.starts_with("percentages/yield-increase.csv,") && l.contains("15%%"))
        .unwrap_or_else(|| panic!("15%% is quarantined:\n{}", corpus().quarantine));
    assert!(line.contains("增产率"), "{line}");
}

#[test]
fn countries_and_provinces_in_any_language_and_form() {
    // countries/names-in-many-languages.csv
    let expected = [
        "VN", "ID", "LA", "MM", "KH", "TH", "MY", "PH", "SG", "BN", "VN", "TH", "LA", "KH", "MM",
        "ID", "MY", "PH",
    ];
    for (i, code) in expected.iter().enumerate() {
        let number = format!("C-{}", i + 1);
        assert_eq!(
            agreement(&number, "ttkg:partnerCountry/ttkg:isoCode")
                .map(|v| v.0)
                .as_deref(),
            Some(*code),
            "{number}"
        );
    }
    assert_quarantined(
        "countries/names-in-many-languages.csv",
        20,
        "not a known country",
    );
    // provinces/with-and-without-suffix.csv
    let province = |name: &str| {
        select(
            &corpus().store,
            &format!("SELECT ?p WHERE {{ ?o skos:prefLabel \"{name}\" ; ttkg:province ?p }}"),
        )[0][0]
            .clone()
    };
    assert_eq!(province("P-1"), province("P-2"));
    assert_eq!(province("P-3"), province("P-4"));
    assert_ne!(province("P-1"), province("P-3"));
}

#[test]
fn one_organisation_written_many_ways_becomes_one_entity_with_each_merge_explained() {
    // organisations/one-body-many-spellings.csv
    let org = |number: &str| {
        select(
            &corpus().store,
            &format!(
                "SELECT ?o WHERE {{ ?a ttkg:agreementNumber \"{number}\" ; ttkg:transferee ?o }}"
            ),
        )[0][0]
            .clone()
    };
    assert_eq!(org("ORG-1"), org("ORG-2"), "有限责任公司 and 有限公司");
    assert_eq!(
        org("ORG-3"),
        org("ORG-4"),
        "English name through the alias table"
    );
    assert_eq!(
        org("ORG-5"),
        org("ORG-4"),
        "case, spaces and punctuation ignored"
    );
    assert_eq!(
        org("ORG-6"),
        org("ORG-7"),
        "abbreviation through the alias table"
    );
    assert!(org("ORG-4").ends_with("/org/广西大学"), "{}", org("ORG-4"));
    assert!(
        org("ORG-8").ends_with("/org/gxu"),
        "ambiguous names are not merged: {}",
        org("ORG-8")
    );
    let names = &corpus().names;
    let line = |written: &str| {
        names
            .lines()
            .find(|l| l.contains(&format!(",{written},")))
            .unwrap_or_else(|| panic!("{written} not listed:\n{names}"))
            .to_owned()
    };
    assert!(
        line("Guangxi University")
            .contains("广西大学,\"alias table (data/reference/aliases.csv, organisation)\""),
        "{}",
        line("Guangxi University")
    );
    // Written with a trailing space: the tidying is listed too.
    assert!(
        line("广西南南铝加工有限责任公司 ")
            .contains("stray spaces removed; legal form 有限责任公司 written as 有限公司"),
        "{}",
        line("广西南南铝加工有限责任公司 ")
    );
    assert!(
        line("GXU").contains("ambiguous") && line("GXU").contains("广西大学 | 贵州大学"),
        "{}",
        line("GXU")
    );
    assert!(
        !names.contains("Khon Kaen University"),
        "names left as written are not listed"
    );
    assert!(
        corpus().run.stdout.contains("organisation names resolved:"),
        "{}",
        corpus().run.stdout
    );
}
