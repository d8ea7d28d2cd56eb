"""The dashboard at /app/ and the printable report, in a real headless Chromium.

The server is the real binary on a fresh database, seeded through the API with a generated
year of diary. The browser is Debian's `chromium` driven by `chromedriver` (Selenium), with no
network beyond the loopback server. Screenshots go to .build/e2e-screenshots/ (to docs/screenshots/
with UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import base64
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from relieflog_server import start_server  # noqa: E402

REPOSITORY = Path(__file__).resolve().parents[3]
# The README's screenshots are refreshed on request (UPDATE_SCREENSHOTS=1); an ordinary run
# writes them under .build, so testing leaves the work tree as it was.
SCREENSHOTS = (
    REPOSITORY / "docs/screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS")
    else REPOSITORY / ".build/e2e-screenshots"
)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None, reason="needs Debian's chromium and chromium-driver"
)


def fmt(value) -> str:
    """A number as the dashboard and the report print it."""
    if value is None:
        return "–"
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


# ---- Seeding: a generated year of diary, through the API ----


def seed(server) -> dict:
    rng = random.Random(12)

    def post(path, body, token=None):
        status, _, answer = server.request("POST", path, body, token=token)
        assert status == 201, (path, status, answer)
        return answer

    therapists = [
        post("/v1/therapists", {"name": name, "licenseNumber": f"LMT-{i}", "licenseJurisdiction": "US-CA",
                                "techniques": ["neck_shoulder", "scalp", "trigger_point"], "migraineExperience": True})
        for i, name in enumerate(["Dana Reyes", "Sam Okafor"], start=1)
    ]
    patients = [
        post("/v1/patients", {"displayName": "Alex Morgan", "timezone": "Europe/Berlin", "birthYear": 1988}),
        post("/v1/patients", {"displayName": "Jordan Lee", "timezone": "America/New_York", "birthYear": 1979}),
    ]
    now = datetime.now(timezone.utc).replace(microsecond=0)
    start = now - timedelta(days=360)
    first_session = now - timedelta(days=150)
    triggers = ["stress", "poor_sleep", "weather", "screen_time", "skipped_meal", "menstruation"]
    symptoms = ["nausea", "photophobia", "phonophobia", "neck_pain", "fatigue"]
    medications = [("Sumatriptan", "triptan"), ("Ibuprofen", "nsaid"), ("Paracetamol", "simple_analgesic")]
    for index, patient in enumerate(patients):
        day = start
        while day < now - timedelta(hours=6):
            # Fewer attacks after massage began, so the before/after comparison shows something.
            rate = 0.22 if day < first_session else 0.13
            if rng.random() < rate:
                begin = day + timedelta(hours=rng.randint(5, 18))
                body = {
                    "patientId": patient["id"],
                    "startedAt": begin.isoformat().replace("+00:00", "Z"),
                    "intensity": rng.randint(3, 9),
                    "aura": rng.random() < 0.2,
                    "triggers": rng.sample(triggers, rng.randint(0, 2)),
                    "symptoms": rng.sample(symptoms, rng.randint(1, 3)),
                }
                if rng.random() < 0.8:
                    body["endedAt"] = (begin + timedelta(hours=rng.randint(4, 40))).isoformat().replace("+00:00", "Z")
                if rng.random() < 0.6:
                    name, klass = rng.choice(medications)
                    body["medications"] = [{"name": name, "class": klass, "effective": rng.random() < 0.7}]
                post("/v1/episodes", body)
            if day >= first_session and rng.random() < 0.1:
                before = rng.randint(4, 8)
                professional = rng.random() < 0.6
                body = {
                    "patientId": patient["id"],
                    "kind": "professional" if professional else "self",
                    "startedAt": (day + timedelta(hours=10)).isoformat().replace("+00:00", "Z"),
                    "durationMinutes": rng.choice([20, 30, 45, 60]),
                    "techniques": rng.sample(["neck_shoulder", "scalp", "trigger_point", "swedish"], rng.randint(1, 2)),
                    "painBefore": before,
                    "painAfter": max(0, before - rng.randint(0, 4)),
                    "stressBefore": rng.randint(3, 8),
                    "stressAfter": rng.randint(1, 4),
                }
                if professional:
                    body["therapistId"] = therapists[index % 2]["id"]
                post("/v1/sessions", body)
            day += timedelta(days=1)

    def token(body):
        return post("/v1/tokens", body)["token"]

    return {
        "patient": patients[0],
        "other": patients[1],
        "patient_token": token({"role": "patient", "patientId": patients[0]["id"], "label": "browser test"}),
        "clinician_token": token({"role": "clinician", "therapistId": therapists[0]["id"], "label": "browser test"}),
    }


@pytest.fixture(scope="module")
def server():
    with tempfile.TemporaryDirectory() as directory:
        # The access log (on standard output) tells what the server answered to a reload.
        server = start_server(Path(directory), env={"RELIEFLOG_LOG_LEVEL": "error", "RELIEFLOG_ACCESS_LOG": "1"})
        try:
            server.seeded = seed(server)
            yield server
        finally:
            server.stop()


# ---- The browser ----


def make_driver(width: int = 1280, height: int = 900):
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                     f"--window-size={width},{height}", "--force-device-scale-factor=1", "--lang=en-US"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    set_viewport(driver, width, height)
    return driver


def set_viewport(driver, width: int, height: int) -> None:
    """The page's viewport, exactly (a headless window has a minimum width of its own)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


