"""One typed settings class for the whole application.

Every field can be set from the environment with the ``CITYSTAT_`` prefix, e.g.
``CITYSTAT_WAREHOUSE=/data/city.duckdb``. Outside the ``dev`` environment, placeholder
secrets are refused so a production deployment cannot start with a known key.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "dev-secret-key", "placeholder"})


class Settings(BaseSettings):
    """Runtime configuration for citystat (environment prefix ``CITYSTAT_``)."""

    model_config = SettingsConfigDict(env_prefix="CITYSTAT_", env_file=None, extra="ignore")

    environment: Literal["dev", "test", "prod"] = Field(
        "dev", description="Deployment environment; 'prod' refuses placeholder secrets."
    )
    warehouse: Path = Field(
        Path("./citystat.duckdb"), description="Path of the DuckDB analytical warehouse file."
    )
    city: str | None = Field(
        None,
        description=(
            "City profile name (e.g. 'baltimore', 'synthetic'). When unset, the profile recorded in the "
            "warehouse is used, and 'baltimore' for a new warehouse."
        ),
    )
    data_dir: Path = Field(
        Path("./data"), description="Folder for generated files (synthetic demo city, benchmark inputs)."
    )
    store_url: str | None = Field(
        None,
        description=(
            "SQLAlchemy URL of the transactional store (resident requests, staff, API keys, audit log): "
            "'postgresql://user@host/db' in production; unset = a SQLite file (WAL) beside the warehouse "
            "(citystat.duckdb -> citystat-store.db)."
        ),
    )
    max_body_bytes: int = Field(
        64 * 1024,
        description="Longest request body accepted (Open311 POST, forms without a photo), in bytes.",
    )
    max_upload_bytes: int = Field(
        8 * 1024 * 1024, description="Longest request body accepted where a photo may be uploaded, in bytes."
    )
    rate_limit_ip: int = Field(
        30, description="Requests submitted per minute from one IP address (Open311 POST and the forms)."
    )
    rate_limit_api_key: int = Field(
        600, description="Requests submitted per minute with one Open311 api_key."
    )
    staff_session_minutes: int = Field(
        480, description="How long a staff sign-in lasts before staff must sign in again, in minutes."
    )
    warm_up_interval: float = Field(
        5.0,
        description=(
            "Seconds between the web server's looks at the warehouse revision: after a load it builds "
            "the site's data in the background, so the first visitor does not wait; 0 turns this off."
        ),
    )
    host: str = Field("127.0.0.1", description="Address the web server binds to.")
    port: int = Field(8000, description="Port the web server listens on.")
    secret_key: str = Field(
        "dev-secret-key", description="Key for signing sessions and CSRF tokens; must be real outside dev."
    )
    spatial: Literal["auto", "duckdb", "shapely"] = Field(
        "auto",
        description=(
            "Point-in-polygon engine: DuckDB's spatial extension (fast, from the duckdb-extension-spatial "
            "wheel), shapely STRtree in Python, or 'auto' to use DuckDB when the extension loads."
        ),
    )
    max_field_chars: int = Field(
        65_536, description="Longest accepted CSV field; longer fields quarantine their row."
    )
    quarantine_value_chars: int = Field(
        500, description="Raw values stored in the quarantine table are cut to this many characters."
    )
    catalog_dir: Path | None = Field(
        None,
        description="Folder of measure YAML files; unset = the built-in catalog named by the city profile.",
    )
    engine: Literal["duckdb", "postgres", "spark"] = Field(
        "duckdb",
        description=(
            "Engine that computes measures: 'duckdb' reads the warehouse file itself; 'postgres' and "
            "'spark' compute on a copy of the warehouse tables published to them."
        ),
    )
    postgres_url: str | None = Field(
        None,
        description=(
            "PostgreSQL connection URL for the 'postgres' engine, e.g. "
            "'postgresql://citystat@127.0.0.1:5432/citystat' (libpq syntax; a password may be included)."
        ),
    )
    spark_master: str = Field(
        "local[2]", description="Spark master URL for the 'spark' engine ('local[N]' runs Spark in-process)."
    )

    @model_validator(mode="after")
    def refuse_placeholder_secret(self) -> Settings:
        if self.environment == "prod" and self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(
                "CITYSTAT_SECRET_KEY is a placeholder; set a real random secret outside the dev environment"
            )
        return self

    def resolve_store_url(self) -> str:
        """The store's URL: ``store_url``, or a SQLite file beside the warehouse."""
        if self.store_url:
            return self.store_url
        beside = self.warehouse.with_name(f"{self.warehouse.stem}-store.db")
        return f"sqlite:///{beside}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once from the environment)."""
    return Settings()
