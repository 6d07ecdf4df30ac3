"""How the sink authenticates to the FHIR server: no auth, a static bearer token, or SMART Backend Services
(OAuth2 client credentials with a JWT client assertion signed by our private key, RS384 or ES384).

The SMART access token is cached until shortly before it expires; one lock makes concurrent submissions
share one token request. Nothing here logs or raises with a token, key or assertion in the message.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from shared.stage import StageError

Algorithm = Literal["RS384", "ES384"]
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_S = 300  # SMART: "no more than five minutes in the future"
EXPIRY_MARGIN_S = 30.0  # renew this long before the server would reject the token


class AuthError(StageError):
    """The token endpoint refused or failed. ``retryable`` as for submission errors."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Authenticator(Protocol):
    renewable: bool  # whether a refused credential can be replaced by asking again (401 is then retried)

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        """Request headers that authenticate one call."""
        ...

    def invalidate(self) -> None:
        """Forget a cached credential the server just refused (HTTP 401)."""
        ...


class NoAuth:
    renewable = False

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        return {}

    def invalidate(self) -> None:
        pass


@dataclass(frozen=True)
class StaticBearer:
    token: str
    renewable = False

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def invalidate(self) -> None:
        pass  # nothing to renew: a refused static token stays refused


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise TypeError("SMART backend key must be an RSA or EC private key")
    return key


def sign_jwt(claims: dict[str, object], *, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
             alg: Algorithm, kid: str | None) -> str:
    """A compact JWS (RFC 7515) over ``claims``. ES384 signatures are the raw 96-byte r||s form JWS asks
    for, not the DER that ``cryptography`` returns."""
    header: dict[str, object] = {"alg": alg, "typ": "JWT"}
    if kid:
        header["kid"] = kid
    signing_input = ".".join(
        _b64url(json.dumps(part, separators=(",", ":"), sort_keys=True).encode()) for part in (header, claims)
    ).encode("ascii")
    if alg == "RS384":
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("RS384 needs an RSA key")
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA384())
    elif alg == "ES384":
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp384r1":
            raise ValueError("ES384 needs a P-384 EC key")
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA384())))
        signature = r.to_bytes(48, "big") + s.to_bytes(48, "big")
    else:
        raise ValueError(f"unsupported JWT algorithm {alg}")
    return f"{signing_input.decode('ascii')}.{_b64url(signature)}"


class SmartBackendAuth:
    """SMART Backend Services (client-confidential-asymmetric): a signed client assertion buys an access
    token at ``token_url``; the token is reused until ``EXPIRY_MARGIN_S`` before ``expires_in`` runs out."""

    renewable = True

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
        alg: Algorithm,
        scope: str,
        kid: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._token_url = token_url
        self._client_id = client_id
        self._key = private_key
        self._alg = alg
        self._scope = scope
        self._kid = kid
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.token_requests = 0  # how many times a token was fetched (a count, for tests and metrics)

    def client_assertion(self) -> str:
        now = int(self._clock())
        claims = {
            "iss": self._client_id,
            "sub": self._client_id,
            "aud": self._token_url,
            "exp": now + ASSERTION_LIFETIME_S,
            "iat": now,
            "jti": uuid.uuid4().hex,  # single use: the server may reject a replayed assertion
        }
        return sign_jwt(claims, key=self._key, alg=self._alg, kid=self._kid)

    def invalidate(self) -> None:
        self._token = None

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        async with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                self._token, self._expires_at = await self._fetch(client)
            return {"Authorization": f"Bearer {self._token}"}

    async def _fetch(self, client: httpx.AsyncClient) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "scope": self._scope,
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": self.client_assertion(),
        }
        requested = self._clock()
        try:
            response = await client.post(self._token_url, data=form, headers={"Accept": "application/json"})
        except httpx.TransportError as err:
            raise AuthError(f"token endpoint unreachable ({type(err).__name__})", retryable=True) from None
        if response.status_code != 200:
            # The OAuth error code (e.g. invalid_client) names no secret; the description might echo input.
            code = _oauth_error(response)
            raise AuthError(
                f"token endpoint answered {response.status_code} ({code})",
                retryable=response.status_code >= 500 or response.status_code == 429,
            )
        try:
            body = response.json()
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in", 300))
        except (ValueError, KeyError, TypeError):
            raise AuthError("token endpoint answered without an access_token", retryable=False) from None
        self.token_requests += 1
        return token, requested + max(lifetime - EXPIRY_MARGIN_S, 0.0)


def _oauth_error(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", "unknown")
    except (ValueError, AttributeError):
        return "unknown"
    return str(error)[:40] if str(error).replace("_", "").isalnum() else "unknown"
