//! Imports the demo reports of data/ with the real binary and checks, with
//! SPARQL, every figure of the seed article that they reproduce.

use crate::common;

use std::sync::OnceLock;

use common::{number, select, value};
use ttkg_graph::KnowledgeStore;

/// The demo import, done once for all tests of this file.
fn demo() -> &'static KnowledgeStore {
    static STORE: OnceLock<(tempfile::TempDir, KnowledgeStore)> = OnceLock::new();
    let (_, store) = STORE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("store");
        let run = common::import(&common::root(), &path, &[]);
        assert_eq!(
            run.code, 0,
            "import failed:\n{}\n{}",
            run.stdout, run.stderr
        );
        assert!(run.stdout.contains("0 quarantined"), "{}", run.stdout);
        let store = KnowledgeStore::open(&path).expect("store opens");
        (dir, store)
    });
    store
}

#[test]
fn network_has_1763_members_1282_in_china_481_in_asean() {
    let rows = select(
        demo(),
        "SELECT (COUNT(?m) AS ?all) (SUM(IF(?code = \"CN\", 1, 0)) AS ?china) (SUM(IF(?asean, 1, 0)) AS ?asean)
         WHERE { ?m a ttkg:NetworkMembership ; org:member/ttkg:country ?c ; org:organization ?network .
                 ?c ttkg:isoCode ?code ; ttkg:isAseanMember ?asean .
                 FILTER(?network = <https://w3id.org/ttkg/id/network/china-asean>) }",
    );
    assert_eq!(
        rows,
        vec![vec!["1763".to_owned(), "1282".to_owned(), "481".to_owned()]]
    );
}

#[test]
fn membership_grows_every_year_from_2013() {
    let rows = select(
        demo(),
        "SELECT ?year (COUNT(?m) AS ?joined) WHERE { ?m a ttkg:NetworkMembership ; ttkg:joinedOn ?d .
           BIND(SUBSTR(STR(?d), 1, 4) AS ?year) } GROUP BY ?year ORDER BY ?year",
    );
    let years: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(years, ["2013", "2014", "2015", "2016"]);
    let total: u32 = rows.iter().map(|r| r[1].parse::<u32>().unwrap()).sum();
    assert_eq!(total, 1763);
}

#[test]
fn there_are_393_agreements_worth_between_5_8_and_6_0_yi_yuan() {
    assert_eq!(
        value(
            demo(),
            "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a ttkg:Agreement }"
        ),
        "393"
    );
    let total = number(
        demo(),
        "SELECT (SUM(?cny) AS ?t) WHERE { ?a a ttkg:Agreement ; ttkg:amount/ttkg:valueCny ?cny }",
    );
    assert!((5.8e8..=6.0e8).contains(&total), "total {total}");
    // Every agreement has an amount in yuan, a date, both parties and a partner country.
    let complete = value(
        demo(),
        "SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a ttkg:Agreement ; ttkg:amount/ttkg:valueCny ?v ;
           ttkg:signingDate ?d ; ttkg:transferor ?cn ; ttkg:transferee ?p ; ttkg:partnerCountry ?c }",
    );
    assert_eq!(complete, "393");
}

