"""The simulated SmartHQ identity server (smarthq-api.md §1) over real HTTP."""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connector.sandbox.smarthq import SmartHQCloud, SimulatedSmartHQ

from .test_smarthq_sim import REDIRECT, Api, assert_error, clock, user  # noqa: F401 (fixtures)


class FormParser(HTMLParser):
    """The sign-in page's form: its action, its fields, and whether it has a script."""

    def __init__(self):
        super().__init__()
        self.action, self.fields, self.buttons, self.script = None, {}, [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action")
        elif tag == "input":
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "button":
            self.buttons.append((a.get("name"), a.get("value")))
        elif tag == "script" or any(k.startswith("on") for k in a):
            self.script = True


@pytest.fixture
def cloud(clock):  # noqa: F811
    return SmartHQCloud(clock=clock, redirect_uris=[REDIRECT])


@pytest.fixture
def sim(cloud):
    with SimulatedSmartHQ(cloud) as running:
        yield running


def auth_params(cloud, **over):
    params = {"client_id": cloud.client_id, "response_type": "code", "access_type": "offline",
              "redirect_uri": REDIRECT, "state": "st-123"}
    params.update(over)
    return {k: v for k, v in params.items() if v is not None}


def sign_in(sim, cloud, *, authorized="yes", username="ann@example.com",
            password="ann-password", **over):
    """Load the page, submit its form as a browser would; the response (not followed)."""
    page = requests.get(sim.oauth_url + "/oauth2/auth", params=auth_params(cloud, **over), timeout=5)
    form = FormParser()
    form.feed(page.text)
    data = dict(form.fields, username=username, password=password, authorized=authorized)
    return requests.post(sim.base_url + form.action, data=data, allow_redirects=False, timeout=5)


def code_from(response) -> str:
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def token(sim, **form):
    return requests.post(sim.oauth_url + "/oauth2/token", data=form, timeout=5)


def exchange(sim, cloud, code, **over):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": cloud.client_id, "client_secret": cloud.client_secret}
    form.update(over)
    return token(sim, **{k: v for k, v in form.items() if v is not None})


def refresh(sim, cloud, refresh_token):
    return token(sim, grant_type="refresh_token", refresh_token=refresh_token,
                 client_id=cloud.client_id, client_secret=cloud.client_secret)


def test_auth_page_is_a_plain_form_that_posts_the_request_along(sim, cloud, user):
    page = requests.get(sim.oauth_url + "/oauth2/auth", params=auth_params(cloud), timeout=5)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    form = FormParser()
    form.feed(page.text)
    assert form.script is False
    assert form.action.endswith("/accounts/oauth2/code")
    assert form.fields["state"] == "st-123" and form.fields["redirect_uri"] == REDIRECT
    assert ("authorized", "yes") in form.buttons and ("authorized", "no") in form.buttons


def test_allow_redirects_with_code_state_and_expires_in(sim, cloud, user):
    response = sign_in(sim, cloud)
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["st-123"] and query["expires_in"] == ["600"]
    assert query["code"][0]


def test_deny_redirects_with_the_documented_error(sim, cloud, user):
    response = sign_in(sim, cloud, authorized="no")
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["invalid_request"]
    assert query["error_description"] == ["User did not authorize access."]
    assert "code" not in query
    assert "error_description=User+did+not+authorize+access." in response.headers["Location"]


def test_wrong_password_shows_the_form_again_with_401(sim, cloud, user):
    response = sign_in(sim, cloud, password="wrong")
    assert response.status_code == 401 and "Incorrect email or password" in response.text


@pytest.mark.parametrize("over, status, body", [
    ({"response_type": None}, 400,
     {"error": "No response_type parameter",
      "error_description": "Error: invalid_request. Missing response_type parameter value"}),
    ({"client_id": "someone-else"}, 401, None),
    ({"redirect_uri": "https://evil.example.com/cb"}, 400, None),
    ({"response_type": "token"}, 400, None),
])
def test_bad_authorization_requests_are_answered_not_redirected(sim, cloud, over, status, body):
    response = requests.get(sim.oauth_url + "/oauth2/auth", params=auth_params(cloud, **over),
                            allow_redirects=False, timeout=5)
    assert response.status_code == status
    if body is not None:
        assert response.json() == body
    assert set(response.json()) == {"error", "error_description"}


def test_code_exchange_returns_a_bearer_token_pair_living_an_hour(sim, cloud, user):
    response = exchange(sim, cloud, code_from(sign_in(sim, cloud)))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "access_token", "refresh_token"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    assert body["access_token"].count(".") == 2  # JWT-shaped
    assert response.headers["Cache-Control"] == "no-store"
    api = Api(sim, body["access_token"])
    assert api.get("/v2/device").status_code == 200
    cloud.advance(3599)
    assert api.get("/v2/device").status_code == 200
    cloud.advance(1)
    assert_error(api.get("/v2/device"), 401)


def test_a_code_is_single_use(sim, cloud, user):
    code = code_from(sign_in(sim, cloud))
    assert exchange(sim, cloud, code).status_code == 200
    again = exchange(sim, cloud, code)
    assert (again.status_code, again.json()) == (400, {
        "error": "invalid_request", "error_description": "Invalid code parameter"})


def test_a_code_expires_after_600_seconds(sim, cloud, user):
    code = code_from(sign_in(sim, cloud))
    cloud.advance(600)
    assert exchange(sim, cloud, code).json()["error_description"] == "Invalid code parameter"


def test_code_exchange_with_another_redirect_uri_is_refused(sim, cloud, user):
    response = exchange(sim, cloud, code_from(sign_in(sim, cloud)),
                        redirect_uri="https://elsewhere.example.com/cb")
    assert response.status_code == 400
    assert response.json()["error_description"].startswith("Invalid redirection uri")


def test_online_access_gets_no_refresh_token(sim, cloud, user):
    body = exchange(sim, cloud, code_from(sign_in(sim, cloud, access_type="online"))).json()
    assert "refresh_token" not in body and body["access_token"]


@pytest.mark.parametrize("form, status, description", [
    ({}, 400, "Missing grant_type parameter value"),
    ({"grant_type": "password"}, 400, "Invalid grant_type parameter value"),
    ({"grant_type": "authorization_code", "code": "c", "redirect_uri": REDIRECT,
      "client_secret": "s"}, 400, "Missing parameters: client_id"),
    ({"grant_type": "authorization_code", "code": "c", "client_id": "i", "client_secret": "s"},
     400, "Missing parameters: redirect_uri"),
    ({"grant_type": "authorization_code", "redirect_uri": REDIRECT, "client_id": "i",
      "client_secret": "s"}, 400, "Missing parameters: code"),
    ({"grant_type": "refresh_token", "client_id": "i", "client_secret": "s"}, 400,
     "Missing parameters: refresh_token"),
])
def test_token_errors_have_the_documented_bodies(sim, form, status, description):
    response = token(sim, **form)
    assert (response.status_code, response.json()) == (status, {
        "error": "invalid_request", "error_description": description})


def test_bad_client_credentials_are_401(sim, cloud, user):
    code = code_from(sign_in(sim, cloud))
    wrong_id = exchange(sim, cloud, code, client_id="nobody")
    assert (wrong_id.status_code, wrong_id.json()["error_description"]) == (401, "ClientId is Invalid")
    wrong_secret = exchange(sim, cloud, code, client_secret="guess")
    assert (wrong_secret.status_code, wrong_secret.json()) == (401, {
        "error": "invalid_request", "error_description": "ClientSecret is Invalid"})


def test_client_credentials_may_come_as_http_basic(sim, cloud, user):
    code = code_from(sign_in(sim, cloud))
    response = requests.post(sim.oauth_url + "/oauth2/token", timeout=5,
                             auth=(cloud.client_id, cloud.client_secret),
                             data={"grant_type": "authorization_code", "code": code,
                                   "redirect_uri": REDIRECT})
    assert response.status_code == 200


def test_refresh_rotates_the_refresh_token_and_revokes_the_old_one(sim, cloud, user):
    first = exchange(sim, cloud, code_from(sign_in(sim, cloud))).json()
    second = refresh(sim, cloud, first["refresh_token"])
    body = second.json()
    assert second.status_code == 200 and body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    reused = refresh(sim, cloud, first["refresh_token"])
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    assert refresh(sim, cloud, body["refresh_token"]).status_code == 200


@pytest.mark.parametrize("mode", ["keep", "omit"])
def test_refresh_rotation_can_keep_or_omit_the_refresh_token(sim, cloud, user, mode):
    cloud.set_refresh_rotation(mode)
    old = exchange(sim, cloud, code_from(sign_in(sim, cloud))).json()["refresh_token"]
    body = refresh(sim, cloud, old).json()
    if mode == "keep":
        assert body["refresh_token"] == old
    else:
        assert "refresh_token" not in body
    assert refresh(sim, cloud, old).status_code == 200  # the old one still works


def test_revoked_refresh_tokens_are_refused(sim, cloud, user):
    r1 = cloud.issue_tokens(user)[1]
    r2 = cloud.issue_tokens(user)[1]
    cloud.revoke_refresh_token(r1)
    assert refresh(sim, cloud, r1).json() == {"error": "invalid_grant",
                                              "error_description": "Invalid refresh_token parameter"}
    assert cloud.revoke_refresh_tokens(user) == 1
    assert refresh(sim, cloud, r2).status_code == 400


def test_the_bad_refresh_token_error_can_be_invalid_request(clock):  # noqa: F811
    other = SmartHQCloud(clock=clock, refresh_error="invalid_request")
    with SimulatedSmartHQ(other) as running:
        response = refresh(running, other, "1/unknown")
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


def test_register_page_creates_an_account_and_links_it(sim, cloud):
    params = auth_params(cloud)
    page = requests.get(sim.oauth_url + "/oauth2/register", params=params, timeout=5)
    form = FormParser()
    form.feed(page.text)
    data = dict(form.fields, username="new@example.com", password="pw", authorized="yes")
    response = requests.post(sim.base_url + form.action, data=data, allow_redirects=False, timeout=5)
    body = exchange(sim, cloud, code_from(response)).json()
    assert Api(sim, body["access_token"]).get("/v2/device").json()["total"] == 8


def test_applogout_redirects_back_with_logout_success(sim, cloud):
    response = requests.get(sim.oauth_url + "/oauth2/applogout", allow_redirects=False, timeout=5,
                            params={"state": "s1", "redirect_uri": REDIRECT})
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query) == {
        "logout": ["success"], "state": ["s1"]}


def test_token_requests_are_recorded_with_secrets_masked(sim, cloud, user):
    exchange(sim, cloud, code_from(sign_in(sim, cloud)))
    [record] = cloud.requests(r"/oauth2/token$", "POST")
    assert record.form["client_secret"] == "[redacted]" and record.form["code"] == "[redacted]"
    assert record.form["client_id"] == cloud.client_id and record.status == 200
    [submit] = cloud.requests(r"/oauth2/code$")
    assert submit.form["password"] == "[redacted]"