@pytest.fixture()
def driver():
    driver = make_driver()
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver, condition, timeout=30):
    return WebDriverWait(driver, timeout).until(condition)


def sign_in(driver, server, token: str, query: str = "") -> None:
    driver.get(server.url + "/app/" + query)
    field = wait(driver, EC.element_to_be_clickable((By.ID, "token")))
    field.send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "#signin-form button[type=submit]").click()
    wait(driver, EC.visibility_of_element_located((By.CSS_SELECTOR, "#view h1")))


def text(driver, selector: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, selector).text.strip()


def card(driver, identifier: str) -> str:
    return text(driver, f"#{identifier} .value")


def network(driver) -> list[dict]:
    """The responses Chromium received since the last call: url, status, and whether cached."""
    responses = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.responseReceived":
            response = message["params"]["response"]
            responses.append({"url": response["url"], "status": response["status"]})
        elif message["method"] == "Network.requestWillBeSent":
            responses.append({"url": message["params"]["request"]["url"], "status": None})
    return responses


def console_errors(driver) -> list[dict]:
    return [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]


def only_own_origin(server, entries) -> list[str]:
    return [e["url"] for e in entries
            if not (e["url"].startswith(server.url + "/") or e["url"].startswith("blob:" + server.url)
                    or e["url"].startswith("data:"))]


def get_json(server, path: str, token: str):
    status, _, body = server.request("GET", path, token=token)
    assert status == 200, (path, status, body)
    return body


