"""Bearer tokens: verification, claims, access scopes, keys (design §4)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from adapters.keys import dev_key_path, key_id, load_or_create_signing_key
from adapters.settings import ConfigurationError, Settings
from api.auth import (
    ANONYMOUS,
    AccessLevel,
    AuthSettings,
    InvalidTokenError,
    KeySourceUnavailableError,
    Principal,
    TokenIssuer,
    TokenVerifier,
)
from domain.errors import ActorNotAllowedError
from domain.values import Actor, Role

PROVINCE = "000.00.00.H34"
DEPARTMENT = "000.00.12.H34"
DIVISION = "000.01.12.H34"
OTHER_DEPARTMENT = "000.00.13.H34"
OTHER_PROVINCE = "000.00.12.H35"


@pytest.fixture
def settings(tmp_path: Path) -> AuthSettings:
    return AuthSettings(data_dir=tmp_path)


@pytest.fixture
def issuer(settings: AuthSettings) -> TokenIssuer:
    return TokenIssuer.from_settings(settings)


@pytest.fixture
def verifier(settings: AuthSettings) -> TokenVerifier:
    return TokenVerifier(settings)


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "iss": "motcua",
        "aud": "motcua-api",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": "t-1",
        "sub": "012345678901",
        "role": "citizen",
        "eid_level": 2,
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def sign(issuer: TokenIssuer, **overrides: Any) -> str:
    """A token signed with the right key whose claims the test chooses."""
    return jwt.encode(
        claims(**overrides), issuer.key, algorithm="ES256", headers={"kid": issuer.kid}
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: dict[str, Any]) -> str:
    return b64(json.dumps(value).encode())


# --- round trips ------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "kwargs", "expected"),
    [
        ("anonymous", {}, Principal(AccessLevel.ANONYMOUS)),
        (
            "citizen",
            {"subject": "012345678901", "eid_level": 2},
            Principal(
                AccessLevel.CITIZEN, "012345678901", eid_level=2, issuer="motcua"
            ),
        ),
        (
            "citizen",
            {"subject": "0101234567-001", "eid_level": 1},
            Principal(
                AccessLevel.CITIZEN, "0101234567-001", eid_level=1, issuer="motcua"
            ),
        ),
        (
            "officer",
            {
                "subject": "nv.an",
                "agency": DEPARTMENT,
                "department": "Văn phòng",
                "roles": (Role.SPECIALIST, Role.DESK),
            },
            Principal(
                AccessLevel.OFFICER,
                "nv.an",
                DEPARTMENT,
                "Văn phòng",
                (Role.SPECIALIST, Role.DESK),
            ),
        ),
        ("monitor", {"subject": "monitor"}, Principal(AccessLevel.MONITOR, "monitor")),
        (
            "reviewer",
            {"subject": "thanh-tra", "agency": PROVINCE},
            Principal(AccessLevel.REVIEWER, "thanh-tra", PROVINCE),
        ),
    ],
)
def test_an_issued_token_verifies_to_its_principal(
    issuer: TokenIssuer,
    verifier: TokenVerifier,
    role: str,
    kwargs: dict[str, Any],
    expected: Principal,
) -> None:
    issued = time.time()
    principal = verifier.verify(issuer.issue(role, **kwargs))
    assert principal.token_id
    # Valid until exp (1 h by default) plus the verifier's leeway.
    assert principal.valid_until is not None
    leeway = verifier.settings.leeway_seconds
    assert abs(principal.valid_until - (int(issued) + 3600 + leeway)) <= 2
    assert principal == Principal(
        **{
            **expected.__dict__,
            "token_id": principal.token_id,
            "valid_until": principal.valid_until,
        }
    )


def test_issued_tokens_carry_the_kid_and_es256(issuer: TokenIssuer) -> None:
    header = jwt.get_unverified_header(issuer.issue(AccessLevel.MONITOR, "m"))
    assert header["alg"] == "ES256"
    assert header["kid"] == issuer.kid


def test_a_token_a_little_past_expiry_is_within_leeway(
    issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    now = datetime.now(UTC)
    token = sign(
        issuer, iat=now - timedelta(minutes=5), exp=now - timedelta(seconds=10)
    )
    assert verifier.verify(token).subject == "012345678901"


def test_the_issuer_refuses_to_sign_what_the_verifier_would_refuse(
    issuer: TokenIssuer,
) -> None:
    with pytest.raises(InvalidTokenError):
        issuer.issue(AccessLevel.CITIZEN, subject="12345", eid_level=2)
    with pytest.raises(InvalidTokenError):
        issuer.issue(AccessLevel.OFFICER, subject="x", agency=DEPARTMENT)
    with pytest.raises(InvalidTokenError):
        issuer.issue("admin", subject="x")
    with pytest.raises(InvalidTokenError):
        issuer.issue(AccessLevel.MONITOR, subject="m", ttl=timedelta(0))


# --- refused tokens ---------------------------------------------------------


def test_a_token_signed_by_another_key_is_refused(
    issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    forger = TokenIssuer(ec.generate_private_key(ec.SECP256R1()), issuer.kid)
    with pytest.raises(InvalidTokenError):
        verifier.verify(forger.issue(AccessLevel.MONITOR, subject="monitor"))


def test_a_tampered_payload_is_refused(
    issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    token = issuer.issue(AccessLevel.CITIZEN, subject="012345678901", eid_level=2)
    header, _, signature = token.split(".")
    payload = jwt.decode(token, options={"verify_signature": False})
    payload.update(sub="098765432109")
    with pytest.raises(InvalidTokenError):
        verifier.verify(f"{header}.{segment(payload)}.{signature}")


# Times are taken when the test runs, not when it is collected: a long
# session would otherwise turn "two minutes ahead" into the past.
@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param(lambda now: {"exp": now - timedelta(minutes=2)}, id="expired"),
        pytest.param(lambda now: {"nbf": now + timedelta(minutes=2)}, id="future-nbf"),
        pytest.param(lambda now: {"iat": now + timedelta(minutes=2)}, id="future-iat"),
        pytest.param(lambda now: {"iss": "someone-else"}, id="wrong-issuer"),
        pytest.param(lambda now: {"aud": "other-api"}, id="wrong-audience"),
    ],
)
def test_time_issuer_and_audience_are_checked(
    issuer: TokenIssuer,
    verifier: TokenVerifier,
    overrides: Callable[[datetime], dict[str, Any]],
) -> None:
    with pytest.raises(InvalidTokenError):
        verifier.verify(sign(issuer, **overrides(datetime.now(UTC))))


@pytest.mark.parametrize("missing", ["exp", "iat", "iss", "aud", "role", "sub"])
def test_missing_required_claims_are_refused(
    issuer: TokenIssuer, verifier: TokenVerifier, missing: str
) -> None:
    token = jwt.encode(
        {k: v for k, v in claims().items() if k != missing}, issuer.key, "ES256"
    )
    with pytest.raises(InvalidTokenError):
        verifier.verify(token)


def test_alg_none_is_refused(verifier: TokenVerifier) -> None:
    header = segment({"alg": "none", "typ": "JWT"})
    payload = segment(
        jwt.decode(
            jwt.encode(claims(), "k" * 32), "k" * 32, ["HS256"], audience="motcua-api"
        )
    )
    for token in (f"{header}.{payload}.", f"{header}.{payload}"):
        with pytest.raises(InvalidTokenError):
            verifier.verify(token)


def test_hs256_signed_with_the_public_key_is_refused(
    issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    pem = issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(datetime.now(UTC).timestamp())
    body = claims(iat=now, exp=now + 300)
    signing_input = f"{segment({'alg': 'HS256', 'typ': 'JWT'})}.{segment(body)}"
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidTokenError):
        verifier.verify(f"{signing_input}.{b64(mac)}")


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"role": "admin"}, id="unknown-role"),
        pytest.param({"role": ["citizen"]}, id="role-not-a-string"),
        pytest.param({"sub": "12345"}, id="short-subject"),
        pytest.param({"sub": "01234567890123"}, id="14-digits"),
        pytest.param({"sub": "0123456789-01"}, id="short-branch"),
        pytest.param({"sub": "01234567890a"}, id="letters"),
        pytest.param({"sub": "٠١٢٣٤٥٦٧٨٩٠١"}, id="non-ascii-digits"),
        pytest.param({"sub": "012345678901\n"}, id="trailing-newline"),
        pytest.param({"sub": "0101234567-01"}, id="bad-branch-suffix"),
        pytest.param({"eid_level": 3}, id="eid-level-3"),
        pytest.param({"eid_level": None}, id="eid-level-missing"),
        pytest.param({"eid_level": True}, id="eid-level-bool"),
        pytest.param(
            {"role": "officer", "sub": "o", "roles": ["desk"]}, id="officer-no-agency"
        ),
        pytest.param(
            {"role": "officer", "sub": "o", "agency": "H34", "roles": ["desk"]},
            id="officer-bad-agency",
        ),
        pytest.param(
            {"role": "officer", "sub": "o", "agency": DEPARTMENT}, id="officer-no-roles"
        ),
        pytest.param(
            {"role": "officer", "sub": "o", "agency": DEPARTMENT, "roles": []},
            id="officer-empty-roles",
        ),
        pytest.param(
            {"role": "officer", "sub": "o", "agency": DEPARTMENT, "roles": ["admin"]},
            id="officer-unknown-role",
        ),
        pytest.param(
            {"role": "officer", "sub": "o", "agency": DEPARTMENT, "roles": ["citizen"]},
            id="officer-citizen-role",
        ),
        pytest.param(
            {"role": "officer", "sub": "o", "agency": DEPARTMENT, "roles": "desk"},
            id="officer-roles-not-a-list",
        ),
        pytest.param(
            {"role": "monitor", "sub": "m", "agency": "000.01.00.H34"},
            id="monitor-bad-scope",
        ),
        pytest.param(
            {"role": "reviewer", "sub": "r", "department": 7}, id="department-not-text"
        ),
    ],
)
def test_bad_claims_are_refused(
    issuer: TokenIssuer, verifier: TokenVerifier, overrides: dict[str, Any]
) -> None:
    with pytest.raises(InvalidTokenError):
        verifier.verify(sign(issuer, **overrides))


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "e30.e30.", "x" * 9000])
def test_garbage_is_refused(verifier: TokenVerifier, token: str) -> None:
    with pytest.raises(InvalidTokenError):
        verifier.verify(token)


def test_the_refusal_is_labelled_in_both_languages(verifier: TokenVerifier) -> None:
    with pytest.raises(InvalidTokenError) as caught:
        verifier.verify("abc")
    assert caught.value.message("vi") == "Mã xác thực không hợp lệ hoặc đã hết hạn"
    assert caught.value.message("en") == "Invalid or expired token"


# --- other key sources ------------------------------------------------------


def test_a_pem_public_key_file_verifies_rs256(tmp_path: Path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "idp.pem"
    key_file.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    verifier = TokenVerifier(AuthSettings(data_dir=tmp_path, public_key_file=key_file))
    assert (
        verifier.verify(jwt.encode(claims(), private, "RS256")).level
        is AccessLevel.CITIZEN
    )
    local = TokenIssuer.from_settings(AuthSettings(data_dir=tmp_path / "other"))
    with pytest.raises(InvalidTokenError):
        verifier.verify(local.issue(AccessLevel.MONITOR, subject="m"))
    assert not dev_key_path(tmp_path).exists()


def test_an_unusable_public_key_file_is_a_configuration_error(tmp_path: Path) -> None:
    key_file = tmp_path / "idp.pem"
    key_file.write_text("not a key")
    with pytest.raises(ConfigurationError):
        TokenVerifier(AuthSettings(data_dir=tmp_path, public_key_file=key_file))
    with pytest.raises(ConfigurationError):
        TokenVerifier(AuthSettings(data_dir=tmp_path, public_key_file=tmp_path / "no"))


def public_jwks(
    key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey,
    kid: str | None = None,
) -> dict[str, Any]:
    """A JWKS document (``{"keys": [...]}``) holding only the public part, as
    an identity provider publishes it."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    jwk: dict[str, Any] = jwt.algorithms.ECAlgorithm.to_jwk(public, as_dict=True)
    jwk.update(kid=kid or key_id(public), use="sig", alg="ES256")
    return {"keys": [jwk]}


