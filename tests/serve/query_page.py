"""The query page in headless Chromium (Debian's chromium and chromedriver).

Usage: query_page.py PAGE_URL SCREENSHOT.png
Clicks through saved questions, sorts a column, checks the chart, and
saves a screenshot; exits non-zero when something is not as expected.
"""
import os
import struct
import sys
import tempfile
import time
import zlib

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

url, screenshot = sys.argv[1], sys.argv[2]

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
wait = WebDriverWait(driver, 30)


def header_and_rows():
    table = driver.find_element(By.ID, "results")
    header = [th.text.rstrip(" ▲▼") for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    rows = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]
    return header, rows


def answers():
    return int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-answers") or 0)


def run_saved(name):
    before = answers()
    driver.find_element(By.CSS_SELECTOR, f'#saved button[data-saved="{name}"]').click()
    wait.until(lambda d: answers() > before)
    error = driver.find_element(By.ID, "error")
    assert not error.is_displayed(), error.text
    return header_and_rows()


try:
    driver.get(url)
    wait.until(seen.presence_of_element_located((By.CSS_SELECTOR, "#saved button")))
    assert "ttkg" in driver.title, driver.title

    header, rows = run_saved("headline-figures")
    figures = {row[header.index("figure")]: row[header.index("value")] for row in rows}
    print(f"headline figures: {figures.get('network members')} members", figures)
    assert figures.get("network members") == "1763", figures

    header, rows = run_saved("agreements-by-country")
    assert len(rows) > 1, rows
    # Sorting by the count column, both ways.
    column = header.index("agreements")
    driver.find_elements(By.CSS_SELECTOR, "#results thead th")[column].click()
    _, ascending = header_and_rows()
    values = [float(r[column]) for r in ascending]
    assert values == sorted(values), values
    driver.find_elements(By.CSS_SELECTOR, "#results thead th")[column].click()
    _, descending = header_and_rows()
    values = [float(r[column]) for r in descending]
    assert values == sorted(values, reverse=True), values

    header, rows = run_saved("demonstration-area-by-country")
    chart = driver.find_element(By.ID, "chart")
    bars = chart.find_elements(By.CSS_SELECTOR, "rect.bar")
    print(f"demonstration area rows: {len(rows)}, chart shown: {chart.is_displayed()}")

    # An ad-hoc question typed in the editor.
    editor = driver.find_element(By.ID, "editor")
    editor.clear()
    editor.send_keys(
        "SELECT ?country (COUNT(?a) AS ?agreements) WHERE { ?a a ttkg:Agreement ; ttkg:partnerCountry/ttkg:isoCode ?country } GROUP BY ?country ORDER BY DESC(?agreements)"
    )
    before = answers()
    driver.find_element(By.ID, "run").click()
    wait.until(lambda d: answers() > before)
    header, rows = header_and_rows()
    # The saved question's title and parameters went with its text.
    assert not driver.find_element(By.ID, "question").is_displayed(), "a typed query is no saved question"
    assert not driver.find_elements(By.CSS_SELECTOR, "#saved button.active"), "no saved question is marked"
    bars = driver.find_elements(By.CSS_SELECTOR, "#chart rect.bar")
    print(f"chart bars: {len(bars)}")
    assert len(bars) == len(rows), (len(bars), rows)

    # A country parameter is a drop-down of the countries, by name.
    header, rows = run_saved("technologies-to-country")
    select = driver.find_element(By.ID, "param-country")
    assert select.tag_name == "select", select.tag_name
    options = {o.get_attribute("value"): o.text for o in select.find_elements(By.TAG_NAME, "option")}
    assert "泰国" in options.get("TH", ""), options
    before = answers()
    from selenium.webdriver.support.ui import Select

    Select(select).select_by_value("TH")
    wait.until(lambda d: answers() > before)
    _, thai = header_and_rows()
    assert thai and all(r[header.index("country")] == "TH" for r in thai), thai
    print(f"country drop-down: {len(options)} countries")

    # A term the ontology does not define is a warning on the page.
    editor = driver.find_element(By.ID, "editor")
    editor.clear()
    editor.send_keys("SELECT ?m WHERE { ?m a ttkg:Member }")
    before = answers()
    driver.find_element(By.ID, "run").click()
    wait.until(lambda d: answers() > before)
    warnings = driver.find_element(By.ID, "warnings")
    assert warnings.is_displayed() and "ttkg:NetworkMembership" in warnings.text, warnings.text
    print("warning shown:", warnings.text.splitlines()[0])

    # A mistake shows the server's message.
    editor.clear()
    editor.send_keys("SELECT ?x WHERE { ?x a }")
    before = answers()
    driver.find_element(By.ID, "run").click()
    wait.until(lambda d: answers() > before)
    error = driver.find_element(By.ID, "error")
    assert error.is_displayed()
    assert "^" in error.text, "the caret under the place: " + error.text
    assert not driver.find_element(By.ID, "warnings").is_displayed(), "warnings of the last answer only"
    # Nothing of the previous answer stays beside the error.
    assert not driver.find_elements(By.CSS_SELECTOR, "#results tr"), "the old table is gone"
    assert not driver.find_element(By.ID, "chart").is_displayed(), "the old chart is gone"
    print("error shown:", error.text.splitlines()[0])

    header, rows = run_saved("headline-figures")
    assert header == ["figure", "value"], header
    driver.save_screenshot(screenshot)

    # The downloads: a workbook and a CSV file of the same answer, named
    # after the question and the day.
    day = time.strftime("%Y-%m-%d")
    xlsx, csv = f"headline-figures-{day}.xlsx", f"headline-figures-{day}.csv"
    for button, name in (("download-xlsx", xlsx), ("download-csv", csv)):
        driver.find_element(By.ID, button).click()
        deadline = time.time() + 30
        while name not in os.listdir(downloads) and time.time() < deadline:
            time.sleep(0.2)
        assert name in os.listdir(downloads), os.listdir(downloads)
    with open(os.path.join(downloads, xlsx), "rb") as f:
        assert f.read(2) == b"PK", "an XLSX file is a zip"
    # The CSV is for Excel: UTF-8 with a byte-order mark, values as stored.
    with open(os.path.join(downloads, csv), encoding="utf-8-sig") as f:
        lines = f.read().splitlines()
    assert lines[0] == "figure,value" and len(lines) == len(rows) + 1, lines
    assert "network members,1763" in lines, lines
    print("downloads: headline-figures-DATE.xlsx, headline-figures-DATE.csv")
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
