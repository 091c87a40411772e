"""Our OAuth 2.0 authorization server for SmartThings (authlib), and its two endpoints.

* ``GET /oauth/authorize`` validates SmartThings' request (client, redirect URI against
  OAUTH_REDIRECT_URIS, response_type) and hands over to the link page; bad clients or
  redirect URIs get an error page, never a redirect (RFC 6749 §4.1.2.1).
* ``POST /oauth/token``: the authorization-code and refresh-token grants, client
  credentials as HTTP Basic or in the form body.

There is one client (OAUTH_CLIENT_ID/SECRET). Tokens are issued by ``Accounts``, which
stores only their digests; this module never stores a token itself.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload, FlaskOAuth2Request
from authlib.oauth2 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import (
    InsecureTransportError,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
)
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from flask import Blueprint, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from connector import logs
from connector.accounts import AuthError, IssuedTokens
from connector.oauth import pages
from connector.oauth.codes import CodeStore
from connector.oauth.unlink import forget_installation
from connector.oauth.urls import external_url

REFRESH_REUSE_GRACE = 120  # seconds a rotated refresh token may be retried once
GRANT_TYPES = ("authorization_code", "refresh_token")
AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
AUTHORIZE_PARAMS = ("client_id", "response_type", "redirect_uri", "scope", "state")

bp = Blueprint("server", __name__)
log = logs.get_logger(__name__)


class SmartThingsClient(ClientMixin):
    """The one client: SmartThings, with the redirect URIs of OAUTH_REDIRECT_URIS."""

    def __init__(self, client_id: str, client_secret: str, redirect_uris: tuple[str, ...]):
        self.client_id = client_id
        self._secret = client_secret
        self.redirect_uris = redirect_uris

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None  # several are allowed, so SmartThings must name one

    def get_allowed_scope(self, scope):
        return scope or ""  # we have no scopes: one link grants the account's devices

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(client_secret.encode(), self._secret.encode())

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint == "token" and method in AUTH_METHODS

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type in GRANT_TYPES


@dataclass
class Grantee:
    """The resource owner as authlib sees it: one of our accounts."""

    account_id: str
    installation_id: str | None = None  # set once tokens were issued


@dataclass(frozen=True)
class PresentedRefreshToken:
    """A refresh token as presented; ``Accounts.rotate_refresh_token`` judges it."""

    value: str

    def check_client(self, client):
        return True  # one client only; the client was authenticated already

    def get_scope(self):
        # No scopes: whatever scope a refresh request repeats is the one granted.
        return request.values.get("scope", "")


def bearer(issued: IssuedTokens) -> dict:
    return {"access_token": issued.access_token, "token_type": "Bearer",
            "expires_in": issued.expires_in, "refresh_token": issued.refresh_token}


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def save_authorization_code(self, code, request):
        self.server.codes.save(code, client_id=request.client.get_client_id(),
                               redirect_uri=request.payload.redirect_uri, scope=request.scope,
                               account_id=request.user.account_id)

    def generate_authorization_code(self):
        return CodeStore.new_code()

    def query_authorization_code(self, code, client):
        found = self.server.codes.take(code)
        if found is None:
            self.server.void_replayed_code(code)
            return None
        return found if found.client_id == client.get_client_id() else None

    def authenticate_user(self, authorization_code):
        if self.server.accounts.exists(authorization_code.account_id):
            return Grantee(authorization_code.account_id)
        return None

    def delete_authorization_code(self, authorization_code):
        # Already gone (taken on query); remember what it created, for replays.
        self.server.codes.redeemed(authorization_code.digest, self.request.user.installation_id)


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        return PresentedRefreshToken(refresh_token) if refresh_token else None

    def authenticate_user(self, refresh_token):
        return refresh_token  # the owner is found while rotating, atomically

    def issue_token(self, user, refresh_token):
        try:
            issued = self.server.accounts.rotate_refresh_token(refresh_token.value,
                                                              grace=REFRESH_REUSE_GRACE)
        except AuthError as exc:
            log.info("refresh token refused", reason=exc.detail)
            raise InvalidGrantError("The refresh token is invalid, expired or revoked.") from None
        return bearer(issued)

    def revoke_old_credential(self, refresh_token):
        pass  # rotation has spent it


class _ExternalRequest(FlaskOAuth2Request):
    """authlib refuses plain-http URLs; behind TLS-terminating proxies it must see ours."""

    def __init__(self, flask_request):
        OAuth2Request.__init__(self, flask_request.method, external_url(flask_request.full_path),
                               headers=flask_request.headers)
        self._request = flask_request
        self.payload = FlaskOAuth2Payload(flask_request)


class OAuthServer(AuthorizationServer):
    """authlib's server wired to our accounts; one per app (``server()``)."""

    def __init__(self, services):
        super().__init__()  # no init_app: nothing comes from Flask config
        settings = services.settings
        self.services = services
        self.accounts = services.accounts
        self.codes = CodeStore(services.redis, lambda: self.accounts.clock())
        self.client = None
        if settings.oauth_client_id and settings.oauth_client_secret:
            self.client = SmartThingsClient(settings.oauth_client_id,
                                            settings.oauth_client_secret,
                                            settings.oauth_redirect_uris)
        self.register_grant(CodeGrant)
        self.register_grant(RefreshGrant)
        self.register_token_generator("default", self._issue)

    def query_client(self, client_id):
        if self.client and isinstance(client_id, str) and hmac.compare_digest(
                client_id.encode(), self.client.client_id.encode()):
            return self.client
        return None

    def authenticate_client(self, request, methods, endpoint="token"):
        try:
            return super().authenticate_client(request, methods, endpoint)
        except InvalidClientError as caught:
            exc = caught
        except ValueError:  # Basic credentials that do not decode (not UTF-8)
            exc = InvalidClientError()
        # Always 401 with a Basic challenge: we accept Basic, so say so (RFC 6749 §5.2).
        exc.status_code = 401
        exc.description = "Client authentication failed."
        raise exc

    def _issue(self, grant_type, client, user=None, scope=None, expires_in=None,
               include_refresh_token=True):
        issued = self.accounts.issue_tokens(user.account_id)
        user.installation_id = issued.installation_id
        log.info("tokens issued to SmartThings", account=user.account_id,
                 installation=issued.installation_id)
        return bearer(issued)

    def save_token(self, token, request):
        pass  # Accounts stored the digests while issuing

    def void_replayed_code(self, code: str) -> None:
        installation_id = self.codes.replayed(code)
        if installation_id:
            installation = self.accounts.installation(installation_id)
            if installation is not None:
                forget_installation(self.services, installation)
            log.warning("authorization code replayed: its installation was removed",
                        installation=installation_id)

    def create_oauth2_request(self, request):
        if isinstance(request, OAuth2Request):
            return request
        return _ExternalRequest(flask_request())

    def stored_request(self, params: dict) -> OAuth2Request:
        """The authorize request kept in the link session, replayed at Allow/Cancel."""
        req = OAuth2Request("GET", external_url("/oauth/authorize"), headers={})
        req.payload = BasicOAuth2Payload({k: v for k, v in params.items() if v is not None})
        return req