def full_page_screenshot(driver, name: str, width: int) -> Path:
    set_viewport(driver, width, 900)
    height = driver.execute_script("return Math.ceil(document.documentElement.scrollHeight)")
    set_viewport(driver, width, min(max(height, 600), 6000))
    driver.execute_script("window.scrollTo(0, 0)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    driver.save_screenshot(str(path))
    set_viewport(driver, width, 900)
    return path


# ---- Tests ----


def test_patient_view_shows_the_endpoints_numbers(server, driver):
    seeded = server.seeded
    token = seeded["patient_token"]
    patient_id = seeded["patient"]["id"]
    sign_in(driver, server, token)
    wait(driver, EC.presence_of_element_located((By.ID, "calendar")))
    summary = get_json(server, f"/v1/patients/{patient_id}/analytics/summary", token)
    assert text(driver, "#view h1") == "Alex Morgan"
    assert card(driver, "fig-migraine-days") == fmt(summary["migraineDays"])
    assert card(driver, "fig-mmd") == fmt(summary["monthlyMigraineDays"])
    assert card(driver, "fig-episodes") == fmt(summary["episodes"])
    assert card(driver, "fig-intensity") == fmt(summary["meanIntensity"])
    assert card(driver, "fig-medication-days") == fmt(summary["medicationDays"])
    assert card(driver, "fig-sessions") == fmt(summary["sessions"])
    assert card(driver, "fig-pain-drop") == fmt(summary["meanPainDrop"])
    assert f"n = {summary['episodes']} episodes" in text(driver, "#fig-intensity")
    assert text(driver, "#medication-days") == fmt(summary["medicationDays"])
    classes = driver.find_elements(By.CSS_SELECTOR, "#medication-table tbody tr")
    assert len(classes) == len(summary["medicationOveruse"])
    for row, item in zip(classes, summary["medicationOveruse"]):
        cells = [c.get_attribute("textContent").strip() for c in row.find_elements(By.CSS_SELECTOR, "th, td")]
        assert cells[:3] == [item["class"].replace("_", " "), fmt(item["days"]), fmt(item["daysPer30"])]

    months = get_json(server, f"/v1/patients/{patient_id}/analytics/trends?bucket=month", token)
    rows = driver.find_elements(By.CSS_SELECTOR, "#months-table tbody tr")
    assert len(rows) == len(months["buckets"]) == 12
    for row, bucket in zip(rows, months["buckets"]):
        cells = [c.get_attribute("textContent").strip() for c in row.find_elements(By.CSS_SELECTOR, "th, td")]
        assert cells[1:4] == [fmt(bucket["migraineDays"]), fmt(bucket["episodes"]), fmt(bucket["meanIntensity"])]

    effect = get_json(server, f"/v1/patients/{patient_id}/analytics/massage-effect", token)
    assert effect["sessions"] > 0
    assert text(driver, "#mmd-change") == fmt(effect["mmdChange"])
    effect_cells = [c.get_attribute("textContent").strip()
                    for c in driver.find_elements(By.CSS_SELECTOR, "#effect-table tbody tr:nth-child(4) td")]
    assert effect_cells == [fmt(effect["baseline"]["monthlyMigraineDays"]), fmt(effect["followUp"]["monthlyMigraineDays"])]

    # The calendar: one shaded square per day of the window, each migraine day shaded.
    days_url = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).find(n => n.includes('bucket=day'))")
    days = get_json(server, days_url.replace(server.url, ""), token)
    squares = driver.find_elements(By.CSS_SELECTOR, "#calendar rect.day")
    assert len(squares) == len(days["buckets"])
    shaded = driver.find_elements(By.CSS_SELECTOR, "#calendar rect.s1, #calendar rect.s2, #calendar rect.s3")
    assert len(shaded) == sum(1 for b in days["buckets"] if b["migraineDays"] > 0)
    assert "not medical advice" in driver.find_element(By.TAG_NAME, "footer").text.lower()

    assert console_errors(driver) == []
    assert only_own_origin(server, network(driver)) == []


