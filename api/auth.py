"""Bearer tokens: who is calling, at which access level (design §4)."""

from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from adapters.keys import load_or_create_signing_key
from adapters.settings import ConfigurationError, Settings
from domain.dossier_values import applicant_id_forms, canonical_applicant_id
from domain.errors import (
    ActorNotAllowedError,
    Bilingual,
    InvalidAgencyCodeError,
    LabelledError,
)
from domain.values import OFFICER_ROLES, Actor, AgencyCode, Authentication, Role
from domain.visibility import unit_sees

# Claims: iss aud exp iat sub [nbf] [jti]; role = anonymous|citizen|officer|monitor|reviewer;
# agency (QCVN 102; officer: required, monitor/reviewer: optional scope); department;
# roles = [desk|specialist|leader] (officer); eid_level = 1|2 (citizen).
# A citizen subject has any form an applicant id has (CCCD, CMND, passport,
# enterprise/cooperative code, budget-unit code): owners must be able to log in.
CITIZEN_SUBJECT = re.compile(
    "|".join(f"(?:{form.pattern})" for form in applicant_id_forms()), re.ASCII
)
ASYMMETRIC = frozenset(f"{f}{n}" for f in ("ES", "RS", "PS") for n in (256, 384, 512))
MAX_TOKEN_LENGTH = 8192


class InvalidTokenError(LabelledError):
    code = "INVALID_TOKEN"
    vi = "Mã xác thực không hợp lệ hoặc đã hết hạn"
    en = "Invalid or expired token"


class KeySourceUnavailableError(LabelledError):
    code = "AUTH_KEYS_UNAVAILABLE"
    vi = "Không lấy được khoá kiểm tra mã xác thực"
    en = "Token verification keys are unavailable"


class AccessLevel(Enum):
    ANONYMOUS = "anonymous"
    CITIZEN = "citizen"
    OFFICER = "officer"
    MONITOR = "monitor"
    REVIEWER = "reviewer"


@dataclass(frozen=True)
class Principal:
    level: AccessLevel
    subject: str | None = None
    agency_code: str | None = None
    department: str | None = None
    roles: tuple[Role, ...] = ()
    eid_level: int | None = None
    token_id: str | None = None
    issuer: str | None = None
    valid_until: float | None = None
    """POSIX time after which the token is refused (exp + leeway); None: no token."""

    def actor_for(self, role: Role | None = None) -> Actor:
        """The domain actor for a command; refused when this principal cannot act so."""
        if (
            self.subject
            and self.level is AccessLevel.CITIZEN
            and role in (None, Role.CITIZEN)
        ):
            return Actor(self.subject, Role.CITIZEN, authentication=self.authentication)
        if self.subject and self.level is AccessLevel.OFFICER and self.roles:
            chosen = self.roles[0] if role is None else role
            if chosen in self.roles:
                return Actor(self.subject, chosen, self.agency_code, self.department)
        raise ActorNotAllowedError(role or Bilingual(*_LEVEL_LABELS[self.level.value]))

    @property
    def authentication(self) -> Authentication | None:
        """How this citizen logged in (R-61), recorded on every citizen event."""
        if self.issuer is None or self.eid_level is None:
            return None
        return Authentication(self.issuer, self.eid_level)

    def can_see_agency(self, code: str) -> bool:
        """Officers and reviewers see their agency subtree; monitors see aggregates only."""
        if self.level not in (AccessLevel.OFFICER, AccessLevel.REVIEWER):
            return False
        if self.agency_code is None:
            return self.level is AccessLevel.REVIEWER
        return unit_sees(self.agency_code, code)  # the domain's visibility rule

    def owns(self, applicant_id: str | None) -> bool:
        """Both sides compared in the applicant's canonical form (13-digit codes)."""
        return (
            self.level is AccessLevel.CITIZEN
            and self.subject is not None
            and applicant_id is not None
            and canonical_applicant_id(self.subject)
            == canonical_applicant_id(applicant_id)
        )