@pytest.fixture
def jwks_server(issuer: TokenIssuer) -> Iterator[str]:
    body = json.dumps(public_jwks(issuer.key, issuer.kid)).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def test_a_jwks_url_verifies_through_pyjwkclient(
    issuer: TokenIssuer, jwks_server: str, tmp_path: Path
) -> None:
    verifier = TokenVerifier(
        AuthSettings(data_dir=tmp_path / "api", jwks_url=jwks_server)
    )
    token = issuer.issue(AccessLevel.OFFICER, "o", DEPARTMENT, roles=(Role.LEADER,))
    assert verifier.verify(token).roles == (Role.LEADER,)
    forger = TokenIssuer(ec.generate_private_key(ec.SECP256R1()), issuer.kid)
    with pytest.raises(InvalidTokenError):
        verifier.verify(forger.issue(AccessLevel.MONITOR, subject="m"))
    stranger = TokenIssuer(ec.generate_private_key(ec.SECP256R1()), "unknown-kid")
    with pytest.raises(InvalidTokenError):
        verifier.verify(stranger.issue(AccessLevel.MONITOR, subject="m"))


def test_an_unreachable_jwks_url_is_reported_as_unavailable(
    issuer: TokenIssuer, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    verifier = TokenVerifier(
        AuthSettings(data_dir=tmp_path, jwks_url=f"http://127.0.0.1:{port}/jwks")
    )
    with pytest.raises(KeySourceUnavailableError):
        verifier.verify(issuer.issue(AccessLevel.MONITOR, subject="m"))


def test_settings_come_from_motcua_options(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_JWT_ISSUER": "https://sso.kontum.gov.vn",
            "MOTCUA_JWT_AUDIENCE": "motcua-h34",
            "MOTCUA_JWT_JWKS_URL": "https://sso.kontum.gov.vn/jwks",
        }
    )
    assert AuthSettings.from_settings(settings) == AuthSettings(
        issuer="https://sso.kontum.gov.vn",
        audience="motcua-h34",
        data_dir=tmp_path,
        jwks_url="https://sso.kontum.gov.vn/jwks",
    )
    assert AuthSettings.from_settings(Settings.from_env({})) == AuthSettings()


