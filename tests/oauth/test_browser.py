"""The whole account-linking flow in a real headless Chromium, all on 127.0.0.1.

SmartThings' authorize redirect → link page → Kasa sign-in (simulated Kasa) → back →
SmartHQ sign-in (simulated SmartHQ, when that simulator exists) → back → Allow →
SmartThings' redirect with a code → token exchange → a discovery with the issued token.

Needs Debian's ``chromium`` and ``chromium-driver`` and selenium from PyPI; without
them the test is skipped locally and fails under CI (``CI`` set), so CI cannot go
green by not running it. ``UPDATE_SCREENSHOTS=1`` rewrites docs/link-page.png.
"""
from __future__ import annotations

import os
import shutil
import time
import warnings
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from flask import Flask, request

from connector import create_app, stclient
from connector.sandbox.server import ServerThread

from .conftest import ST_OAUTH_CLIENT_ID, ST_OAUTH_CLIENT_SECRET, query

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "link-page.png"
PHONE = (412, 915)  # CSS pixels of a common phone
WAIT = 10


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (apt-get install chromium chromium-driver)"
    return None


if _missing():
    if os.environ.get("CI"):
        raise RuntimeError(f"the browser test cannot run in CI: {_missing()}")
    pytest.skip(_missing(), allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--force-device-scale-factor=2",
                 f"--window-size={PHONE[0]},{PHONE[1]}",
                 f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)  # no driver download
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(WAIT)
    yield driver
    driver.quit()


@pytest.fixture
def smartthings():
    """SmartThings' OAuth callback: records what our server redirected the browser with."""
    app = Flask("smartthings-callback")
    app.received = []

    @app.get("/oauth/callback")
    def callback():
        app.received.append(request.args.to_dict())
        return "<!doctype html><title>SmartThings</title><h1>Linked</h1>"

    with ServerThread(app, name="st-callback") as server:
        server.received = app.received
        yield server


@pytest.fixture
def connector(config, smartthings):
    settings = {**config, "oauth_redirect_uris": (smartthings.url + "/oauth/callback",)}
    with ServerThread(create_app(settings), name="connector") as server:
        yield server


def wait_for(driver, condition):
    return WebDriverWait(driver, WAIT).until(condition)


def sign_in(driver, username, password):
    """Fill a partner's login form (email or text field, password) and allow access."""
    wait_for(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "input[type=password]")))
    user_field = driver.find_element(
        By.CSS_SELECTOR, "input[type=email], input[name=username], input[type=text]")
    user_field.send_keys(username)
    driver.find_element(By.CSS_SELECTOR, "input[type=password]").send_keys(password)
    buttons = driver.find_elements(By.CSS_SELECTOR, "button[type=submit], input[type=submit]")
    (allow,) = [b for b in buttons
                if "allow" in f"{b.text} {b.get_attribute('value') or ''}".lower()]
    allow.click()


def back_on_link_page(driver, connector, text):
    wait_for(driver, EC.url_to_be(connector.url + "/link"))
    wait_for(driver, EC.text_to_be_present_in_element((By.CSS_SELECTOR, "main"), text))


def save_screenshot(driver, tmp_path):
    """The whole page as a phone shows it (DevTools device emulation, full height)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": PHONE[0], "height": max(PHONE[1], height), "deviceScaleFactor": 2,
        "mobile": True})
    path = tmp_path / "link-page.png"
    try:
        assert driver.save_screenshot(str(path))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, SCREENSHOT)


def test_linking_in_a_browser(browser, connector, smartthings, smarthq_sim, kasa, kasa_user,
                              tmp_path):
    redirect_uri = smartthings.url + "/oauth/callback"
    browser.get(connector.url + "/oauth/authorize?" + urlencode({
        "client_id": ST_OAUTH_CLIENT_ID, "response_type": "code",
        "redirect_uri": redirect_uri, "state": "st-browser-state"}))

    # The link page.
    wait_for(browser, EC.url_to_be(connector.url + "/link"))
    assert "SmartThings is asking for access" in browser.find_element(By.TAG_NAME, "h1").text
    assert not browser.find_element(By.ID, "allow").is_enabled()

    # Kasa: its own sign-in page, then back.
    browser.find_element(By.ID, "connect-kasa").click()
    wait_for(browser, EC.url_contains(kasa.oauth_url + "/oauth/authorize"))
    sign_in(browser, kasa_user.username, "pw")
    back_on_link_page(browser, connector, "TP-Link Kasa is connected.")
    assert browser.find_element(By.ID, "kasa-status").text.endswith("Connected")
    save_screenshot(browser, tmp_path)

    # SmartHQ: the same, when its simulated cloud exists.
    if smarthq_sim is None:
        warnings.warn("SmartHQ leg skipped: connector.sandbox.smarthq.SimulatedSmartHQ "
                      "does not exist yet")
    else:
        hq_user = smarthq_sim.cloud.create_user(f"hq-browser-{time.time_ns()}@example.com",
                                                "hq-pw")
        browser.find_element(By.ID, "connect-smarthq").click()
        wait_for(browser, EC.url_contains(smarthq_sim.oauth_url + "/oauth2/auth"))
        sign_in(browser, hq_user.username, "hq-pw")
        back_on_link_page(browser, connector, "GE SmartHQ is connected.")
        assert browser.find_element(By.ID, "smarthq-status").text.endswith("Connected")

    # Allow: SmartThings gets a code and its state back.
    browser.find_element(By.ID, "allow").click()
    wait_for(browser, EC.url_contains(redirect_uri + "?"))
    answer = query(browser.current_url)
    assert smartthings.received == [answer]
    assert answer["state"] == "st-browser-state" and answer["code"]

    # SmartThings exchanges the code (HTTP Basic, as some SmartThings stacks do).
    resp = requests.post(connector.url + "/oauth/token", timeout=5, data={
        "grant_type": "authorization_code", "code": answer["code"],
        "redirect_uri": redirect_uri}, auth=(ST_OAUTH_CLIENT_ID, ST_OAUTH_CLIENT_SECRET))
    assert resp.status_code == 200, resp.text
    access_token = resp.json()["access_token"]

    # And discovers the Kasa account's devices with the token.
    started = time.monotonic()
    body = requests.post(connector.url + "/st-schema", json=stclient.discovery(access_token),
                         timeout=10).json()
    assert time.monotonic() - started < 10
    found = {d["externalDeviceId"] for d in body["devices"]}
    assert {f"kasa:{device_id}" for device_id in kasa_user.devices} <= found
    if smarthq_sim is not None:
        # Both partner accounts are linked to the account behind the token.
        account_id = connector.app.extensions["connector"].accounts.resolve(
            access_token).account_id
        links = connector.app.extensions["connector"].accounts.links(account_id)
        assert {(link.backend, link.partner_account_id) for link in links} == {
            ("kasa", kasa_user.account_id), ("smarthq", hq_user.user_id)}


def test_cancel_in_a_browser_returns_access_denied(browser, connector, smartthings):
    redirect_uri = smartthings.url + "/oauth/callback"
    browser.get(connector.url + "/oauth/authorize?" + urlencode({
        "client_id": ST_OAUTH_CLIENT_ID, "response_type": "code",
        "redirect_uri": redirect_uri, "state": "st-cancel"}))
    wait_for(browser, EC.element_to_be_clickable((By.ID, "cancel"))).click()
    wait_for(browser, EC.url_contains(redirect_uri + "?"))
    assert smartthings.received == [{
        "error": "access_denied", "state": "st-cancel",
        "error_description": "The resource owner or authorization server denied the request"}]
