"""The link page and the partner sign-in: sessions, CSRF, state, joining known accounts."""
from __future__ import annotations

import time

import pytest

from connector.accounts import PartnerLink
from connector.oauth import linking

from .conftest import ST_REDIRECT, exchange, query


def installations(services, account_id):
    return services.accounts.installations(account_id)


# -- the page -------------------------------------------------------------------------------


def test_the_page_says_who_asks_and_offers_both_partners(linker):
    linker.authorize()
    html = linker.page()
    assert "SmartThings is asking for access" in html
    assert ">Connect Kasa<" in html and ">Connect SmartHQ<" in html
    assert html.count("Not connected") == 2
    assert 'id="allow" disabled' in html  # nothing to allow yet
    assert ">Cancel<" in html
    assert "<script" not in html  # works without JavaScript


def test_the_page_is_not_cacheable_frameable_or_scriptable(linker):
    linker.authorize()
    resp = linker.client.get("/link")
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["X-Frame-Options"] == "DENY"
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert "script-src" not in csp  # falls back to default-src 'none'


def test_the_session_cookie_is_httponly_lax_and_signed(linker):
    resp = linker.authorize()
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    linker.client.set_cookie("stc_link", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert linker.client.get("/link").status_code == 400


def test_without_a_session_the_page_explains_where_to_start(client):
    resp = client.get("/link")
    assert resp.status_code == 400
    assert "Start again from SmartThings" in resp.get_data(as_text=True)


def test_the_session_cookie_is_secure_behind_https(app, config):
    client = app.test_client()
    resp = client.get("/oauth/authorize", base_url="http://connector.example",
                      headers={"X-Forwarded-Proto": "https"}, query_string={
                          "client_id": config["oauth_client_id"], "response_type": "code",
                          "redirect_uri": ST_REDIRECT, "state": "x"})
    assert "Secure" in resp.headers["Set-Cookie"]


# -- CSRF ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/link/kasa/start", "/link/allow", "/link/cancel"])
@pytest.mark.parametrize("token", [None, "forged-token"])
def test_forms_without_the_right_csrf_token_are_refused(linker, path, token):
    linker.authorize()
    data = {} if token is None else {"csrf_token": token}
    resp = linker.client.post(path, data=data)
    assert resp.status_code == 403
    assert "Location" not in resp.headers
    assert linker.client.get("/link").status_code == 200  # the session is still there


def test_a_csrf_token_of_another_session_is_refused(linker, app):
    linker.authorize()
    other = linker.csrf()
    linker.authorize(state="again")  # a new request from SmartThings: a new session
    assert linker.csrf() != other
    assert linker.client.post("/link/allow", data={"csrf_token": other}).status_code == 403


def test_forms_without_a_session_are_refused(client):
    assert client.post("/link/allow", data={"csrf_token": "x"}).status_code == 400


# -- partner sign-in ------------------------------------------------------------------------


def test_connect_kasa_sends_the_browser_to_kasa_with_our_callback(linker, kasa):
    linker.authorize()
    url = linker.start_kasa()
    assert url.startswith(kasa.oauth_url + "/oauth/authorize?")
    params = query(url)
    assert params["scope"] == "device_control" and params["response_type"] == "code"
    assert params["client_id"] == kasa.cloud.client_id
    assert params["redirect_uri"] == "http://localhost/link/kasa/callback"
    assert len(params["state"]) >= 32


def test_the_partner_callback_uses_public_url_when_set(app, services, kasa, linker):
    services.settings = services.settings.replace(public_url="https://connector.example.com")
    linker.authorize()
    assert query(linker.start_kasa())["redirect_uri"] == (
        "https://connector.example.com/link/kasa/callback")


def test_kasa_connected_shows_on_the_page_and_enables_allow(linker, kasa_user):
    linker.authorize()
    linker.connect_kasa(kasa_user)
    html = linker.page()
    assert "TP-Link Kasa is connected." in html
    assert "Connected" in html and ">Reconnect<" in html
    assert 'id="allow" disabled' not in html


def test_a_partner_callback_with_a_wrong_state_is_refused(linker, kasa_user, services):
    linker.authorize()
    back = linker.kasa_sign_in(linker.start_kasa(), kasa_user)
    forged = back.replace("state=", "state=x")
    resp = linker.back_from_partner(forged)
    assert resp.status_code == 400
    assert "could not be verified" in resp.get_data(as_text=True)
    assert "Not connected" in linker.page()
    # The forgery did not cancel the real sign-in: its answer still works.
    assert linker.back_from_partner(back).status_code == 303
    assert "TP-Link Kasa is connected." in linker.page()


def test_a_partner_callback_is_used_once(linker, kasa_user):
    linker.authorize()
    back = linker.kasa_sign_in(linker.start_kasa(), kasa_user)
    assert linker.back_from_partner(back).status_code == 303
    assert linker.back_from_partner(back).status_code == 400


def test_a_partner_callback_from_another_browser_is_refused(linker, kasa_user, app):
    linker.authorize()
    back = linker.kasa_sign_in(linker.start_kasa(), kasa_user)
    stranger = app.test_client()
    assert stranger.get(back.split("localhost", 1)[1]).status_code == 400


def test_declining_at_kasa_comes_back_with_a_notice(linker, kasa_user):
    linker.authorize()
    back = linker.kasa_sign_in(linker.start_kasa(), kasa_user, decision="deny")
    assert "error=access_denied" in back
    assert linker.back_from_partner(back).status_code == 303
    html = linker.page()
    assert "sign-in was cancelled" in html and "Not connected" in html


def test_a_kasa_token_failure_comes_back_with_a_notice(linker, kasa_user, kasa):
    linker.authorize()
    back = linker.kasa_sign_in(linker.start_kasa(), kasa_user)
    kasa.cloud.fail_next(1, 500, path="oauth/access_token")
    assert linker.back_from_partner(back).status_code == 303
    assert "could not be connected" in linker.page()


# -- allow and cancel -----------------------------------------------------------------------


def test_allow_redirects_to_smartthings_with_a_code_and_the_state(linker, kasa_user, client):
    answer = linker.link(kasa_user, state="opaque/state+value=")
    assert answer["state"] == "opaque/state+value="
    assert exchange(client, answer["code"]).status_code == 200


def test_allow_ends_the_session(linker, kasa_user):
    linker.link(kasa_user)
    assert linker.client.get("/link").status_code == 400


def test_allow_without_a_partner_does_nothing(linker, services):
    linker.authorize()
    resp = linker.allow()
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/link")
    assert "Connect at least one account" in linker.page()
    assert services.accounts.list() == []


def test_cancel_redirects_access_denied_with_the_state(linker, kasa_user, services):
    linker.authorize(state="st-cancel")
    linker.connect_kasa(kasa_user)
    resp = linker.client.post("/link/cancel", data={"csrf_token": linker.csrf()})
    assert resp.status_code == 302
    answer = query(resp.headers["Location"])
    assert resp.headers["Location"].startswith(ST_REDIRECT + "?")
    assert answer["error"] == "access_denied" and answer["state"] == "st-cancel"
    assert "code" not in answer
    assert services.accounts.list() == []  # nothing was kept


def test_nothing_is_stored_before_allow(linker, kasa_user, services):
    linker.authorize()
    linker.connect_kasa(kasa_user)
    assert services.accounts.list() == []


# -- joining known accounts -----------------------------------------------------------------


def test_linking_a_known_kasa_account_joins_its_account(linker, kasa_user, client, services):
    first = exchange(client, linker.link(kasa_user)["code"]).get_json()
    second = exchange(client, linker.link(kasa_user, state="second")["code"]).get_json()
    one = services.accounts.resolve(first["access_token"])
    two = services.accounts.resolve(second["access_token"])
    assert one.account_id == two.account_id
    assert one.id != two.id  # two SmartThings links of one account
    assert services.accounts.list() == [one.account_id]
    assert services.accounts.link(one.account_id, "kasa").partner_account_id == kasa_user.account_id


def test_another_kasa_account_gets_its_own_account(linker, kasa, client, services):
    ann = kasa.cloud.create_user(f"ann-{time.time_ns()}@example.com", "pw")
    bob = kasa.cloud.create_user(f"bob-{time.time_ns()}@example.com", "pw")
    exchange(client, linker.link(ann)["code"])
    exchange(client, linker.link(bob, state="bob")["code"])
    assert len(services.accounts.list()) == 2


def test_relinking_replaces_the_stored_kasa_tokens(linker, kasa_user, client, services):
    exchange(client, linker.link(kasa_user)["code"])
    (account_id,) = services.accounts.list()
    before = services.accounts.link(account_id, "kasa").access_token
    exchange(client, linker.link(kasa_user, state="again")["code"])
    assert services.accounts.link(account_id, "kasa").access_token != before


def test_the_page_shows_what_a_known_account_already_has(linker, kasa_user, services):
    exchange(linker.client, linker.link(kasa_user)["code"])
    (account_id,) = services.accounts.list()
    services.accounts.link_partner(account_id, PartnerLink("smarthq", "a", "r", None, "user-1"))
    linker.authorize(state="again")
    linker.connect_kasa(kasa_user)
    assert "Connected earlier" in linker.page()


def test_settle_joins_the_account_holding_most_and_leaves_the_others_their_links(services):
    accounts = services.accounts
    home = accounts.create()
    accounts.link_partner(home, PartnerLink("kasa", "a1", "r1", None, "K1"))
    accounts.link_partner(home, PartnerLink("smarthq", "a2", "r2", None, "S1"))
    other = accounts.create()
    accounts.link_partner(other, PartnerLink("kasa", "a3", "r3", None, "K2"))
    target = linking.settle(accounts, [PartnerLink("kasa", "b1", "s1", None, "K2"),
                                       PartnerLink("smarthq", "b2", "s2", None, "S1")])
    # home holds another Kasa account (K1), so only other can be joined.
    assert target == other
    assert accounts.link(other, "smarthq").partner_account_id == "S1"
    assert accounts.link(home, "smarthq").partner_account_id == "S1"  # not taken away
    assert accounts.partner_holders("smarthq", "S1") == sorted([home, other])
    assert accounts.partner_holders("kasa", "K1") == [home]


def test_someone_knowing_a_shared_kasa_password_never_replaces_anothers_smarthq_link(services):
    accounts = services.accounts
    alice = accounts.create()
    accounts.link_partner(alice, PartnerLink("kasa", "a1", "r1", None, "K-shared"))
    accounts.link_partner(alice, PartnerLink("smarthq", "a2", "r2", None, "S-alice"))
    bob = linking.settle(accounts, [PartnerLink("kasa", "b1", "s1", None, "K-shared"),
                                    PartnerLink("smarthq", "b2", "s2", None, "S-bob")])
    assert bob != alice
    assert accounts.link(alice, "smarthq").partner_account_id == "S-alice"
    assert accounts.link(alice, "kasa").access_token == "a1"
    assert {link.partner_account_id for link in accounts.links(bob)} == {"K-shared", "S-bob"}


def test_a_stale_partner_index_entry_is_ignored(services):
    accounts = services.accounts
    account_id = accounts.create()
    accounts.link_partner(account_id, PartnerLink("kasa", "a", "r", None, "K1"))
    accounts.delete(account_id)
    assert accounts.partner_holders("kasa", "K1") == []
    assert linking.settle(accounts, [PartnerLink("kasa", "a", "r", None, "K1")]) != account_id


# -- SmartHQ ---------------------------------------------------------------------------------


def test_connect_smarthq_asks_for_offline_access(linker, smarthq):
    linker.authorize()
    resp = linker.client.post("/link/smarthq/start", data={"csrf_token": linker.csrf()})
    url = resp.headers["Location"]
    assert url.startswith(smarthq.oauth_url + "/oauth2/auth?")
    params = query(url)
    assert params["access_type"] == "offline" and "scope" not in params
    assert params["redirect_uri"] == "http://localhost/link/smarthq/callback"


def test_kasa_and_smarthq_in_one_go_make_one_account(linker, kasa_user, smarthq_user, services):
    linker.authorize()
    linker.connect_kasa(kasa_user)
    linker.connect_smarthq(smarthq_user)
    assert linker.page().count("✓") == 2
    code = query(linker.allow().headers["Location"])["code"]
    tokens = exchange(linker.client, code).get_json()
    account_id = services.accounts.resolve(tokens["access_token"]).account_id
    link = services.accounts.link(account_id, "smarthq")
    assert link.partner_account_id == smarthq_user.user_id and link.refresh_token
    assert link.expires_at > time.time() + 600


def test_a_known_smarthq_user_joins_its_account(linker, kasa_user, smarthq_user, services):
    linker.authorize()
    linker.connect_kasa(kasa_user)
    linker.connect_smarthq(smarthq_user)
    exchange(linker.client, query(linker.allow().headers["Location"])["code"])
    (account_id,) = services.accounts.list()

    # Later, from another SmartThings location, the user signs in to SmartHQ only.
    linker.authorize(state="second-location")
    linker.connect_smarthq(smarthq_user)
    assert "Connected earlier" in linker.page()  # Kasa comes with the known account
    code = query(linker.allow().headers["Location"])["code"]
    tokens = exchange(linker.client, code).get_json()
    assert services.accounts.resolve(tokens["access_token"]).account_id == account_id
    assert services.accounts.list() == [account_id]
    assert len(services.accounts.installations(account_id)) == 2


def test_the_last_installation_forgets_the_smarthq_link(linker, smarthq_user, services):
    from connector import stclient

    linker.authorize()
    linker.connect_smarthq(smarthq_user)
    tokens = exchange(linker.client, query(linker.allow().headers["Location"])["code"]).get_json()
    (account_id,) = services.accounts.list()
    linker.client.post("/st-schema", json=stclient.integration_deleted(tokens["access_token"]))
    assert services.accounts.links(account_id) == []
    assert services.accounts.partner_holders("smarthq", smarthq_user.user_id) == []