@pytest.mark.parametrize("algorithms", [("HS256",), ("none",), ("ES256", "HS512"), ()])
def test_symmetric_or_no_algorithms_are_a_configuration_error(
    algorithms: tuple[str, ...],
) -> None:
    with pytest.raises(ConfigurationError):
        AuthSettings(algorithms=algorithms)


def test_a_non_http_jwks_url_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        TokenVerifier(AuthSettings(data_dir=tmp_path, jwks_url="file:///etc/passwd"))


# --- principals -------------------------------------------------------------


OFFICER = Principal(
    AccessLevel.OFFICER,
    "nv.an",
    DEPARTMENT,
    "Văn phòng",
    (Role.SPECIALIST, Role.LEADER),
)
CITIZEN = Principal(AccessLevel.CITIZEN, "012345678901", eid_level=2)


def test_actors_for_commands() -> None:
    assert CITIZEN.actor_for() == Actor("012345678901", Role.CITIZEN)
    assert OFFICER.actor_for() == Actor(
        "nv.an", Role.SPECIALIST, DEPARTMENT, "Văn phòng"
    )
    assert OFFICER.actor_for(Role.LEADER).role is Role.LEADER
    for principal, role in [
        (OFFICER, Role.DESK),
        (OFFICER, Role.CITIZEN),
        (CITIZEN, Role.DESK),
        (ANONYMOUS, None),
        (Principal(AccessLevel.MONITOR, "m"), None),
        (Principal(AccessLevel.REVIEWER, "r"), None),
    ]:
        with pytest.raises(ActorNotAllowedError):
            principal.actor_for(role)