_LEVEL_LABELS = {
    "anonymous": ("người dùng ẩn danh", "anonymous user"),
    "citizen": ("công dân", "citizen"),
    "officer": ("cán bộ", "officer"),
    "monitor": ("người giám sát", "monitor"),
    "reviewer": ("người thanh tra", "reviewer"),
}
ANONYMOUS = Principal(level=AccessLevel.ANONYMOUS)


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """Check the motcua-specific claims of a verified token."""
    try:
        level = AccessLevel(claims.get("role"))
    except (ValueError, TypeError):
        raise InvalidTokenError("unknown role") from None
    jti = _optional_text(claims, "jti")
    if level is AccessLevel.ANONYMOUS:
        return Principal(level, token_id=jti)
    subject = _optional_text(claims, "sub")
    if not subject:
        raise InvalidTokenError("missing subject")
    if level is AccessLevel.CITIZEN:
        eid_level = claims.get("eid_level")
        if not CITIZEN_SUBJECT.fullmatch(subject):
            raise InvalidTokenError(
                "citizen subject is not a personal id or enterprise code"
            )
        if type(eid_level) is not int or eid_level not in (1, 2):
            raise InvalidTokenError("citizen eid_level must be 1 or 2")
        return Principal(
            level,
            canonical_applicant_id(subject),
            eid_level=eid_level,
            token_id=jti,
            issuer=_optional_text(claims, "iss"),
        )
    agency = _optional_text(claims, "agency")
    try:
        agency = None if agency is None else AgencyCode(agency).value
    except InvalidAgencyCodeError:
        raise InvalidTokenError("invalid agency code") from None
    roles: tuple[Role, ...] = ()
    if level is AccessLevel.OFFICER:
        roles = _officer_roles(claims.get("roles"))
        if agency is None:
            raise InvalidTokenError("officer without agency")
    department = _optional_text(claims, "department")
    return Principal(level, subject, agency, department, roles, token_id=jti)


def _officer_roles(raw: Any) -> tuple[Role, ...]:
    if not isinstance(raw, list) or not raw:
        raise InvalidTokenError("officer without roles")
    try:
        roles = tuple(dict.fromkeys(Role(value) for value in raw))
    except (ValueError, TypeError):
        raise InvalidTokenError("unknown officer role") from None
    if not set(roles) <= OFFICER_ROLES:
        raise InvalidTokenError("unknown officer role")
    return roles


def _optional_text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidTokenError(f"claim {name} is not a string")
    return value


