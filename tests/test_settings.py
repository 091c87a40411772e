import pytest

from connector.settings import DEFAULT_REDIRECT_URIS, ConfigError, Settings
from connector.store import Vault

KEY = Vault.generate_key()
PRODUCTION_ENV = {
    "REDIS_URL": "redis://:hunter2@redis.example:6379/0",
    "CONNECTOR_SECRET_KEY": KEY,
    "ST_CLIENT_ID": "st-id",
    "ST_CLIENT_SECRET": "st-secret-value",
    "OAUTH_CLIENT_ID": "oauth-id",
    "OAUTH_CLIENT_SECRET": "oauth-secret-value",
    "KASA_API_KEY": "kasa-api-key-value",
    "KASA_CLIENT_ID": "kasa-id",
    "KASA_CLIENT_SECRET": "kasa-secret-value",
}


def test_defaults_apply_when_environment_is_empty():
    settings = Settings.from_env({})
    assert settings.oauth_redirect_uris == DEFAULT_REDIRECT_URIS
    assert settings.callback_allowed_hosts == ("*.smartthings.com",)
    assert settings.request_deadline < 10
    assert settings.secret_key is None


def test_typed_values_are_parsed():
    settings = Settings.from_env({
        "KASA_POLL_SECONDS": "12.5",
        "CALLBACK_ALLOWED_HOSTS": "c2c-us.smartthings.com, *.example.org",
        "OAUTH_REDIRECT_URIS": "https://a.example/cb,https://b.example/cb",
        "SMARTHQ_PROFILE_IDS": "washer=1111,refrigerator=2222",
        "KASA_API_URL": "http://127.0.0.1:9000/",
    })
    assert settings.kasa_poll_seconds == 12.5
    assert settings.callback_allowed_hosts == ("c2c-us.smartthings.com", "*.example.org")
    assert settings.oauth_redirect_uris == ("https://a.example/cb", "https://b.example/cb")
    assert settings.smarthq_profile_ids == {"washer": "1111", "refrigerator": "2222"}
    assert settings.kasa_api_url == "http://127.0.0.1:9000"  # trailing slash dropped


def test_every_malformed_variable_is_named_at_once():
    with pytest.raises(ConfigError) as info:
        Settings.from_env({
            "REDIS_URL": "http://not-redis",
            "CONNECTOR_SECRET_KEY": "not-a-fernet-key",
            "KASA_POLL_SECONDS": "-3",
            "KASA_API_URL": "ftp://x",
            "CALLBACK_ALLOWED_HOSTS": "https://evil.example/path",
            "SMARTHQ_PROFILE_IDS": "washer",
        })
    named = " ".join(info.value.problems)
    for env in ("REDIS_URL", "CONNECTOR_SECRET_KEY", "KASA_POLL_SECONDS", "KASA_API_URL",
                "CALLBACK_ALLOWED_HOSTS", "SMARTHQ_PROFILE_IDS"):
        assert env in named
    assert len(info.value.problems) == 6


def test_deadline_must_stay_under_smartthings_ceiling():
    with pytest.raises(ConfigError, match="REQUEST_DEADLINE_SECONDS"):
        Settings.from_env({"REQUEST_DEADLINE_SECONDS": "12"})


def test_rate_burst_must_cover_one_metering_device_read():
    # Reading an energy-metering device takes two Kasa requests at once.
    with pytest.raises(ConfigError, match="KASA_RATE_BURST"):
        Settings.from_env({"KASA_RATE_BURST": "1"})
    assert Settings.from_env({"KASA_RATE_BURST": "2"}).kasa_rate_burst == 2


def test_production_problems_name_missing_variables():
    problems = Settings.from_env({}).production_problems({})
    joined = " ".join(problems)
    for env in ("REDIS_URL", "CONNECTOR_SECRET_KEY", "ST_CLIENT_ID", "ST_CLIENT_SECRET",
                "OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET"):
        assert env in joined
    assert "no partner configured" in joined


def test_complete_production_environment_has_no_problems():
    assert Settings.from_env(PRODUCTION_ENV).production_problems(PRODUCTION_ENV) == []


def test_describe_masks_secrets_and_url_passwords():
    shown = dict(Settings.from_env(PRODUCTION_ENV).describe())
    text = repr(shown)
    for secret in ("hunter2", KEY, "st-secret-value", "oauth-secret-value", "kasa-api-key-value",
                   "kasa-secret-value"):
        assert secret not in text
    assert shown["REDIS_URL"] == "redis://:******@redis.example:6379/0"
    assert shown["ST_CLIENT_SECRET"] == "****** (set)"
    assert shown["ST_CLIENT_ID"] == "st-id"


def test_secret_key_may_list_several_keys_for_rotation():
    other = Vault.generate_key()
    settings = Settings.from_env({"CONNECTOR_SECRET_KEY": f"{KEY},{other}"})
    sealed = Vault(other).seal({"a": 1})
    assert Vault(settings.secret_key).open(sealed) == {"a": 1}