#[test]
fn amounts_keep_their_original_currency_and_convert_through_the_rate_table() {
    let rows = select(
        demo(),
        "SELECT ?currency (COUNT(?m) AS ?n) WHERE { ?a a ttkg:Agreement ; ttkg:amount ?m . ?m schema:currency ?currency }
         GROUP BY ?currency ORDER BY ?currency",
    );
    assert_eq!(
        rows,
        vec![
            vec!["CNY".to_owned(), "310".to_owned()],
            vec!["THB".to_owned(), "33".to_owned()],
            vec!["VND".to_owned(), "50".to_owned()]
        ]
    );
    // 万元 are stored in yuan: value = 10000 × the reported figure.
    let rows = select(
        demo(),
        "SELECT ?value ?text ?unit WHERE { ?a ttkg:agreementNumber \"GX-2014-001\" ; ttkg:amount ?m .
           ?m schema:value ?value ; ttkg:sourceText ?text ; ttkg:sourceUnit ?unit }",
    );
    let value: f64 = rows[0][0].parse().unwrap();
    let text: f64 = rows[0][1].replace(',', "").parse().unwrap();
    assert!((value - text * 10_000.0).abs() < 0.01, "{rows:?}");
    assert_eq!(rows[0][2], "万元", "the unit as the sender wrote it");
    // A dong amount in 2016 converts at 6.6423 / 21935 yuan per dong.
    let rows = select(
        demo(),
        "SELECT ?value ?cny WHERE { ?a ttkg:partnerCountry ?c ; ttkg:amount ?m . ?c ttkg:isoCode \"VN\" .
           ?m schema:currency \"VND\" ; schema:value ?value ; ttkg:valueCny ?cny } LIMIT 1",
    );
    let (vnd, cny): (f64, f64) = (rows[0][0].parse().unwrap(), rows[0][1].parse().unwrap());
    assert!(
        (vnd * 6.6423 / 21935.0 - cny).abs() < 0.01,
        "{vnd} VND vs {cny} CNY"
    );
}

#[test]
fn seven_demonstration_bases_in_four_countries_cover_1300_mu() {
    let rows = select(
        demo(),
        "SELECT (COUNT(?b) AS ?n) (SUM(?mu) AS ?mu) (GROUP_CONCAT(DISTINCT ?code; separator=\",\") AS ?countries)
         WHERE { ?b a ttkg:DemonstrationBase ; ttkg:areaMu ?mu ; ttkg:country/ttkg:isoCode ?code }",
    );
    assert_eq!(rows[0][0], "7");
    assert_eq!(rows[0][1].parse::<f64>().unwrap(), 1300.0);
    let mut countries: Vec<&str> = rows[0][2].split(',').collect();
    countries.sort();
    assert_eq!(countries, ["ID", "KH", "LA", "VN"]);
    let hectares = number(
        demo(),
        "SELECT (SUM(?ha) AS ?t) WHERE { ?b a ttkg:DemonstrationBase ; ttkg:areaHectares ?ha }",
    );
    assert!((hectares - 1300.0 / 15.0).abs() < 1e-6, "{hectares}");
}

#[test]
fn ten_training_courses_trained_more_than_160_people_from_asean() {
    let rows = select(demo(), "SELECT (COUNT(?c) AS ?n) (SUM(?t) AS ?trainees) WHERE { ?c a ttkg:TrainingCourse ; ttkg:traineeCount ?t }");
    assert_eq!(rows[0][0], "10");
    assert!(rows[0][1].parse::<u32>().unwrap() > 160, "{rows:?}");
    let outside = value(
        demo(),
        "SELECT (COUNT(*) AS ?n) WHERE { ?c a ttkg:TrainingCourse ; ttkg:traineeCountry ?k . ?k ttkg:isAseanMember false }",
    );
    assert_eq!(outside, "0");
    let lao_and_vietnamese = select(
        demo(),
        "SELECT ?code WHERE { ?c skos:prefLabel \"面向东盟的农业技术国际培训班\"@zh ; ttkg:startDate ?d ; ttkg:traineeCountry/ttkg:isoCode ?code } ORDER BY ?code",
    );
    assert_eq!(
        lao_and_vietnamese,
        vec![vec!["LA".to_owned()], vec!["VN".to_owned()]]
    );
}