@dataclass(frozen=True)
class AuthSettings:
    issuer: str = "motcua"
    audience: str = "motcua-api"
    leeway_seconds: int = 30
    algorithms: tuple[str, ...] = ("ES256", "RS256")
    data_dir: Path = Path("./var")
    jwks_url: str | None = None
    public_key_file: Path | None = None

    def __post_init__(self) -> None:
        if not self.algorithms or not set(self.algorithms) <= ASYMMETRIC:
            raise ConfigurationError(f"JWT algorithms {self.algorithms}")
        if self.jwks_url and self.public_key_file:
            raise ConfigurationError(
                "JWT_JWKS_URL and JWT_PUBLIC_KEY_FILE are exclusive"
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthSettings:
        return cls(
            issuer=settings.value("JWT_ISSUER"),
            audience=settings.value("JWT_AUDIENCE"),
            data_dir=settings.data_dir,
            jwks_url=settings.value("JWT_JWKS_URL"),
            public_key_file=settings.value("JWT_PUBLIC_KEY_FILE"),
        )


class VerifiedTokens:
    """Principals of verified tokens, by SHA-256 of the token (32 bytes a
    token, whatever its length), until the instant verification would refuse
    it (``exp`` plus the leeway): an ES256 verification costs far more than
    the rest of a lookup. Bounded; the least recently used go first. A key
    withdrawn from the JWKS does not revoke a token already verified here
    before its expiry."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: OrderedDict[bytes, tuple[Principal, float]] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, token: str) -> Principal | None:
        key = hashlib.sha256(token.encode()).digest()
        entry = self._entries.get(key)
        if entry is None or time.time() >= entry[1]:
            return None
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
        return entry[0]

    def put(self, token: str, principal: Principal, expires_at: float) -> None:
        key = hashlib.sha256(token.encode()).digest()
        with self._lock:
            self._entries[key] = (principal, expires_at)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)


class TokenVerifier:
    """Verifies signature, issuer, audience and validity period, then the claims."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._jwks: jwt.PyJWKClient | None = None
        self._key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey | None = None
        self._algorithms = list(settings.algorithms)
        self._verified = VerifiedTokens()
        if settings.jwks_url:
            try:
                self._jwks = jwt.PyJWKClient(
                    settings.jwks_url, cache_keys=True, lifespan=300, timeout=10
                )
            except jwt.PyJWKClientError as error:
                raise ConfigurationError(str(error)) from None
        elif settings.public_key_file:
            self._key = _load_public_key(settings.public_key_file)
        else:
            self._key = load_or_create_signing_key(settings.data_dir)[0].public_key()
        if self._key is not None:  # only the algorithms that fit the key's type
            family = (
                ("ES",)
                if isinstance(self._key, ec.EllipticCurvePublicKey)
                else ("RS", "PS")
            )
            self._algorithms = [a for a in self._algorithms if a.startswith(family)]
            if not self._algorithms:
                raise ConfigurationError(
                    f"JWT algorithms {settings.algorithms} do not fit the key"
                )

    def verified(self, token: str) -> Principal | None:
        """The principal of a token this verifier accepted before and that has
        not expired since (no signature check: the hash of the exact token)."""
        return self._verified.get(token)

    def verify(self, token: str) -> Principal:
        s = self.settings
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidTokenError("token too long")
        principal = self._verified.get(token)
        if principal is not None:
            return principal
        try:
            if jwt.get_unverified_header(token).get("alg") not in self._algorithms:
                raise InvalidTokenError("algorithm not allowed")
            key = self._jwks_key(token) if self._jwks else self._key
            assert key is not None
            claims = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                audience=s.audience,
                issuer=s.issuer,
                leeway=s.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidTokenError(str(error)) from None
        # Connections that outlive a request (websockets) end at this instant.
        valid_until = float(claims["exp"]) + s.leeway_seconds
        principal = replace(principal_from_claims(claims), valid_until=valid_until)
        self._verified.put(token, principal, valid_until)
        return principal

    def _jwks_key(self, token: str) -> Any:
        """The identity provider's key for this token.

        An endpoint that is down, answers an error page, or sends no usable
        key set is our outage (503), never the caller's fault; only a token
        whose ``kid`` the (fresh) set does not hold is a bad token (401).
        """
        assert self._jwks is not None
        unavailable = (
            jwt.PyJWKClientConnectionError,
            jwt.PyJWKSetError,
            ValueError,  # a body that is not JSON
            OSError,
        )
        try:
            self._jwks.get_signing_keys()
        except (jwt.PyJWKClientError, *unavailable) as error:
            raise KeySourceUnavailableError(str(error)) from None
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            return self._jwks.get_signing_key(str(kid))
        except unavailable as error:
            raise KeySourceUnavailableError(str(error)) from None


def _load_public_key(path: Path) -> ec.EllipticCurvePublicKey | rsa.RSAPublicKey:
    try:
        key = load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as error:
        raise ConfigurationError(f"JWT_PUBLIC_KEY_FILE {path}: {error}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ConfigurationError(f"JWT_PUBLIC_KEY_FILE {path}: not an EC or RSA key")
    return key


class TokenIssuer:
    """Development tokens signed with the local EC P-256 key (ES256)."""

    def __init__(
        self,
        key: ec.EllipticCurvePrivateKey,
        kid: str,
        issuer: str = "motcua",
        audience: str = "motcua-api",
    ) -> None:
        self.key, self.kid, self.issuer, self.audience = key, kid, issuer, audience

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> TokenIssuer:
        key, kid = load_or_create_signing_key(settings.data_dir)
        return cls(key, kid, settings.issuer, settings.audience)

    def issue(
        self,
        role: AccessLevel | str,
        subject: str | None = None,
        agency: str | None = None,
        department: str | None = None,
        roles: Sequence[Role] = (),
        eid_level: int | None = None,
        ttl: timedelta = timedelta(hours=1),
        now: datetime | None = None,
    ) -> str:
        if ttl <= timedelta(0):
            raise InvalidTokenError("ttl must be positive")
        issued = now or datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "iat": issued,
            "exp": issued + ttl,
            "jti": uuid.uuid4().hex,
            "role": role.value if isinstance(role, AccessLevel) else role,
        }
        optional = (
            ("sub", subject),
            ("agency", agency),
            ("department", department),
            ("eid_level", eid_level),
        )
        claims.update((name, value) for name, value in optional if value is not None)
        if roles:
            claims["roles"] = [held.value for held in roles]
        principal_from_claims(claims)  # never sign what the verifier would refuse
        return jwt.encode(
            claims, self.key, algorithm="ES256", headers={"kid": self.kid}
        )
