//! The query page of `ttkg serve` in headless Chromium, driven by
//! Selenium (tests/serve/query_page.py). The longest test of the suite,
//! mostly spent waiting on the browser: its own module sorts it near the
//! start of the run, so that it overlaps the other tests instead of being
//! the last one left.

use crate::common;

use std::path::Path;

use crate::serve::python;
use common::server::Server;
use common::{demo_store_copy, root};

#[test]
fn the_query_page_runs_a_saved_question_in_chromium() {
    let (_dir, store) = demo_store_copy();
    let server = Server::start(&root(), &store, &[], &[]);
    let shots = tempfile::tempdir().unwrap();
    let screenshot = shots.path().join("query-page.png");
    let output = python(
        "query_page.py",
        &[&format!("{}/", server.url), screenshot.to_str().unwrap()],
    );
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("headline figures: 1763 members"), "{said}");
    let bars: usize = said
        .lines()
        .find_map(|l| l.strip_prefix("chart bars: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(bars >= 5, "a bar per partner country: {said}");
    // Each feature of the page printed its line once its checks held.
    for feature in [
        "line chart: ",
        "bar and stacked charts drawn",
        "pivot grand total: ",
        "in 万元: ",
        "pie: ",
        "chart saved: membership-growth-DATE.png, membership-growth-DATE.svg",
        "中文: titles, headers and controls",
        "describe: ",
        "country drop-down: ",
        "error line marked: ",
        "agreement numbers offered: ",
        "completion: ttkg:Agreement",
        "ontology panel: ",
        "history: ",
        "entity page: ",
        "saved as question: my-copy.rq",
        "report page: ",
        "figure names in 中文: 协作网络成员",
    ] {
        assert!(said.contains(feature), "{feature}: {said}");
    }
    assert!(
        said.contains("downloads: headline-figures-DATE.xlsx, headline-figures-DATE.csv"),
        "{said}"
    );
    let png = std::fs::read(&screenshot).expect("a screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // Keep them for people to look at (docs/ holds copies of a run's).
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("page-shots");
    std::fs::create_dir_all(&keep).unwrap();
    for shot in [
        "query-page.png",
        "entity.png",
        "chart.png",
        "pivot.png",
        "page-zh.png",
        "report.png",
    ] {
        let png = std::fs::read(shots.path().join(shot)).expect(shot);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{shot}");
        std::fs::write(keep.join(shot), png).unwrap();
    }
}