def test_officers_see_their_agency_subtree_only() -> None:
    assert OFFICER.can_see_agency(DEPARTMENT)
    assert OFFICER.can_see_agency(DIVISION)
    assert not OFFICER.can_see_agency(PROVINCE)
    assert not OFFICER.can_see_agency(OTHER_DEPARTMENT)
    assert not OFFICER.can_see_agency(OTHER_PROVINCE)
    assert not OFFICER.can_see_agency("not-a-code")


def test_reviewers_monitors_citizens_and_anonymous_scopes() -> None:
    assert Principal(AccessLevel.REVIEWER, "r", PROVINCE).can_see_agency(DIVISION)
    assert not Principal(AccessLevel.REVIEWER, "r", PROVINCE).can_see_agency(
        OTHER_PROVINCE
    )
    assert Principal(AccessLevel.REVIEWER, "r").can_see_agency(OTHER_PROVINCE)
    assert not Principal(AccessLevel.MONITOR, "m", PROVINCE).can_see_agency(PROVINCE)
    assert not CITIZEN.can_see_agency(PROVINCE)
    assert not ANONYMOUS.can_see_agency(PROVINCE)


def test_only_the_citizen_owns_their_dossiers() -> None:
    assert CITIZEN.owns("012345678901")
    assert not CITIZEN.owns("098765432109")
    assert not CITIZEN.owns(None)
    assert not OFFICER.owns("nv.an")
    assert not ANONYMOUS.owns(None)


# --- the local key ----------------------------------------------------------


