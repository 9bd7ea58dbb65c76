//! A table normalised in batches gives what it gives whole: the rows kept,
//! their values, and every problem, skipped and blank row, even where rows
//! of different batches bear on each other (`unique`, `fill_down`).

use polars::prelude::*;
use ttkg_normalise::{
    normalise_in_batches, Batches, Normalised, References, Rule, Skipped, ROW_COLUMN,
};
use ttkg_pipeline::Pipeline;

fn pipeline() -> Pipeline {
    let text = r#"
[pipeline]
version = "1"

[source]
files = ["*.csv"]
format = "csv"

[columns]
number = { headers = ["No."], required = true, unique = true }
party = { headers = ["Party"], required = true, fill_down = true }
seq = { headers = ["Seq"] }
amount = { headers = ["Amount"], type = "decimal" }

[[skip]]
column = "seq"
matches = "^Total$"
reason = "totals row"

[[entity]]
name = "agreement"
class = "ttkg:Agreement"
iri = "agreement/{number}"
[entity.properties]
"ttkg:agreementNumber" = "number"
"skos:note" = "party"
"ttkg:headcount" = "amount"
"#;
    Pipeline::parse(std::path::Path::new("p.toml"), text).unwrap()
}

/// Rows 2 to 13: `A1` given twice with different parties (rows 3 and 11,
/// in different batches), `A2` twice the same (rows 4, merged down, and 12), a party
/// merged down across batch ends and over a blank row, a totals row and a
/// value that is not a number.
fn frame() -> DataFrame {
    let cell = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let rows: Vec<u32> = (2..14).collect();
    let number = [
        "A0", "A1", "A2", "A3", "", "A4", "A5", "A6", "", "A1", "A2", "A7",
    ];
    let party = ["P", "", "", "Q", "", "", "", "R", "", "S", "P", ""];
    let seq = [
        "1", "2", "3", "4", "", "5", "6", "7", "Total", "8", "9", "10",
    ];
    let amount = ["1", "2", "3", "x", "", "5", "6", "7", "", "8", "3", "10"];
    df!(
        ROW_COLUMN => rows,
        "number" => number.map(cell).to_vec(),
        "party" => party.map(cell).to_vec(),
        "seq" => seq.map(cell).to_vec(),
        "amount" => amount.map(cell).to_vec(),
    )
    .unwrap()
}

/// The table normalised `rows` rows at a time, put back together, and how
/// many batches that took.
fn in_batches(pipeline: &Pipeline, rows: usize) -> (Normalised, usize) {
    let refs = References::default();
    let count = Batches::new(frame(), pipeline, &refs, &[], rows)
        .unwrap()
        .count();
    let whole = normalise_in_batches(frame(), pipeline, &refs, &[], rows).unwrap();
    (whole, count)
}

#[test]
fn batches_give_what_the_whole_table_gives() {
    let pipeline = pipeline();
    let (whole, one) = in_batches(&pipeline, 1_000);
    assert_eq!(one, 1);
    let normalised =
        ttkg_normalise::normalise(frame(), &pipeline, &References::default(), &[]).unwrap();
    assert_eq!(normalised.frame, whole.frame);
    assert_eq!(normalised.problems, whole.problems);

    // What the whole table says, checked once by hand.
    let not_unique: Vec<(u32, &str)> = whole
        .problems
        .iter()
        .filter(|p| p.rule == Rule::NotUnique)
        .map(|p| (p.row, p.reason.as_str()))
        .collect();
    assert_eq!(not_unique.len(), 2, "{:?}", whole.problems);
    assert_eq!(not_unique[0].0, 3);
    assert!(
        not_unique[0].1.contains("(also in row 11)"),
        "{}",
        not_unique[0].1
    );
    assert_eq!(not_unique[1].0, 11);
    assert!(
        not_unique[1].1.contains("(also in row 3)"),
        "{}",
        not_unique[1].1
    );
    assert!(whole
        .problems
        .iter()
        .any(|p| p.row == 5 && p.column == "amount" && p.rule == Rule::Number));
    assert_eq!(whole.blank_row_numbers, vec![6]);
    assert_eq!(
        whole.skipped,
        vec![Skipped {
            row: 10,
            reason: "totals row".to_owned()
        }]
    );
    let kept = whole.frame.column(ROW_COLUMN).unwrap().u32().unwrap();
    assert_eq!(
        kept.into_no_null_iter().collect::<Vec<_>>(),
        vec![2, 4, 7, 8, 9, 12, 13]
    );
    let parties: Vec<Option<&str>> = whole
        .frame
        .column("party")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .collect();
    // Row 4 takes P from row 2 (and so is the same as row 12), rows 7 and 8
    // take Q over the blank row 6, row 13 takes P from row 12.
    assert_eq!(
        parties,
        [
            Some("P"),
            Some("P"),
            Some("Q"),
            Some("Q"),
            Some("R"),
            Some("P"),
            Some("P")
        ]
    );

    for rows in [1, 2, 3, 5] {
        let (batched, count) = in_batches(&pipeline, rows);
        assert_eq!(count, 12usize.div_ceil(rows));
        assert_eq!(batched.frame, whole.frame, "{rows} rows a batch");
        assert_eq!(batched.problems, whole.problems, "{rows} rows a batch");
        assert_eq!(batched.skipped, whole.skipped, "{rows} rows a batch");
        assert_eq!(
            batched.blank_row_numbers, whole.blank_row_numbers,
            "{rows} rows a batch"
        );
        assert_eq!(batched.rows_read, 12);
    }
}

#[test]
fn an_empty_table_is_one_empty_batch_with_the_columns() {
    let pipeline = pipeline();
    let refs = References::default();
    let empty = frame().slice(0, 0);
    let batches: Vec<_> = Batches::new(empty, &pipeline, &refs, &[], 10)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].frame.height(), 0);
    assert!(batches[0].frame.column("number").is_ok());
}