#[test]
fn more_than_20_events_of_which_16_in_asean_countries() {
    let rows = select(
        demo(),
        "SELECT (COUNT(?e) AS ?n) (SUM(IF(?asean, 1, 0)) AS ?asean) (SUM(?t) AS ?techs)
         WHERE { ?e a ttkg:Event ; ttkg:country/ttkg:isAseanMember ?asean ; ttkg:technologiesShown ?t }",
    );
    assert!(rows[0][0].parse::<u32>().unwrap() > 20, "{rows:?}");
    assert_eq!(rows[0][1], "16");
    assert!(
        rows[0][2].parse::<u32>().unwrap() > 900,
        "about 900 technologies shown: {rows:?}"
    );
    let hanoi = select(
        demo(),
        "SELECT ?date ?n ?class WHERE { ?e ttkg:place \"河内\" ; ttkg:startDate ?date ; ttkg:participantCount ?n ; a ?class .
           FILTER(YEAR(?date) = 2016 && ?class = ttkg:MatchmakingEvent) }",
    );
    assert_eq!(
        hanoi,
        vec![vec![
            "2016-06-16".to_owned(),
            "101".to_owned(),
            "https://w3id.org/ttkg/ontology#MatchmakingEvent".to_owned()
        ]]
    );
    let signed_there = number(
        demo(),
        "SELECT (COUNT(?a) AS ?n) WHERE { ?a ttkg:signedAt ?e . ?e ttkg:place \"河内\" ; ttkg:startDate \"2016-06-16\"^^xsd:date }",
    );
    assert!(signed_there > 0.0);
}

#[test]
fn bilateral_transfer_centres_with_five_countries() {
    let rows = select(
        demo(),
        "SELECT DISTINCT ?code WHERE { ?c a ttkg:TechnologyTransferCentre ; ttkg:foundedBy ?host ; ttkg:country/ttkg:isoCode ?code .
           ?host skos:prefLabel \"中国—东盟技术转移中心\" } ORDER BY ?code",
    );
    let codes: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(codes, ["ID", "KH", "LA", "MM", "TH"]);
}

#[test]
fn the_named_organisations_and_joint_labs_of_the_article() {
    let partners = |lead: &str, class: &str| -> Vec<String> {
        select(
            demo(),
            &format!(
                "SELECT ?partner WHERE {{ ?p a {class} ; ttkg:leadOrganisation/skos:prefLabel \"{lead}\" ;
                   ttkg:participant/skos:prefLabel ?partner }} ORDER BY ?partner"
            ),
        )
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
    };
    assert_eq!(
        partners("广西中医药大学", "ttkg:JointLaboratory"),
        ["Khon Kaen University"]
    );
    assert_eq!(
        partners("广西医科大学", "ttkg:JointResearchCentre"),
        [
            "The University of Texas MD Anderson Cancer Center",
            "University of Arizona Cancer Center",
            "University of Kentucky College of Medicine"
        ]
    );
    assert_eq!(
        partners("广西科学院", "ttkg:CooperationProject"),
        [
            "University of Chemistry and Technology, Prague",
            "University of São Paulo"
        ]
    );
    assert_eq!(
        partners("广西水牛研究所", "ttkg:JointResearchCentre"),
        ["Council for Agricultural Research and Economics (CREA)"]
    );
    let nannan = value(
        demo(),
        "SELECT ?field WHERE { ?p a ttkg:CooperationProject ; ttkg:leadOrganisation/skos:prefLabel \"广西南南铝加工有限公司\" ; ttkg:technologyField ?field }",
    );
    assert_eq!(nannan, "https://w3id.org/ttkg/vocab/field/aluminium-alloys");
}

#[test]
fn reports_connect_through_shared_organisations_and_events() {
    // Organisations that are network members and also signed agreements.
    let shared = number(
        demo(),
        "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?m org:member ?o . ?a ttkg:transferee ?o }",
    );
    assert!(shared > 100.0, "{shared}");
    // Every event an agreement names is described by the events report.
    let dangling = value(
        demo(),
        "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?a ttkg:signedAt ?e . FILTER NOT EXISTS { ?e a ttkg:Event } }",
    );
    assert_eq!(dangling, "0");
    // Organisation types give classes.
    assert_eq!(
        value(demo(), "SELECT (COUNT(*) AS ?n) WHERE { <https://w3id.org/ttkg/id/org/广西中医药大学> a ttkg:University }"),
        "1"
    );
}