def test_clinician_view_and_opening_a_patient(server, driver):
    seeded = server.seeded
    token = seeded["clinician_token"]
    sign_in(driver, server, token)
    wait(driver, EC.presence_of_element_located((By.ID, "patients-table")))
    overview = get_json(server, "/v1/analytics/overview", token)
    assert text(driver, "#view h1") == "Clinic overview"
    assert card(driver, "clinic-patients") == fmt(overview["patients"])
    assert card(driver, "clinic-episodes") == fmt(overview["episodes"])
    assert card(driver, "clinic-sessions") == fmt(overview["sessions"])
    assert card(driver, "clinic-intensity") == fmt(overview["meanIntensity"])
    assert f"previous period {fmt(overview['previous']['episodes'])}" in text(driver, "#clinic-episodes")
    techniques = get_json(server, "/v1/analytics/techniques", token)["items"]
    rows = driver.find_elements(By.CSS_SELECTOR, "#techniques-table tbody tr")
    assert len(rows) == len(techniques)
    for row, item in zip(rows, techniques):
        cells = [c.get_attribute("textContent").strip() for c in row.find_elements(By.CSS_SELECTOR, "th, td")]
        assert cells == [item["technique"].replace("_", " "), fmt(item["sessions"]), fmt(item["patients"]),
                         fmt(item["meanPainDrop"]), fmt(item["meanStressDrop"])]
    therapists = get_json(server, "/v1/analytics/therapists", token)["items"]
    assert len(driver.find_elements(By.CSS_SELECTOR, "#therapists-table tbody tr")) == len(therapists)

    # Into the second patient's view by keyboard: the link is reachable and opens with Enter.
    link = driver.find_element(By.LINK_TEXT, "Jordan Lee")
    link.send_keys("\n")
    wait(driver, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#view h1"), "Jordan Lee"))
    wait(driver, EC.presence_of_element_located((By.ID, "calendar")))
    other = seeded["other"]["id"]
    summary = get_json(server, f"/v1/patients/{other}/analytics/summary", token)
    assert card(driver, "fig-mmd") == fmt(summary["monthlyMigraineDays"])
    assert card(driver, "fig-medication-days") == fmt(summary["medicationDays"])
    assert console_errors(driver) == []
    assert only_own_origin(server, network(driver)) == []


def test_idle_dashboard_polls_with_304_and_a_reload_revalidates(server, driver):
    token = server.seeded["patient_token"]
    sign_in(driver, server, token, "?poll=1")
    wait(driver, EC.presence_of_element_located((By.ID, "calendar")))
    assert "every 1 s" in text(driver, "#poll")
    network(driver)  # the first load
    # Count polls rather than time them: wait until the summary was asked at least three more times.
    seen: list[dict] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        seen += [e for e in network(driver) if e["status"] is not None]
        if sum(1 for e in seen if "/analytics/summary" in e["url"]) >= 3:
            break
        time.sleep(0.5)
    api = [e for e in seen if "/v1/" in e["url"]]
    assert sum(1 for e in api if "/analytics/summary" in e["url"]) >= 3
    assert api and all(e["status"] == 304 for e in api), api

    # A change shows up at the next poll.
    patient_id = server.seeded["patient"]["id"]
    before = card(driver, "fig-episodes")
    now = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    status, _, _ = server.request("POST", "/v1/episodes", {"startedAt": now.isoformat().replace("+00:00", "Z"),
                                                          "intensity": 5}, token=token)
    assert status == 201
    wait(driver, lambda d: card(d, "fig-episodes") == str(int(before) + 1))
    summary = get_json(server, f"/v1/patients/{patient_id}/analytics/summary", token)
    assert card(driver, "fig-episodes") == fmt(summary["episodes"])

    # A reload: the static files are revalidated, and the server (its access log) answers 304
    # to each; the token survives in the tab.
    mark = len(server.output)
    driver.refresh()
    wait(driver, EC.presence_of_element_located((By.ID, "calendar")))
    static: list = []
    deadline = time.monotonic() + 30  # the access log is written in batches
    while time.monotonic() < deadline:
        served = [json.loads(line) for line in server.output[mark:] if line.startswith("{")]
        static = [(e["route"], e["status"]) for e in served if e.get("route", "").startswith("/app/")]
        if {route for route, _ in static} >= {"/app/", "/app/app.js", "/app/app.css"}:
            break
        time.sleep(0.2)
    assert {route for route, _ in static} >= {"/app/", "/app/app.js", "/app/app.css"}, static
    assert all(status == 304 for _, status in static), static
    assert console_errors(driver) == []


def test_first_load_is_small(server, driver):
    driver.execute_cdp_cmd("Network.enable", {})
    driver.get(server.url + "/app/")
    wait(driver, EC.element_to_be_clickable((By.ID, "token")))
    transferred = driver.execute_script(
        "const n = performance.getEntriesByType('navigation')[0];"
        "return n.transferSize + performance.getEntriesByType('resource').reduce((s, e) => s + e.transferSize, 0);")
    assert 0 < transferred < 100_000


def test_sign_out_clears_the_token(server, driver):
    sign_in(driver, server, server.seeded["patient_token"])
    assert driver.execute_script("return sessionStorage.getItem('relieflog.token')") == server.seeded["patient_token"]
    assert server.seeded["patient_token"] not in driver.current_url
    assert driver.execute_script("return document.cookie") == ""
    driver.find_element(By.ID, "signout").click()
    wait(driver, EC.visibility_of_element_located((By.ID, "signin")))
    assert driver.execute_script("return sessionStorage.length") == 0
    assert driver.find_element(By.ID, "view").text == ""
    driver.refresh()
    wait(driver, EC.visibility_of_element_located((By.ID, "token")))
    assert not driver.find_element(By.ID, "view").is_displayed()


def test_a_wrong_token_is_refused_politely(server, driver):
    driver.get(server.url + "/app/")
    wait(driver, EC.element_to_be_clickable((By.ID, "token"))).send_keys("rlg_not-a-token")
    driver.find_element(By.CSS_SELECTOR, "#signin-form button[type=submit]").click()
    wait(driver, EC.text_to_be_present_in_element((By.ID, "signin-error"), "not accepted"))
    assert driver.execute_script("return sessionStorage.length") == 0


def axe_violations(driver) -> list[dict]:
    from axe_selenium_python import Axe

    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    return [v for v in results["violations"] if v.get("impact") in ("serious", "critical")]


def test_accessibility_of_both_views(server, driver):
    sign_in(driver, server, server.seeded["patient_token"])
    wait(driver, EC.presence_of_element_located((By.ID, "calendar")))
    assert axe_violations(driver) == []
    driver.find_element(By.ID, "signout").click()
    wait(driver, EC.visibility_of_element_located((By.ID, "signin")))
    assert axe_violations(driver) == []
    sign_in(driver, server, server.seeded["clinician_token"])
    wait(driver, EC.presence_of_element_located((By.ID, "patients-table")))
    assert axe_violations(driver) == []
    # Keyboard: Tab from the top reaches the skip link, then the sign-out button.
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys("\t")
    assert driver.switch_to.active_element.get_attribute("class") == "skip"


def test_report_opens_from_the_dashboard_with_its_styles(server, driver):
    sign_in(driver, server, server.seeded["patient_token"])
    wait(driver, EC.presence_of_element_located((By.ID, "calendar")))
    handles = set(driver.window_handles)
    driver.find_element(By.ID, "open-report").click()
    wait(driver, lambda d: len(d.window_handles) > len(handles))
    driver.switch_to.window((set(driver.window_handles) - handles).pop())
    wait(driver, lambda d: "Migraine diary report" in d.title)
    # The inline style sheet ran under the inherited policy (its hash is admitted).
    assert driver.execute_script("return getComputedStyle(document.querySelector('h2')).borderBottomStyle") == "solid"
    assert driver.execute_script("return document.scripts.length") == 0
    assert console_errors(driver) == []


def print_report(server, directory: Path) -> tuple[Path, dict, dict]:
    token = server.seeded["patient_token"]
    patient_id = server.seeded["patient"]["id"]
    status, headers, html = server.request("GET", f"/v1/patients/{patient_id}/report", token=token)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    page = directory / "report.html"
    page.write_bytes(html)
    text = html.decode()
    period = text.split("Period: <strong>")[1].split("</strong>")[0]
    to = text.split("Period: <strong>")[1].split("<strong>")[1].split("</strong>")[0]
    end = (datetime.fromisoformat(to) + timedelta(days=1)).date().isoformat()
    summary = get_json(server, f"/v1/patients/{patient_id}/analytics/summary?from={period}&to={end}", token)
    return page, summary, {"from": period, "to": end}


def pdf_text(path: Path) -> tuple[int, str, list]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(path.read_bytes()))
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages), sizes