def test_the_dev_key_is_created_private_once_and_reused(tmp_path: Path) -> None:
    key, kid = load_or_create_signing_key(tmp_path)
    path = dev_key_path(tmp_path)
    assert path == tmp_path / "keys" / "dev-signing-key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_bytes()
    again, same_kid = load_or_create_signing_key(tmp_path)
    assert same_kid == kid
    assert again.private_numbers() == key.private_numbers()
    assert path.read_bytes() == content
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_racing_creators_all_get_the_same_key(tmp_path: Path) -> None:
    barrier = threading.Barrier(8)
    kids: list[str] = []

    def create() -> None:
        barrier.wait()
        kids.append(load_or_create_signing_key(tmp_path)[1])

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(kids) == 8
    assert len(set(kids)) == 1
    assert [p.name for p in dev_key_path(tmp_path).parent.iterdir()] == [
        "dev-signing-key.pem"
    ]


def test_the_jwks_holds_only_the_public_key(tmp_path: Path) -> None:
    key, kid = load_or_create_signing_key(tmp_path)
    jwks = public_jwks(key, kid)
    (jwk,) = jwks["keys"]
    assert jwk["kid"] == kid
    assert jwk["alg"] == "ES256"
    assert "d" not in jwk
    assert public_jwks(key.public_key()) == jwks
    assert jwt.PyJWK(jwk).key.public_numbers() == key.public_key().public_numbers()


def test_a_corrupt_key_file_is_a_configuration_error(tmp_path: Path) -> None:
    dev_key_path(tmp_path).parent.mkdir(parents=True)
    dev_key_path(tmp_path).write_text("garbage")
    with pytest.raises(ConfigurationError):
        load_or_create_signing_key(tmp_path)


def test_a_remembered_token_is_refused_once_it_expires(tmp_path: Path) -> None:
    """Verified tokens are remembered only until their expiry (plus leeway)."""
    settings = AuthSettings(data_dir=tmp_path, leeway_seconds=0)
    issuer, verifier = TokenIssuer.from_settings(settings), TokenVerifier(settings)
    token = issuer.issue(
        AccessLevel.OFFICER,
        subject="desk-1",
        agency=PROVINCE,
        roles=(Role.DESK,),
        ttl=timedelta(seconds=2),
    )
    first = verifier.verify(token)
    assert verifier.verified(token) == first == verifier.verify(token)
    time.sleep(2.2)
    assert verifier.verified(token) is None
    with pytest.raises(InvalidTokenError):
        verifier.verify(token)


def test_a_refused_token_is_never_remembered(tmp_path: Path) -> None:
    settings = AuthSettings(data_dir=tmp_path)
    other = TokenIssuer.from_settings(AuthSettings(data_dir=tmp_path / "other"))
    verifier = TokenVerifier(settings)
    forged = other.issue(
        AccessLevel.OFFICER, subject="x", agency=PROVINCE, roles=(Role.DESK,)
    )
    for _ in range(2):
        with pytest.raises(InvalidTokenError):
            verifier.verify(forged)
        assert verifier.verified(forged) is None


def test_remembered_tokens_are_bounded_least_recently_used_first(
    tmp_path: Path,
) -> None:
    from api.auth import VerifiedTokens

    remembered = VerifiedTokens(max_entries=2)
    officer = Principal(AccessLevel.OFFICER, "desk-1", PROVINCE)
    far = time.time() + 3600
    remembered.put("a", officer, far)
    remembered.put("b", officer, far)
    assert remembered.get("a") == officer  # used: now the most recent
    remembered.put("c", officer, far)
    assert remembered.get("b") is None
    assert remembered.get("a") == officer
    assert remembered.get("c") == officer
    remembered.put("d", officer, time.time() - 1)  # already past its validity
    assert remembered.get("d") is None


def test_a_token_is_remembered_through_its_leeway_and_no_longer(
    tmp_path: Path,
) -> None:
    """Verification accepts a token until exp + leeway: so does the memory."""
    settings = AuthSettings(data_dir=tmp_path, leeway_seconds=2)
    issuer, verifier = TokenIssuer.from_settings(settings), TokenVerifier(settings)
    token = issuer.issue(
        AccessLevel.CITIZEN,
        subject="062000000001",
        eid_level=2,
        ttl=timedelta(seconds=1),
    )
    first = verifier.verify(token)
    time.sleep(1.3)  # expired, within the leeway: still accepted, from memory
    assert verifier.verified(token) == first
    time.sleep(2.0)
    assert verifier.verified(token) is None
    with pytest.raises(InvalidTokenError):
        verifier.verify(token)
