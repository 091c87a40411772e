"""integrationDeleted: the installation's tokens die; the last one takes the partner links."""
from __future__ import annotations

import redis

from connector import stclient
from connector.accounts import AuthError, PartnerLink
from connector.oauth import linking

from .conftest import exchange


def delete(client, token):
    body = client.post("/st-schema", json=stclient.integration_deleted(token)).get_json()
    assert body["headers"]["interactionType"] == "integrationDeleted"
    assert "globalError" not in body


def linked(linker, client, user, state="s"):
    return exchange(client, linker.link(user, state=state)["code"]).get_json()


def test_the_last_installation_releases_the_kasa_link(linker, client, services, kasa, kasa_user):
    tokens = linked(linker, client, kasa_user)
    (account_id,) = services.accounts.list()
    kasa_token = services.accounts.link(account_id, "kasa").access_token

    delete(client, tokens["access_token"])

    assert kasa.cloud.count("/account/unlink$", "POST") == 1
    assert kasa.cloud.user_for_token(kasa_token) is None  # Kasa revoked it
    assert services.accounts.links(account_id) == []
    assert services.accounts.partner_holders("kasa", kasa_user.account_id) == []
    try:
        services.accounts.resolve(tokens["access_token"])
    except AuthError as exc:
        assert exc.enum == "INTEGRATION-DELETED"
    else:
        raise AssertionError("the token still works")


def test_links_stay_while_another_installation_uses_them(linker, client, services, kasa, kasa_user):
    first = linked(linker, client, kasa_user)
    second = linked(linker, client, kasa_user, state="second")
    (account_id,) = services.accounts.list()

    delete(client, first["access_token"])
    assert kasa.cloud.count("/account/unlink$") == 0
    assert services.accounts.has_link(account_id, "kasa")
    body = client.post("/st-schema", json=stclient.discovery(second["access_token"])).get_json()
    assert len(body["devices"]) == len(kasa_user.devices)

    delete(client, second["access_token"])
    assert not services.accounts.has_link(account_id, "kasa")


def test_links_are_deleted_even_when_the_partner_refuses(linker, client, services, kasa, kasa_user):
    tokens = linked(linker, client, kasa_user)
    (account_id,) = services.accounts.list()
    kasa.cloud.fail_next(3, 500, path="/account/unlink$")

    delete(client, tokens["access_token"])
    assert services.accounts.links(account_id) == []


def test_a_link_of_an_unconfigured_partner_is_just_forgotten(client, services, kasa):
    account_id = services.accounts.create([PartnerLink("smarthq", "a", "r", None, "U1")])
    services.settings = services.settings.replace(smarthq_client_id=None)
    token = services.accounts.issue_tokens(account_id).access_token
    delete(client, token)
    assert services.accounts.links(account_id) == []


def test_deleting_twice_is_harmless(linker, client, kasa_user, kasa):
    tokens = linked(linker, client, kasa_user)
    delete(client, tokens["access_token"])
    delete(client, tokens["access_token"])
    assert kasa.cloud.count("/account/unlink$") == 1


def test_a_retried_integration_deleted_finishes_what_a_failed_one_began(
        linker, client, services, kasa, kasa_user, monkeypatch):
    from connector.oauth import unlink

    tokens = linked(linker, client, kasa_user)
    (account_id,) = services.accounts.list()
    real = unlink.release_if_unused

    def unreachable(*_):
        raise redis.ConnectionError("Redis went away mid-request")

    monkeypatch.setattr(unlink, "release_if_unused", unreachable)
    resp = client.post("/st-schema", json=stclient.integration_deleted(tokens["access_token"]))
    assert resp.status_code == 503  # SmartThings retries
    assert services.accounts.installations(account_id) == []  # removed before the failure
    assert services.accounts.links(account_id) != []

    monkeypatch.setattr(unlink, "release_if_unused", real)
    delete(client, tokens["access_token"])
    assert services.accounts.links(account_id) == []
    assert kasa.cloud.count("/account/unlink$", "POST") == 1


def test_a_replayed_code_removes_its_installation_and_releases_an_unused_account(
        linker, client, services, kasa, kasa_user):
    code = linker.link(kasa_user)["code"]
    assert exchange(client, code).status_code == 200
    (account_id,) = services.accounts.list()
    assert exchange(client, code).status_code == 400
    assert services.accounts.installations(account_id) == []
    assert services.accounts.links(account_id) == []


def test_an_account_sharing_a_kasa_login_keeps_it_when_the_other_is_removed(
        linker, client, services, kasa, kasa_user):
    # Alice links Kasa and SmartHQ; Bob, knowing the household Kasa password, links the
    # same Kasa login with a SmartHQ user of his own: a second account.
    alice_tokens = linked(linker, client, kasa_user)
    (alice,) = services.accounts.list()
    services.accounts.link_partner(alice, PartnerLink("smarthq", "a", "r", None, "alice-smarthq-user"))
    bob = linking.settle(services.accounts, [
        PartnerLink("kasa", "bob-access", "bob-refresh", None, kasa_user.account_id),
        PartnerLink("smarthq", "s", "r", None, "bob-smarthq-user")])
    bob_tokens = services.accounts.issue_tokens(bob)
    assert bob != alice
    delete(client, bob_tokens.access_token)
    assert kasa.cloud.count("/account/unlink$", "POST") == 0  # Alice still uses the login
    assert services.accounts.links(bob) == []
    assert services.accounts.partner_holders("kasa", kasa_user.account_id) == [alice]
    assert not services.accounts.link(alice, "kasa").needs_relink
    # Alice's removal, the login's last, unlinks it at Kasa.
    delete(client, alice_tokens["access_token"])
    assert kasa.cloud.count("/account/unlink$", "POST") == 1

