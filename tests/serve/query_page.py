"""The query page in headless Chromium (Debian's chromium and chromedriver).

Usage: query_page.py PAGE_URL SCREENSHOT.png
(entity.png, chart.png, pivot.png, page-zh.png and report.png are saved beside it)
Clicks through saved questions: sorts a column, pivots with totals checked
against SPARQL, draws each kind of chart and saves it, switches language and
unit, runs typed questions, downloads, and saves a screenshot; exits
non-zero when something is not as expected.
"""
import json
import os
import re
import struct
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from decimal import Decimal

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import Select, WebDriverWait

url, screenshot = sys.argv[1], sys.argv[2]
# The page's pictures for docs/ go beside the screenshot.
shots = os.path.dirname(os.path.abspath(screenshot))

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"):
    options.add_argument(flag)
downloads = tempfile.mkdtemp()
options.add_experimental_option(
    "prefs",
    {
        "download.default_directory": downloads,
        "download.prompt_for_download": False,
        "profile.default_content_setting_values.automatic_downloads": 1,
    },
)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
# Polled often: the default half second adds up over the page's dozens of waits.
# An element replaced while a condition reads it (a page being left) is
# looked for again, not a failure.
wait = WebDriverWait(
    driver, 30, poll_frequency=0.05, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
)


def header_and_rows():
    """The table's columns (by variable) and its rows as shown (also while
    the pivot or the chart is the view), read in one round trip: a WebDriver
    call per cell made this script wait seconds on each table."""
    return driver.execute_script(
        """const table = document.getElementById('results');
        return [[...table.querySelectorAll('thead th')].map((th) => th.getAttribute('data-variable')),
                [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent))];"""
    )


def texts(selector, attribute=None):
    """The text as shown (or an attribute's value) of every element that
    `selector` finds, in one round trip."""
    return driver.execute_script(
        """const [selector, attribute] = arguments;
        return [...document.querySelectorAll(selector)]
            .map((e) => (attribute ? e.getAttribute(attribute) : (e.innerText ?? e.textContent).trim()));""",
        selector,
        attribute,
    )


def shown_headers():
    return driver.execute_script(
        "return [...document.querySelectorAll('#results thead th')].map((th) => th.textContent.replace(/[ ▲▼]+$/, ''));"
    )


def answers():
    return int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-answers") or 0)


def run_saved(name):
    before = answers()
    driver.find_element(By.CSS_SELECTOR, f'#saved button[data-saved="{name}"]').click()
    wait.until(lambda d: answers() > before)
    error = driver.find_element(By.ID, "error")
    assert not error.is_displayed(), error.text
    return header_and_rows()


def run_typed(query):
    editor = driver.find_element(By.ID, "editor")
    editor.clear()
    editor.send_keys(query)
    before = answers()
    driver.find_element(By.ID, "run").click()
    wait.until(lambda d: answers() > before)


def view(name):
    driver.find_element(By.CSS_SELECTOR, f'#views button[data-view="{name}"]').click()


def view_offered(name):
    button = driver.find_element(By.CSS_SELECTOR, f'#views button[data-view="{name}"]')
    return button.is_displayed() and button.is_enabled()


def choose(select_id, value):
    Select(driver.find_element(By.ID, select_id)).select_by_value(value)


def choices(select_id):
    return texts(f"#{select_id} option", "value")


def number(shown):
    """A figure as the page shows it (thousands separators) as a Decimal."""
    return Decimal(shown.replace(",", "")) if shown else None