#[test]
fn an_agreement_traces_back_to_its_file_sheet_and_row() {
    let rows = select(
        demo(),
        "SELECT ?graph ?file ?sheet ?row ?sha ?pipeline WHERE {
           GRAPH ?graph { ?a ttkg:agreementNumber \"GX-2014-001\" ; prov:wasDerivedFrom ?r .
             ?r ttkg:sourceFile ?f ; ttkg:sheet ?sheet ; ttkg:rowNumber ?row .
             ?f ttkg:filePath ?file ; ttkg:sha256 ?sha ; ttkg:pipeline ?pipeline } }",
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    let [graph, file, sheet, row, sha, pipeline] = &rows[0][..] else {
        unreachable!()
    };
    assert_eq!(file, "reports/guangxi-agreements-2014-2016.xlsx");
    assert_eq!(sheet, "协议汇总");
    assert_eq!(row, "4", "title, notes and header rows come first");
    assert_eq!(pipeline, "guangxi-agreements");
    assert!(graph.starts_with("https://w3id.org/ttkg/graph/guangxi-agreements/"));
    let bytes = std::fs::read(common::root().join("data").join(file)).unwrap();
    assert_eq!(sha.len(), 64);
    assert_eq!(*sha, sha256_hex(&bytes));
    let run = value(demo(), "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a ttkg:ImportRun , prov:Activity ; prov:startedAtTime ?s ; prov:endedAtTime ?e ; prov:used ?f . ?f a prov:Entity }");
    assert_eq!(run, "1");
}

/// Every entity of a report still leads to a row of it that states its
/// facts, though an organisation that many agreements name is linked only
/// to the rows that first state its facts, not to every row naming it.
#[test]
fn every_entity_leads_to_a_row_and_repeated_ones_only_to_the_first() {
    let unsourced = value(
        demo(),
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g {
           ?file ttkg:producedGraph ?g .
           ?s a ?class .
           FILTER(?class NOT IN (ttkg:SourceFile, prov:Entity))
           FILTER NOT EXISTS { ?s prov:wasDerivedFrom ?row }
           FILTER NOT EXISTS { ?owner ?link ?s . ?owner prov:wasDerivedFrom ?ownRow } } }",
    );
    assert_eq!(unsourced, "0", "entities with no source row");
    // The organisations the Guangxi agreements name: each leads to the
    // first agreement row of the file that names it.
    let rows = select(
        demo(),
        "SELECT ?o (MIN(?n) AS ?first) (COUNT(DISTINCT ?a) AS ?named) WHERE { GRAPH ?g {
           ?a ttkg:transferor|ttkg:transferee ?o ; prov:wasDerivedFrom/ttkg:rowNumber ?n }
           FILTER(STRSTARTS(STR(?g), \"https://w3id.org/ttkg/graph/guangxi-agreements/\")) }
         GROUP BY ?o ORDER BY ?o",
    );
    let linked = select(
        demo(),
        "SELECT ?o (MIN(?n) AS ?first) (COUNT(DISTINCT ?r) AS ?links) WHERE { GRAPH ?g {
           ?o a ttkg:Organisation ; prov:wasDerivedFrom ?r . ?r ttkg:rowNumber ?n }
           FILTER(STRSTARTS(STR(?g), \"https://w3id.org/ttkg/graph/guangxi-agreements/\")) }
         GROUP BY ?o ORDER BY ?o",
    );
    let first = |rows: &[Vec<String>]| -> Vec<(String, String)> {
        rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect()
    };
    assert!(rows.len() > 20, "{rows:?}");
    assert_eq!(first(&rows), first(&linked));
    let count =
        |rows: &[Vec<String>]| -> u32 { rows.iter().map(|r| r[2].parse::<u32>().unwrap()).sum() };
    assert!(
        count(&linked) < count(&rows),
        "{} links for {} agreements naming organisations",
        count(&linked),
        count(&rows)
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