def test_report_prints_on_two_pages_with_the_summary_figures(server, tmp_path):
    page, summary, window = print_report(server, tmp_path)
    assert window["from"] < window["to"]
    pdf = tmp_path / "report.pdf"
    # Chromium's own --print-to-pdf (its default paper, US Letter).
    subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    pages, content, sizes = pdf_text(pdf)
    assert 1 <= pages <= 2
    assert all(abs(w - 612) < 2 and abs(h - 792) < 2 for w, h in sizes), sizes
    flat = " ".join(content.split())
    assert "Monthly migraine days (MMD) " + fmt(summary["monthlyMigraineDays"]) in flat, flat[:2000]
    assert "Acute-medication days " + fmt(summary["medicationDays"]) in flat
    for item in summary["medicationOveruse"]:
        assert f"{item['class'].replace('_', ' ')} {fmt(item['days'])} {fmt(item['daysPer30'])}" in flat, item
    assert "not medical advice" in flat

    # The same page on A4, through the DevTools protocol with A4 paper.
    driver = make_driver()
    try:
        driver.get(page.as_uri())
        result = driver.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69,
                                                            "printBackground": True, "preferCSSPageSize": False})
        a4 = tmp_path / "report-a4.pdf"
        a4.write_bytes(base64.b64decode(result["data"]))
        pages, content, sizes = pdf_text(a4)
        assert 1 <= pages <= 2
        assert all(abs(w - 595) < 2 and abs(h - 842) < 2 for w, h in sizes), sizes
        assert "Monthly migraine days (MMD) " + fmt(summary["monthlyMigraineDays"]) in " ".join(content.split())
        full_page_screenshot(driver, "report-1280.png", 1280)
    finally:
        driver.quit()


@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots(server, width):
    driver = make_driver(width)
    try:
        sign_in(driver, server, server.seeded["patient_token"])
        wait(driver, EC.presence_of_element_located((By.ID, "calendar")))
        assert driver.execute_script("return window.innerWidth") == width
        # Readable at phone width: nothing wider than the viewport but the scrollable charts.
        overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
        full_page_screenshot(driver, f"patient-{width}.png", width)
        driver.find_element(By.ID, "signout").click()
        sign_in(driver, server, server.seeded["clinician_token"])
        wait(driver, EC.presence_of_element_located((By.ID, "patients-table")))
        overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
        full_page_screenshot(driver, f"clinic-{width}.png", width)
        assert console_errors(driver) == []
    finally:
        driver.quit()
