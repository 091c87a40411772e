import pytest

from connector.accounts import (
    TOKEN_RETENTION,
    Accounts,
    IntegrationDeleted,
    InvalidToken,
    PartnerLink,
    TokenExpired,
    digest,
)
from connector.store import Vault, VaultError


class Clock:
    def __init__(self, now=1_700_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(redis_client, clock):
    return Accounts(redis_client, Vault(Vault.generate_key()), access_ttl=3600, clock=clock)


def all_values(redis_client):
    """Every string stored anywhere in Redis, to prove what is (not) kept in plaintext."""
    found = []
    for key in redis_client.scan_iter("*"):
        found.append(key)
        kind = redis_client.type(key)
        if kind == "hash":
            found.extend(redis_client.hgetall(key).values())
        elif kind == "set":
            found.extend(redis_client.smembers(key))
        elif kind == "string":
            found.append(redis_client.get(key))
    return " ".join(found)


def test_issued_token_resolves_to_its_installation(store):
    account_id = store.create()
    issued = store.issue_tokens(account_id)
    installation = store.resolve(issued.access_token)
    assert installation.account_id == account_id
    assert installation.id == issued.installation_id


def test_tokens_are_stored_only_as_digests(store, redis_client):
    issued = store.issue_tokens(store.create())
    stored = all_values(redis_client)
    assert issued.access_token not in stored
    assert issued.refresh_token not in stored
    assert digest(issued.access_token) in stored


def test_partner_tokens_are_encrypted_at_rest(store, redis_client):
    account_id = store.create([PartnerLink("kasa", "kasa-access-plain", "kasa-refresh-plain")])
    stored = all_values(redis_client)
    assert "kasa-access-plain" not in stored and "kasa-refresh-plain" not in stored
    assert store.link(account_id, "kasa").access_token == "kasa-access-plain"


def test_unknown_token_is_invalid(store):
    with pytest.raises(InvalidToken):
        store.resolve("no-such-token")


def test_refresh_token_is_not_an_access_token(store):
    issued = store.issue_tokens(store.create())
    with pytest.raises(InvalidToken):
        store.resolve(issued.refresh_token)


def test_expired_token_says_expired_until_retention_ends(store, clock, redis_client):
    issued = store.issue_tokens(store.create())
    clock.now += 3601
    with pytest.raises(TokenExpired):
        store.resolve(issued.access_token)
    ttl = redis_client.ttl(f"stc:tok:{digest(issued.access_token)}")
    assert 0 < ttl  # the record is kept for a while, then Redis drops it
    assert store.resolve_any(issued.access_token).id == issued.installation_id


def test_tokens_stored_for_a_removed_installation_do_not_work(store):
    # A refresh-token rotation racing integrationDeleted: the installation is removed
    # between the rotation's checks and the storing of the new pair.
    account_id = store.create()
    first = store.issue_tokens(account_id)
    store.remove_installation(first.installation_id)
    late = store.issue_tokens(account_id, first.installation_id)
    with pytest.raises(IntegrationDeleted):
        store.resolve(late.access_token)
    with pytest.raises(IntegrationDeleted):
        store.resolve(late.refresh_token, "refresh")


def test_removed_installation_leaves_a_tombstone(store, redis_client):
    account_id = store.create()
    issued = store.issue_tokens(account_id)
    assert store.remove_installation(issued.installation_id)
    with pytest.raises(IntegrationDeleted):
        store.resolve(issued.access_token)
    assert store.resolve_any(issued.access_token) is None
    assert store.resolve_any(issued.access_token, removed=True).account_id == account_id
    assert store.installations(account_id) == []
    assert 0 < redis_client.ttl(f"stc:tok:{digest(issued.access_token)}") <= TOKEN_RETENTION
    assert store.remove_installation(issued.installation_id) is False  # idempotent


def test_deleted_account_answers_integration_deleted(store):
    account_id = store.create([PartnerLink("kasa", "a", "r")])
    issued = store.issue_tokens(account_id)
    assert store.delete(account_id)
    with pytest.raises(IntegrationDeleted):
        store.resolve(issued.access_token)
    assert store.link(account_id, "kasa") is None
    assert account_id not in store.list()
    assert store.delete(account_id) is False


def test_describe_never_shows_secrets(store):
    account_id = store.create([PartnerLink("kasa", "secret-access", "secret-refresh", 123.0, "kasa-user")])
    issued = store.issue_tokens(account_id)
    store.store_callback_grant(issued.installation_id, code="secret-code",
                               callback_urls={"oauthToken": "https://c2c-us.smartthings.com/oauth/token",
                                              "stateCallback": "https://c2c-us.smartthings.com/device/events"})
    info = store.describe(account_id)
    text = repr(info)
    for secret in ("secret-access", "secret-refresh", "secret-code", issued.access_token):
        assert secret not in text
    assert info["links"][0] == {"backend": "kasa", "partner_account_id": "kasa-user", "expires_at": 123.0,
                                "has_refresh_token": True, "needs_relink": False}
    assert info["installations"][0]["callback_urls"]["stateCallback"].endswith("/device/events")


def test_callback_grant_is_sealed_and_readable(store, redis_client):
    issued = store.issue_tokens(store.create())
    store.store_callback_grant(issued.installation_id, code="the-code", callback_urls={"a": "b"})
    assert "the-code" not in all_values(redis_client)
    assert store.callback_grant(issued.installation_id)["code"] == "the-code"


def test_wrong_secret_key_cannot_open_secrets(redis_client, clock):
    writer = Accounts(redis_client, Vault(Vault.generate_key()), clock=clock)
    account_id = writer.create([PartnerLink("kasa", "a")])
    reader = Accounts(redis_client, Vault(Vault.generate_key()), clock=clock)
    with pytest.raises(VaultError):
        reader.link(account_id, "kasa")


def test_issuing_for_unknown_account_fails(store):
    with pytest.raises(KeyError):
        store.issue_tokens("nope")


def test_an_account_created_with_links_is_found_by_its_partner_accounts(store):
    account_id = store.create([PartnerLink("kasa", "a", "r", None, "K1")])
    assert store.partner_holders("kasa", "K1") == [account_id]


def test_a_partner_index_entry_from_before_sets_still_counts(store, redis_client):
    account_id = store.create([PartnerLink("kasa", "a", "r", None, "K1")])
    redis_client.delete("stc:partners:kasa:K1")
    redis_client.set("stc:partner:kasa:K1", account_id)  # as the single-holder index wrote it
    assert store.partner_holders("kasa", "K1") == [account_id]
    assert not redis_client.exists("stc:partner:kasa:K1")  # moved into the set once

