"""Service settings, read from the environment. Every one has a default that runs offline."""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schema.data_keys import parse_data_keys

METRICS_TOKEN_MIN_LENGTH = 32

# The options of kombu's Redis and Sentinel transports that a deployment may set.
BROKER_TRANSPORT_OPTIONS = frozenset(
    {
        "master_name",
        "sentinel_kwargs",
        "min_other_sentinels",
        "visibility_timeout",
        "socket_timeout",
        "socket_connect_timeout",
        "socket_keepalive",
        "socket_keepalive_options",
        "retry_on_timeout",
        "health_check_interval",
        "max_connections",
        "polling_interval",
        "global_keyprefix",  # refused with a pointer to BROKER_KEY_PREFIX
    }
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", env_ignore_empty=True)

    data_dir: Path = Field(default=Path("safetynet-data"), validation_alias="SAFETYNET_DATA_DIR")
    database_url: str = ""
    broker_url: str = ""

    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_api_base_url: str = ""

    # GOV.UK Notify, the second SMS provider (on when NOTIFY_API_KEY is set). Notify sends from a
    # template: NOTIFY_SMS_TEMPLATE_ID names one whose whole content is ((body)).
    notify_api_key: str = ""
    notify_api_base_url: str = ""  # empty: Notify itself
    notify_sms_template_id: str = ""
    notify_sms_sender_id: str = ""  # bulk's text message sender in Notify (empty: the default)
    notify_alert_sms_sender_id: str = ""  # alerts' sender in Notify (empty: the bulk one)
    notify_callback_token: str = ""  # the bearer token Notify sends with receipts and replies
    # Bulk moves to Notify only when this is on: patients reply to check-ins, so Notify's inbound
    # number must be a trust reply number and its received-text callback set (docs/providers.md).
    notify_bulk_failover: bool = False
    sms_primary_provider: Literal["twilio", "notify"] = "twilio"
    # How long a provider that answered 5xx or timed out is passed over by alerts.
    provider_failing_seconds: float = Field(default=60.0, gt=0)

    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "safetynet@localhost"
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = 10.0

    public_base_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""
    # The key of the keyed hash (HMAC-SHA256) kept of an erased patient's NHS number, so that
    # a later import cannot enrol them again (schema/tombstones.py). Empty: derived from the
    # secret key. Set it explicitly in production and never change it: a new key forgets every
    # erasure's tombstone.
    identifier_hmac_key: str = ""
    # Identifiers and bodies encrypted at rest (schema/encryption.py): `kid:base64key,...`, 32-byte
    # AES keys, the first encrypts, every one listed decrypts. Empty: one key made on first use
    # in the data folder (`data_keys`, 0600): back it up with the database, or lose the data.
    data_keys: str = ""
    # The key of the keyed hash kept beside each phone number to find its patient. Empty:
    # derived from the identifier key. Changing it needs `safetynet keys rotate` at once.
    lookup_key: str = ""

    broker_key_prefix: str = ""  # separates several deployments (or test runs) on one Redis
    # kombu's Redis transport options as a JSON object, e.g. for Sentinel {"master_name":
    # "mymaster", "sentinel_kwargs": {"password": "..."}} (README, "Redis Sentinel").
    broker_transport_options: dict[str, Any] = Field(default_factory=dict)
    dispatch_batch_size: int = Field(default=2000, gt=0)
    dispatch_max_in_flight: int = Field(default=2000, gt=0)
    stuck_after_seconds: int = Field(default=120, gt=0)

    # Staff alert SMS expire at the provider after this many minutes unless the trust sets its own
    # (sms.alert_validity_minutes). Twilio allows up to 600 (10 hours).
    alert_sms_validity_minutes: int = Field(default=10, ge=1, le=600)
    # Bulk SMS a second per sender, unless the trust sets sms.bulk_per_second. 0: not paced
    # (`safetynet status` warns): set it to the sender's throughput at Twilio.
    bulk_sms_per_second: int = Field(default=0, ge=0, le=1000)

    rota_warn_days: int = Field(default=14, gt=0, le=90)  # how far ahead admins hear of gaps

    # GET /metrics answers only `Authorization: Bearer <this>`; empty: there is no /metrics.
    metrics_token: str = ""
    # Beat pings this after each healthy tick, at most once a minute (a Healthchecks.io or
    # Cronitor check URL), so a monitor outside pages someone when beat or its host is gone.
    deadman_ping_url: str = ""
    deadman_timeout_seconds: float = Field(default=5.0, gt=0, le=30)

    log_level: str = "INFO"
    log_json: bool = False

    # Addresses of the reverse proxies whose X-Forwarded-For is believed (comma-separated IPs
    # or networks). Empty: none, so the audit trail records the connecting address.
    forwarded_allow_ips: str = ""

    # NHS integration (issue 16). PDS is off unless PDS_BASE_URL is set (then all five are needed).
    pds_base_url: str = ""
    pds_token_url: str = ""
    pds_api_key: str = ""
    pds_private_key_path: str = ""
    pds_key_id: str = ""
    pds_timeout_seconds: float = Field(default=10.0, gt=0)
    pds_check_every_hours: float = Field(default=24.0, gt=0)
    # A planned message waits while the last PDS answer is older than this (or there is none).
    pds_max_check_age_hours: float = Field(default=48.0, gt=0)
    pds_check_batch_size: int = Field(default=20, gt=0)
    # Raw HL7 and FHIR bodies received are cleared after this many days (0: applied ones keep none).
    integration_raw_retention_days: int = Field(default=30, ge=0)
    callback_timeout_seconds: float = Field(default=10.0, gt=0)
    callback_batch_size: int = Field(default=50, gt=0)

    @field_validator("public_base_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("broker_transport_options")
    @classmethod
    def _known_transport_options(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - BROKER_TRANSPORT_OPTIONS)
        if unknown:
            raise ValueError(
                f"BROKER_TRANSPORT_OPTIONS: unknown option {', '.join(unknown)}"
                f" (known: {', '.join(sorted(BROKER_TRANSPORT_OPTIONS))})"
            )
        if "master_name" in value and not (
            isinstance(value["master_name"], str) and value["master_name"]
        ):
            raise ValueError("BROKER_TRANSPORT_OPTIONS: master_name must be a non-empty string")
        if "sentinel_kwargs" in value and not isinstance(value["sentinel_kwargs"], dict):
            raise ValueError("BROKER_TRANSPORT_OPTIONS: sentinel_kwargs must be an object")
        if "global_keyprefix" in value:
            raise ValueError("BROKER_TRANSPORT_OPTIONS: set the key prefix as BROKER_KEY_PREFIX")
        return value

    @field_validator("data_keys")
    @classmethod
    def _data_keys_well_formed(cls, value: str) -> str:
        if value:
            parse_data_keys(value)
        return value

    @field_validator("metrics_token")
    @classmethod
    def _long_enough_to_guess_at(cls, value: str) -> str:
        if value and len(value) < METRICS_TOKEN_MIN_LENGTH:
            raise ValueError(
                f"METRICS_TOKEN must be at least {METRICS_TOKEN_MIN_LENGTH} characters"
                " (e.g. `openssl rand -hex 32`)"
            )
        return value

    @field_validator("deadman_ping_url")
    @classmethod
    def _an_http_address(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("DEADMAN_PING_URL must be an http(s) address")
        return value

    @model_validator(mode="after")
    def _sentinel_names_its_master(self) -> Self:
        if self.broker_url.startswith("sentinel://") and not self.broker_transport_options.get(
            "master_name"
        ):
            raise ValueError(
                "BROKER_URL is sentinel://, so BROKER_TRANSPORT_OPTIONS needs master_name"
                ' (e.g. {"master_name": "mymaster"})'
            )
        return self

    @model_validator(mode="after")
    def _pds_complete(self) -> Self:
        if self.pds_base_url:
            missing = [
                name.upper()
                for name in ("pds_token_url", "pds_api_key", "pds_private_key_path", "pds_key_id")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(
                    f"PDS_BASE_URL is set, so PDS checks are on and need {', '.join(missing)}"
                )
        return self

    @model_validator(mode="after")
    def _notify_complete(self) -> Self:
        if self.notify_api_key:
            missing = [
                name.upper()
                for name in ("notify_sms_template_id", "notify_callback_token")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(
                    f"NOTIFY_API_KEY is set, so Notify is on and needs {', '.join(missing)}"
                )
            if len(self.notify_api_key) < 74:
                raise ValueError("NOTIFY_API_KEY is not a Notify API key (name-serviceid-secret)")
        return self

    @property
    def notify_enabled(self) -> bool:
        return bool(self.notify_api_key)

    @property
    def pds_enabled(self) -> bool:
        return bool(self.pds_base_url)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'safetynet.db'}"

    @property
    def resolved_broker_url(self) -> str:
        return self.broker_url or "filesystem://"

    @property
    def broker_is_filesystem(self) -> bool:
        return self.resolved_broker_url.startswith("filesystem://")

    @property
    def sms_provider(self) -> str:
        """`twilio` when credentials are set, otherwise the offline `outbox`."""
        return "twilio" if self.twilio_account_sid and self.twilio_auth_token else "outbox"

    @property
    def email_provider(self) -> str:
        return "smtp" if self.smtp_host else "outbox"

    @property
    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data folder."""
        if self.secret_key:
            return self.secret_key
        return _local_secret_key(self.data_dir.resolve())

    @property
    def resolved_identifier_hmac_key(self) -> bytes:
        if self.identifier_hmac_key:
            return self.identifier_hmac_key.encode()
        derived = hashlib.sha256(b"safetynet identifier hmac\0" + self.resolved_secret_key.encode())
        return derived.digest()

    # Store first (web/intake.py): where requests wait when the database cannot take them, and
    # how long a request waits on the database before it is spooled instead.
    spool_dir: Path | None = None
    intake_database_timeout_seconds: float = Field(default=3.0, gt=0, le=10)
    # An alert message a worker took (`sending`) and did not finish is published again after
    # this; everything else waits `stuck_after_seconds`. Longer than the providers' own timeouts
    # (10 s), so a slow send is not sent twice.
    alerts_stuck_after_seconds: int = Field(default=12, gt=0)

    @property
    def resolved_spool_dir(self) -> Path:
        return (self.spool_dir or self.data_dir / "spool").resolve()


@lru_cache(maxsize=8)  # read once, not at every cookie signed
def _local_secret_key(data_dir: Path) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """Forget cached settings (tests change the environment)."""
    get_settings.cache_clear()