def flask_request():
    return request._get_current_object()


def server() -> OAuthServer:
    ext = current_app.extensions
    if "connector_oauth" not in ext:
        ext["connector_oauth"] = OAuthServer(ext["connector"])
    return ext["connector_oauth"]


def decide(params: dict, account_id: str | None):
    """Answer SmartThings' stored authorize request: a code for ``account_id``, or
    access_denied when it is None. Either way a redirect to SmartThings."""
    srv = server()
    try:
        req = srv.stored_request(params)
        grant = srv.get_consent_grant(req, end_user=None)
    except OAuth2Error as error:
        return _authorize_error(error)
    user = Grantee(account_id) if account_id else None
    return srv.create_authorization_response(req, grant_user=user, grant=grant)


def _authorize_error(error: OAuth2Error):
    if error.redirect_uri:  # the client and its redirect URI are trusted: tell it
        return server().handle_error_response(None, error)
    reason = (error.description or error.error).rstrip(".")
    return pages.message("This link request is not valid",
                         f"SmartThings sent a request we cannot accept ({reason}). "
                         "Please start again from the SmartThings app.", status=400)


@bp.get("/oauth/authorize")
def authorize():
    from connector.oauth import link  # the link page owns the session

    try:
        server().get_consent_grant(end_user=None)
    except OAuth2Error as error:  # InsecureTransportError included: no redirect then
        return _authorize_error(error)
    params = {name: request.args.get(name) for name in AUTHORIZE_PARAMS}
    return link.begin({k: v for k, v in params.items() if v is not None})


@bp.post("/oauth/token")
def token():
    srv = server()
    try:
        return srv.create_token_response()
    except InsecureTransportError as error:  # raised before authlib's own error handling
        return srv.handle_error_response(None, error)
    except RequestEntityTooLarge:  # the form is parsed inside authlib: answer in its terms
        return srv.handle_error_response(None, InvalidRequestError("request body too large"))
