import io
import json

from connector import logs, stclient
from connector.accounts import IssuedTokens, PartnerLink


def capture(app_client, payload):
    stream = io.StringIO()
    logs.configure("INFO", stream=stream)
    app_client.post("/st-schema", data=json.dumps(payload), content_type="application/json")
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_every_request_line_carries_request_context(client, account):
    account_id, tokens = account
    payload = stclient.discovery(tokens.access_token)
    lines = capture(client, payload)
    request_lines = [line for line in lines if line.get("logger", "").startswith("connector")]
    assert request_lines
    for line in request_lines:
        assert line["requestId"] == payload["headers"]["requestId"]
        assert line["interactionType"] == "discoveryRequest"
    assert any(line.get("account") == account_id for line in request_lines)


def test_tokens_and_codes_never_reach_the_log(client, account):
    token = account[1].access_token
    payload = stclient.grant_callback_access(token, "wrong-client", "the-secret-code", "https://evil.example")
    output = json.dumps(capture(client, payload))
    assert token not in output and "the-secret-code" not in output


def test_redact_masks_secret_keys_and_inline_credentials():
    value = {"access_token": "a", "nested": {"clientSecret": "b", "list": [{"code": "c"}]},
             "msg": "sent Bearer abc.def and refresh_token=xyz&x=1", "status_code": 401}
    redacted = logs.redact(value)
    assert redacted["access_token"] == logs.REDACTED
    assert redacted["nested"]["clientSecret"] == logs.REDACTED
    assert redacted["nested"]["list"][0]["code"] == logs.REDACTED
    assert "abc.def" not in redacted["msg"] and "xyz" not in redacted["msg"]
    assert redacted["status_code"] == 401


def test_quoted_credentials_in_text_are_masked():
    for text in ('reply {"access_token": "s3cr3t", "expires_in": 3600}',
                 "reply {'refresh_token': 's3cr3t'}", "access_token='s3cr3t'"):
        assert "s3cr3t" not in logs.redact(text), text
    assert "3600" in logs.redact('{"access_token": "s3cr3t", "expires_in": 3600}')


def test_a_partner_link_or_issued_tokens_never_show_their_tokens_when_printed():
    link = PartnerLink("kasa", "access-s3cr3t", "refresh-s3cr3t", None, "K1")
    issued = IssuedTokens("inst-1", "access-s3cr3t", "refresh-s3cr3t", 60)
    for value in (link, issued):
        assert "s3cr3t" not in repr(value) and "s3cr3t" not in str(value)
    assert "K1" in repr(link)


def test_standard_library_loggers_are_redacted_too():
    import logging

    stream = io.StringIO()
    logs.configure("INFO", stream=stream)
    logging.getLogger("rq.worker").warning("posting with Bearer s3cr3t-token")
    line = json.loads(stream.getvalue())
    assert "s3cr3t-token" not in line["event"]
    assert line["logger"] == "rq.worker"