def sparql(query):
    """The endpoint's own answer, for figures the page must match."""
    request = urllib.request.Request(
        url.rstrip("/") + "/sparql",
        data=query.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return json.load(response)["results"]["bindings"]
    except urllib.error.HTTPError as e:
        raise AssertionError(f"{query}: {e.read().decode()}") from e


def saved_file(name, deadline=30):
    # Chrome reserves the name with an empty file, writes to a .crdownload
    # and renames it over the name when done: wait for all of that.
    path = os.path.join(downloads, name)

    def done():
        names = os.listdir(downloads)
        return (name in names and os.path.getsize(path) > 0
                and not any(n.endswith(".crdownload") for n in names))

    until = time.time() + deadline
    while not done() and time.time() < until:
        time.sleep(0.05)
    assert done(), (name, os.listdir(downloads))
    with open(path, "rb") as f:
        return f.read()


day = time.strftime("%Y-%m-%d")

try:
    driver.get(url)
    wait.until(seen.presence_of_element_located((By.CSS_SELECTOR, "#saved button")))
    assert "ttkg" in driver.title, driver.title
    assert driver.execute_script("return document.documentElement.lang") == "en"

    header, rows = run_saved("headline-figures")
    figures = {row[header.index("figure")]: row[header.index("value")] for row in rows}
    print(f"headline figures: {figures.get('network members', '').replace(',', '')} members", figures)
    assert figures.get("network members") == "1,763", figures
    # Its figures are in different units: no chart, no pivot.
    assert not view_offered("chart") and not view_offered("pivot")
    assert not driver.find_element(By.ID, "chart").is_displayed()

    # Agreements by country and year opens as a line per country over the
    # years, as its header declares.
    header, rows = run_saved("agreements-by-country")
    assert len(rows) > 1, rows
    assert shown_headers()[header.index("agreements")] == "Agreements", shown_headers()
    assert Select(driver.find_element(By.ID, "chart-type")).first_selected_option.get_attribute("value") == "line"
    assert set(choices("chart-type")) == {"bar", "stacked", "line"}, choices("chart-type")
    countries = {r[header.index("country")] for r in rows}
    lines = driver.find_elements(By.CSS_SELECTOR, "#chart polyline.line")
    assert len(lines) == len(countries), (len(lines), countries)
    print(f"line chart: {len(lines)} countries")
    for kind, mark in (("stacked", "rect.bar"), ("bar", "rect.bar")):
        choose("chart-type", kind)
        assert driver.find_elements(By.CSS_SELECTOR, f"#chart {mark}"), kind
    print("bar and stacked charts drawn")

    # Sorting the table by the count column, both ways.
    view("table")
    column = header.index("agreements")
    driver.find_elements(By.CSS_SELECTOR, "#results thead th")[column].click()
    _, ascending = header_and_rows()
    values = [number(r[column]) for r in ascending]
    assert values == sorted(values), values
    driver.find_elements(By.CSS_SELECTOR, "#results thead th")[column].click()
    _, descending = header_and_rows()
    values = [number(r[column]) for r in descending]
    assert values == sorted(values, reverse=True), values

    # The pivot: years down, countries across, the value summed, with row,
    # column and grand totals that are SPARQL's own sums, to the fen.
    view("pivot")
    choose("shape-rows", str(header.index("year")))
    choose("shape-columns", str(header.index("country")))
    choose("shape-value", str(header.index("valueCny")))
    choose("shape-aggregate", "sum")
    pivot = driver.find_element(By.ID, "pivot-table")
    across = texts("#pivot-table thead th")
    assert across[-1] == "Total", across
    body = driver.execute_script(
        "return [...document.querySelectorAll('#pivot-table tbody tr')].map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.innerText.trim()));"
    )
    assert body[-1][0] == "Total", body[-1]
    grand = number(body[-1][-1])
    # SPARQL's own sums, by year and over all, from the same facts.
    agreements = "?a a ttkg:Agreement ; ttkg:partnerCountry/ttkg:isoCode ?iso ; ttkg:signingDate ?signed ; ttkg:amount/ttkg:valueCny ?cny ."
    by_year = {
        b["year"]["value"]: Decimal(b["v"]["value"])
        for b in sparql(f"SELECT ?year (SUM(?cny) AS ?v) WHERE {{ {agreements} BIND(YEAR(?signed) AS ?year) }} GROUP BY ?year")
    }
    everything = Decimal(sparql(f"SELECT (SUM(?cny) AS ?v) WHERE {{ {agreements} }}")[0]["v"]["value"])
    assert {line[0]: number(line[-1]) for line in body[:-1]} == by_year, (body, by_year)
    assert grand == everything, (grand, everything)
    column_totals = [number(c) for c in body[-1][1:-1]]
    assert grand == sum(c for c in column_totals if c is not None), body[-1]
    print(f"pivot grand total: {grand} yuan, as SPARQL sums it; {len(by_year)} year totals match")

    # Amounts in 万元: the same figure, its point moved four places, exactly.
    choose("unit", "wan")
    pivot = driver.find_element(By.ID, "pivot-table")
    grand_wan = number(pivot.find_elements(By.CSS_SELECTOR, "tbody tr")[-1].find_elements(By.TAG_NAME, "td")[-1].text)
    assert grand_wan * 10000 == grand, (grand_wan, grand)
    view("table")
    assert "万元" in shown_headers()[header.index("valueCny")], shown_headers()
    choose("unit", "yuan")
    print(f"in 万元: {grand_wan}")

    # Shares: the demonstration area by country as a pie, one slice each.
    header, rows = run_saved("demonstration-area-by-country")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#chart rect.bar")) == len(rows)
    choose("chart-type", "pie")
    slices = driver.find_elements(By.CSS_SELECTOR, "#chart path.slice")
    assert len(slices) == len(rows), (len(slices), rows)
    print(f"pie: {len(slices)} slices")

    # Membership growth stacks the new members of each country by year, and
    # the chart saves as PNG and SVG named after the question.
    header, rows = run_saved("membership-growth")
    assert Select(driver.find_element(By.ID, "chart-type")).first_selected_option.get_attribute("value") == "stacked"
    assert driver.find_elements(By.CSS_SELECTOR, "#chart rect.bar")
    driver.find_element(By.ID, "save-png").click()
    assert saved_file(f"membership-growth-{day}.png")[:8] == b"\x89PNG\r\n\x1a\n"
    driver.find_element(By.ID, "save-svg").click()
    svg = saved_file(f"membership-growth-{day}.svg").decode()
    assert "<svg" in svg and "rect" in svg, svg[:200]
    print("chart saved: membership-growth-DATE.png, membership-growth-DATE.svg")

    # Rows that overlap (a country per course, and an "all countries" row)
    # get no totals.
    run_saved("trainees-by-country")
    view("pivot")
    assert not driver.find_elements(By.CSS_SELECTOR, "#pivot-table tr.total")
    assert "no totals" in driver.find_element(By.ID, "view-note").text
    assert "stacked" not in choices("chart-type") and "pie" not in choices("chart-type")

    # The provenance answer is a list of statements, not a chart.
    run_saved("fact-provenance")
    assert not view_offered("chart")
    # Its agreement number is offered from the numbers in the store.
    offered = driver.execute_script(
        "return [...document.getElementById('param-agreement').list.options].map((o) => o.value)"
    )
    stored = {b["n"]["value"] for b in sparql("SELECT DISTINCT ?n WHERE { ?a ttkg:agreementNumber ?n }")}
    assert set(offered) == stored and len(offered) == len(stored), (len(offered), len(stored))
    print(f"agreement numbers offered: {len(offered)}")

    # 中文: the page, the questions, the headers; back to English after.
    driver.find_element(By.ID, "language").click()
    assert driver.execute_script("return document.documentElement.lang") == "zh-CN"
    titles = texts("#saved button")
    assert "按合作国家和年份统计的协议数量与金额" in titles, titles
    header, rows = run_saved("agreements-by-country")
    assert shown_headers()[header.index("agreements")] == "协议数", shown_headers()
    assert driver.find_element(By.ID, "question-title").text == "按合作国家和年份统计的协议数量与金额"
    assert driver.find_element(By.CSS_SELECTOR, '#views button[data-view="pivot"]').text == "透视表"
    assert "行" in driver.find_element(By.ID, "status").text
    # Countries by their Chinese names, from the country vocabulary.
    _, shown = header_and_rows()
    countries = {r[header.index("country")] for r in shown}
    assert "泰国" in countries and "Thailand" not in countries, countries
    print("中文: titles, headers and controls")
    driver.find_element(By.ID, "language").click()
    assert driver.find_element(By.ID, "question-title").text.startswith("Agreements")

    # An ad-hoc question typed in the editor.
    run_typed(
        "SELECT ?country (COUNT(?a) AS ?agreements) WHERE { ?a a ttkg:Agreement ; ttkg:partnerCountry/ttkg:isoCode ?country } GROUP BY ?country ORDER BY DESC(?agreements)"
    )
    header, rows = header_and_rows()
    # The saved question's title and parameters went with its text.
    assert not driver.find_element(By.ID, "question").is_displayed(), "a typed query is no saved question"
    assert not driver.find_elements(By.CSS_SELECTOR, "#saved button.active"), "no saved question is marked"
    bars = driver.find_elements(By.CSS_SELECTOR, "#chart rect.bar")
    print(f"chart bars: {len(bars)}")
    assert len(bars) == len(rows), (len(bars), rows)

    # The default question's classes are shown as ttkg:Agreement, not as
    # cut-off IRIs, in the table and along the chart's axis.
    run_typed("SELECT ?class (COUNT(?s) AS ?entities) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?entities)")
    header, rows = header_and_rows()
    assert "ttkg:Agreement" in [r[0] for r in rows], rows
    axis = texts("#chart svg text")
    assert any(a.startswith("ttkg:") for a in axis), axis

    # DESCRIBE answers as Turtle, a statement to a line.
    run_typed("DESCRIBE ?a WHERE { ?a ttkg:agreementNumber \"GX-2014-001\" }")
    graph = driver.find_element(By.CSS_SELECTOR, "#graph pre.graph")
    assert graph.is_displayed() and len(graph.text.splitlines()) > 5, graph.text
    assert not driver.find_elements(By.CSS_SELECTOR, "#results tr")
    print(f"describe: {len(graph.text.splitlines())} lines")

    # A country parameter is a drop-down of the countries, by name.
    header, rows = run_saved("technologies-to-country")
    select = driver.find_element(By.ID, "param-country")
    assert select.tag_name == "select", select.tag_name
    options = dict(zip(texts("#param-country option", "value"), texts("#param-country option")))
    assert "泰国" in options.get("TH", ""), options
    before = answers()
    Select(select).select_by_value("TH")
    wait.until(lambda d: answers() > before)
    _, thai = header_and_rows()
    assert thai, "technologies transferred to Thailand"
    print(f"country drop-down: {len(options)} countries")

    # A term the ontology does not define is a warning on the page.
    run_typed("SELECT ?m WHERE { ?m a ttkg:Member }")
    warnings = driver.find_element(By.ID, "warnings")
    assert warnings.is_displayed() and "ttkg:NetworkMembership" in warnings.text, warnings.text
    print("warning shown:", warnings.text.splitlines()[0])

    # A mistake shows the server's message.
    run_typed("SELECT ?x WHERE { ?x a }")
    error = driver.find_element(By.ID, "error")
    assert error.is_displayed()
    assert "^" in error.text, "the caret under the place: " + error.text
    assert not driver.find_element(By.ID, "warnings").is_displayed(), "warnings of the last answer only"
    # Nothing of the previous answer stays beside the error.
    assert not driver.find_elements(By.CSS_SELECTOR, "#results tr"), "the old table is gone"
    assert not driver.find_element(By.ID, "chart").is_displayed(), "the old chart is gone"
    print("error shown:", error.text.splitlines()[0])

    # The error's line is marked in the editor.
    driver.execute_script(
        "const a = document.getElementById('editor'); a.value = arguments[0]; a.dispatchEvent(new Event('input'));",
        "SELECT ?x\nWHERE {\n  ?x a ttkg:Agreement ;\n     ttkg:signingDate\n}",
    )
    before = answers()
    driver.find_element(By.ID, "run").click()
    wait.until(lambda d: answers() > before)
    message = driver.find_element(By.ID, "error").text
    line = int(re.search(r"at line (\d+)", message).group(1))
    marked = driver.find_elements(By.CSS_SELECTOR, "#highlight .error-line")
    assert len(marked) == 1, message
    lines = driver.find_elements(By.CSS_SELECTOR, "#highlight .line")
    assert lines.index(marked[0]) + 1 == line, (line, message)
    print(f"error line marked: {line}")

    # Completion: the ontology's terms with their labels, and prefixes.
    editor = driver.find_element(By.ID, "editor")
    editor.clear()
    editor.send_keys("SELECT * WHERE { ?a a ttkg:Agreem")
    wait.until(lambda d: d.find_element(By.ID, "completions").is_displayed())
    first = driver.find_element(By.CSS_SELECTOR, "#completions li")
    assert first.get_attribute("data-insert") == "ttkg:Agreement", first.get_attribute("data-insert")
    first = first.text
    assert "Cooperation agreement" in first, first
    editor.send_keys(Keys.TAB)
    assert editor.get_attribute("value").endswith("?a a ttkg:Agreement"), editor.get_attribute("value")
    editor.send_keys(" ; sk")
    wait.until(lambda d: d.find_element(By.ID, "completions").is_displayed())
    offered = texts("#completions li", "data-insert")
    assert "skos:" in offered, offered
    editor.send_keys(Keys.ESCAPE)
    assert not driver.find_element(By.ID, "completions").is_displayed()
    keywords = texts("#highlight .tok-keyword")
    assert "SELECT" in keywords and "WHERE" in keywords, keywords
    print(f"completion: {first}")

    # The ontology panel: classes with their labels and counts in the store.
    driver.find_element(By.CSS_SELECTOR, "#ontology-panel summary").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#ontology-classes .count") and d.find_element(By.CSS_SELECTOR, "#ontology-classes .count").text)
    counts = dict(zip(texts("#ontology-classes li button"), texts("#ontology-classes li .count")))
    stored = sparql("SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a ttkg:Agreement }")[0]["n"]["value"]
    assert number(counts["ttkg:Agreement"]) == Decimal(stored), (counts.get("ttkg:Agreement"), stored)
    editor.clear()
    driver.find_element(By.XPATH, "//ul[@id='ontology-classes']//button[text()='ttkg:Agreement']").click()
    assert editor.get_attribute("value") == "ttkg:Agreement ", editor.get_attribute("value")
    driver.find_element(By.CSS_SELECTOR, "#ontology-panel summary").click()
    print(f"ontology panel: {len(counts)} classes, ttkg:Agreement {counts['ttkg:Agreement']}")

    # Query history: the queries run, newest first, back in the editor.
    driver.find_element(By.CSS_SELECTOR, "#history-panel summary").click()
    remembered = driver.find_elements(By.CSS_SELECTOR, "#history button")
    assert remembered and "signingDate" in remembered[0].get_attribute("title"), [b.text for b in remembered]
    remembered[0].click()
    assert editor.get_attribute("value").startswith("SELECT ?x\nWHERE {"), editor.get_attribute("value")
    driver.find_element(By.CSS_SELECTOR, "#history-panel summary").click()
    print(f"history: {len(remembered)} queries")

    # IRIs in answers open the page of their entity, with its sources.
    run_typed("SELECT ?a ?number WHERE { ?a ttkg:agreementNumber ?number ; ttkg:transferor ?t } ORDER BY ?number LIMIT 3")
    _, rows = header_and_rows()
    link = driver.find_element(By.CSS_SELECTOR, "#results tbody tr td a")
    iri = link.get_attribute("title")
    link.click()
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == "yes")
    assert not driver.find_element(By.ID, "error").is_displayed(), driver.find_element(By.ID, "error").text
    assert driver.find_element(By.ID, "entity-iri").text == iri
    facts = driver.find_element(By.ID, "facts").text
    assert "agreement number" in facts and rows[0][1] in facts, (rows[0], facts)
    sources = {
        tuple(cells[0:3:2])
        for cells in driver.execute_script(
            "return [...document.querySelectorAll('#sources tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim()));"
        )
    }
    expected = {
        (b["file"]["value"], b["row"]["value"])
        for b in sparql(f"SELECT ?file ?row WHERE {{ <{iri}> prov:wasDerivedFrom ?r . ?r ttkg:rowNumber ?row ; ttkg:sourceFile/ttkg:filePath ?file }}")
    }
    assert sources == expected and sources, (sources, expected)
    # From the agreement to its transferor, which the agreement refers to.
    driver.find_element(By.XPATH, "//table[@id='facts']//tr[td/a[text()='transferor']]/td[2]/a").click()
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == "yes")
    referrers = texts("#incoming tbody td:first-child a", "title")
    assert iri in referrers, referrers
    driver.save_screenshot(os.path.join(shots, "entity.png"))
    print(f"entity page: {len(sources)} source rows, referred to by {len(referrers)}")
    # An address that is no IRI is refused before any query is made.
    driver.get(url.rstrip("/") + "/entity?iri=" + urllib.parse.quote("x> } DROP ALL #"))
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == "yes")
    refused = driver.find_element(By.ID, "error").text
    assert "is not an IRI" in refused, refused
    driver.get(url)
    wait.until(seen.presence_of_element_located((By.CSS_SELECTOR, "#saved button")))

    header, rows = run_saved("agreements-by-country")
    driver.save_screenshot(screenshot)
    driver.save_screenshot(os.path.join(shots, "chart.png"))

    # Save as question: the header filled in, the chart shown kept.
    driver.find_element(By.ID, "save-as").click()
    assert driver.find_element(By.ID, "save-title").get_attribute("value").startswith("Agreements")
    name = driver.find_element(By.ID, "save-name")
    name.clear()
    name.send_keys("my copy")
    driver.find_element(By.ID, "save-download").click()
    question = saved_file("my-copy.rq").decode()
    assert question.startswith("# Agreements and their total value"), question[:200]
    assert "# @title zh 按合作国家和年份统计的协议数量与金额" in question, question
    assert "# @chart line x=year series=country value=valueCny" in question, question
    assert "# @column country |" in question and "SELECT ?country" in question, question
    assert question.count("# @chart") == 1, question
    print("saved as question: my-copy.rq")

    view("pivot")
    driver.save_screenshot(os.path.join(shots, "pivot.png"))
    driver.find_element(By.ID, "language").click()
    driver.save_screenshot(os.path.join(shots, "page-zh.png"))
    driver.find_element(By.ID, "language").click()
    view("chart")
    header, rows = run_saved("headline-figures")
    assert header == ["figure", "value"], header

    # The downloads: a workbook and a CSV file of the same answer, named
    # after the question and the day.
    xlsx, csv = f"headline-figures-{day}.xlsx", f"headline-figures-{day}.csv"
    driver.find_element(By.ID, "download-xlsx").click()
    assert saved_file(xlsx)[:2] == b"PK", "an XLSX file is a zip"
    driver.find_element(By.ID, "download-csv").click()
    # The CSV is for Excel: UTF-8 with a byte-order mark, values as stored.
    content = saved_file(csv)
    assert content.startswith(b"\xef\xbb\xbf"), content[:10]
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0] == "figure,value" and len(lines) == len(rows) + 1, lines
    assert "network members,1763" in lines, lines
    print("downloads: headline-figures-DATE.xlsx, headline-figures-DATE.csv")

    # In 中文 the figures are named as the question's `# @label zh` lines say.
    view("table")
    driver.find_element(By.ID, "language").click()
    _, zh_rows = header_and_rows()
    assert zh_rows[0][0] == "协作网络成员", zh_rows[0]
    driver.find_element(By.ID, "language").click()
    _, en_rows = header_and_rows()
    assert en_rows[0][0] == "network members", en_rows[0]
    print(f"figure names in 中文: {zh_rows[0][0]}")

    # The periodic report, from the link in the masthead, in the page's
    # language: the newest year first, then a month picked in its form.
    driver.find_element(By.ID, "report-link").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=report-period]"))
    period = driver.find_element(By.CSS_SELECTOR, "[data-testid=report-period]")
    assert period.get_attribute("value") == "2016", period.get_attribute("value")
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "1,763" in body and "+463" in body, body[:400]
    period.clear()
    period.send_keys("2016-06")
    period.submit()
    # Read in one script call: the form's submit replaces the document, and
    # an element found in the old one cannot be asked for its parent.
    wait.until(lambda d: "June 2016" in d.execute_script(
        "const h = document.querySelector('h1');"
        " return h && h.parentElement ? h.parentElement.innerText : '';"))
    charts = driver.find_elements(By.CSS_SELECTOR, "section figure svg")
    assert len(charts) == 4, len(charts)
    xlsx_link = driver.find_element(By.CSS_SELECTOR, "[data-testid=report-xlsx]").get_attribute("href")
    assert "period=2016-06" in xlsx_link and "format=xlsx" in xlsx_link, xlsx_link
    driver.save_screenshot(os.path.join(shots, "report.png"))
    print(f"report page: 2016, then June 2016 with {len(charts)} charts")
finally:
    driver.quit()

# The screenshot is the window's size and not blank.
with open(screenshot, "rb") as f:
    png = f.read()
width, height = struct.unpack(">II", png[16:24])
assert (width, height) == (1280, 1000) or width >= 1000, (width, height)
pixels, at = b"", 8
while at < len(png):
    length, kind = struct.unpack(">I4s", png[at : at + 8])
    if kind == b"IDAT":
        pixels += png[at + 8 : at + 8 + length]
    at += 12 + length
distinct = len(set(zlib.decompress(pixels)))
print(f"screenshot {width}x{height}, {distinct} distinct byte values")
assert distinct > 64, "the screenshot is blank"
