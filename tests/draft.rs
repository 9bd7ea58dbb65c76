//! `ttkg draft`: a report nobody has written a pipeline for — Indonesian
//! headers under a title row, a merged two-row header, day-first dates, an
//! amount in juta rupiah, a totals row — gets a draft that `ttkg check`
//! reads dry and that, moved to pipelines/, imports every agreement with
//! its amount in rupiah.

use std::path::Path;

use crate::common;

use common::{import, scratch_workspace, select, ttkg};
use ttkg_graph::KnowledgeStore;

/// Writes the report: a title row, `Nilai` merged over two sub-columns.
fn indonesian_report(path: &Path) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Perjanjian").unwrap();
    sheet
        .write(
            0,
            0,
            "Laporan perjanjian alih teknologi Indonesia–Tiongkok 2016",
        )
        .unwrap();
    let top = [
        "No.",
        "Nomor Perjanjian",
        "Nama Teknologi",
        "Mitra Tiongkok",
        "Mitra Indonesia",
        "Bidang Teknologi",
    ];
    for (i, h) in top.iter().enumerate() {
        sheet
            .merge_range(1, i as u16, 2, i as u16, h, &rust_xlsxwriter::Format::new())
            .unwrap();
    }
    sheet
        .merge_range(1, 6, 1, 7, "Nilai", &rust_xlsxwriter::Format::new())
        .unwrap();
    sheet.write(2, 6, "Jumlah (juta Rp)").unwrap();
    sheet.write(2, 7, "Mata uang").unwrap();
    sheet
        .merge_range(1, 8, 2, 8, "Tanggal", &rust_xlsxwriter::Format::new())
        .unwrap();
    let rows = [
        (
            "ID-2016-01",
            "Teknologi padi hibrida",
            "广西农业科学院",
            "Universitas Gadjah Mada",
            "农业",
            "1.250,5",
            "IDR",
            "16/06/2016",
        ),
        (
            "ID-2016-02",
            "Pengolahan singkong",
            "广西大学",
            "Institut Pertanian Bogor",
            "农业",
            "980",
            "IDR",
            "03/09/2016",
        ),
        (
            "ID-2016-03",
            "Energi biogas",
            "广西科学院",
            "Universitas Brawijaya",
            "新能源",
            "2.400",
            "IDR",
            "21/11/2016",
        ),
    ];
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 3;
        sheet.write(r, 0, (r - 2) as f64).unwrap();
        for (c, v) in [row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7]
            .iter()
            .enumerate()
        {
            sheet.write(r, c as u16 + 1, *v).unwrap();
        }
    }
    sheet.write(6, 0, "Jumlah").unwrap();
    sheet.write(6, 6, "4.630,5").unwrap();
    book.save(path).unwrap();
}

#[test]
fn a_new_kind_of_report_gets_a_draft_that_checks_and_imports() {
    let ws = scratch_workspace();
    let dir = ws.path().join("data/reports/indonesia");
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("perjanjian-2016.xlsx");
    indonesian_report(&report);

    // An import passes over a report no pipeline takes, and says so.
    let store_dir = ws.path().join("store");
    let before = import(ws.path(), &store_dir, &["--dry-run"]);
    assert_eq!(before.code, 8, "{}\n{}", before.stdout, before.stderr);
    assert!(
        before.stderr.contains("reports/indonesia/perjanjian-2016.xlsx: no pipeline takes this file, so it was not imported; `ttkg draft"),
        "{}",
        before.stderr
    );

    let run = ttkg(ws.path(), &["draft", report.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let draft_path = dir.join("perjanjian-2016.draft.toml");
    assert!(
        run.stdout.contains("perjanjian-2016.draft.toml"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("two rows, merged parent"),
        "{}",
        run.stdout
    );
    let draft = std::fs::read_to_string(&draft_path).unwrap();
    for expected in [
        "files = [\"reports/indonesia/perjanjian-2016.xlsx\"]",
        "sheet = \"Perjanjian\"",
        "Totals rows the import skips: row 7 ('Jumlah')",
        "headers = [\"Nilai/Jumlah (juta Rp)\"], type = \"money\", currency = \"IDR\"",
        "multiplier = 1000000",
        "number_style = \"comma\"",
        "date_order = \"dmy\"",
        "type = \"concept\", scheme = \"field\"",
        "class = \"ttkg:Agreement\"",
    ] {
        assert!(draft.contains(expected), "{expected}\n{draft}");
    }
    // The Guangxi pipeline it follows tags technology names "zh"; these
    // are Indonesian, so the draft does not copy the tag, and says why.
    assert!(
        draft.contains("# CHECK: pipeline guangxi-agreements tags these values \"zh\", but 3 of the 3 values read have no Chinese characters: left without a language tag"),
        "{draft}"
    );
    assert!(!draft.contains("lang = \"zh\""), "{draft}");
    // A second draft does not overwrite the first unless told to.
    let again = ttkg(ws.path(), &["draft", report.to_str().unwrap()]);
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);

    // The draft read dry: what would load.
    let check = ttkg(
        ws.path(),
        &[
            "check",
            "--pipeline",
            draft_path.to_str().unwrap(),
            report.to_str().unwrap(),
        ],
    );
    assert!(
        check.code == 0 || check.code == 8,
        "{}\n{}",
        check.stdout,
        check.stderr
    );
    assert!(
        check.stdout.contains("3 would load, 0 quarantined"),
        "{}",
        check.stdout
    );

    // Moved to pipelines/, it imports the three agreements, in rupiah.
    std::fs::rename(&draft_path, ws.path().join("pipelines/indonesia.toml")).unwrap();
    let run = import(ws.path(), &store_dir, &["perjanjian-2016-draft"]);
    assert!(
        run.code == 0 || run.code == 8,
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    let store = KnowledgeStore::open(&store_dir).unwrap();
    let rows = select(
        &store,
        "SELECT ?n ?v ?c WHERE { ?a a ttkg:Agreement ; ttkg:agreementNumber ?n ; ttkg:amount ?m . ?m schema:value ?v ; schema:currency ?c . FILTER(STRSTARTS(?n, \"ID-2016\")) } ORDER BY ?n",
    );
    assert_eq!(
        rows,
        vec![
            vec!["ID-2016-01", "1250500000", "IDR"],
            vec!["ID-2016-02", "980000000", "IDR"],
            vec!["ID-2016-03", "2400000000", "IDR"],
        ],
        "{rows:?}"
    );
    // No Indonesian name is labelled as Chinese.
    let tagged = select(
        &store,
        "SELECT ?l (LANG(?l) AS ?lang) WHERE { ?t a ttkg:Technology ; skos:prefLabel ?l . FILTER(STR(?l) IN (\"Teknologi padi hibrida\", \"Pengolahan singkong\", \"Energi biogas\")) } ORDER BY ?l",
    );
    assert_eq!(
        tagged,
        vec![
            vec!["Energi biogas", ""],
            vec!["Pengolahan singkong", ""],
            vec!["Teknologi padi hibrida", ""],
        ],
        "{tagged:?}"
    );
}
