"""Configuration: one pydantic model, from a dict, a YAML/JSON file or the environment."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from . import categories as _categories
from .errors import ConfigError


class Strict(BaseModel):
    """A model that refuses unknown keys (a typo in a config or ontology file is an error)."""

    model_config = ConfigDict(extra="forbid")


class StoreConfig(Strict):
    """Where the graph lives: the embedded ArcadeDB (default) or a Neo4j server."""

    uri: str | None = Field(None, description="bolt:// or neo4j:// URI; None = embedded store")
    user: str = "neo4j"
    password: SecretStr | None = None
    database: str | None = None
    home: Path | None = Field(None, description="embedded data folder (default ~/.graphmem)")
    heap: str = Field("1g", pattern=r"^\d+[mMgG]$", description="embedded JVM max heap")
    write_retries: int = Field(5, ge=0, le=50)
    start: Literal["in-process", "process", "background"] = Field(
        "in-process",
        description=(
            "embedded store with no running owner: start its engine in this process, in a "
            "child process that lives as long as this one (`process`), or spawn "
            "`graphmem serve` in the background (`background`), and connect to it"
        ),
    )
    takeover_timeout: float = Field(
        30.0, gt=0, le=600, description="seconds a call waits for a new embedded store owner"
    )


class EmbedderConfig(Strict):
    """Which embedding model turns names and facts into vectors."""

    provider: Literal["minilm", "openai", "hashing"] = "minilm"
    model: str | None = None
    api_key: SecretStr | None = None
    base_url: str | None = None
    dimensions: int | None = Field(None, ge=8, le=8192)


class LLMConfig(Strict):
    """An OpenAI-compatible chat endpoint for the LLM extractor (OpenAI, Ollama, vLLM...)."""

    model: str = "gpt-4o-mini"
    api_key: SecretStr | None = None
    base_url: str | None = None
    prompt_path: Path | None = Field(None, description="replaces the extraction system prompt")
    include: str | None = Field(None, description="extra instructions: what to remember")
    exclude: str | None = Field(None, description="extra instructions: what never to remember")
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    timeout: float = Field(60.0, gt=0, description="seconds one attempt may take")
    max_retries: int = Field(
        4, ge=0, le=20, description="retries of a request after a 429, 5xx, timeout or lost link"
    )
    retry_deadline: float = Field(
        120.0, gt=0, description="seconds a request may take, every attempt and wait included"
    )
    backoff_base: float = Field(
        0.5, ge=0, description="seconds before the first retry, doubling (with jitter) each time"
    )
    backoff_max: float = Field(20.0, ge=0, description="the longest wait between two attempts")
    vision: bool = Field(False, description="the model takes images (add's image parts go to it)")
    reprocess_interval: float = Field(
        60.0,
        ge=0,
        description="seconds between `graphmem serve`'s runs of reprocess (0 = never)",
    )


class ServerConfig(Strict):
    """`graphmem serve`: where it listens, who may call it, and whose memories they reach."""

    host: str = Field("127.0.0.1", description="listen address; loopback unless asked")
    port: int = Field(8765, ge=0, le=65535, description="HTTP port; 0 = any free port")
    token: SecretStr | None = Field(
        None, description="bearer token; None = the home folder's token file (made once, 0600)"
    )
    require_token: bool = Field(True, description="False serves HTTP with no token at all")
    user_id: str | None = Field(None, description="the user every call acts for by default")
    allow_user_id: bool = Field(
        False, description="callers may name user_id / agent_id / run_id per call"
    )
    max_body_bytes: int = Field(1_048_576, ge=1024, le=1_073_741_824)


class DocumentsConfig(Strict):
    """Documents and images given to `add` as content parts (graphmem/documents/)."""

    fetch_urls: bool = Field(
        False, description="fetch http(s) URLs of parts (off: only data: URIs are taken)"
    )
    max_bytes: int = Field(
        10_485_760, ge=1024, le=1_073_741_824, description="bytes of one part at most"
    )
    max_pages: int = Field(500, ge=1, le=100_000, description="pages of one PDF at most")
    timeout: float = Field(30.0, gt=0, le=600, description="seconds one fetch may take")


class WebhookConfig(Strict):
    """How `graphmem serve` delivers webhook events (graphmem/webhooks/)."""

    poll_interval: float = Field(
        0.5, gt=0, le=3600, description="seconds between two looks at the outbox"
    )
    timeout: float = Field(10.0, gt=0, le=300, description="seconds one POST may take")
    retry_base: float = Field(
        1.0, gt=0, description="seconds before the first retry of a receiver that failed"
    )
    retry_max: float = Field(300.0, gt=0, description="the longest wait between two retries")
    give_up_after: float = Field(
        86400.0, gt=0, description="seconds after which a delivery still failing is dropped"
    )


class MemoryConfig(Strict):
    """Everything a `Memory` needs; every field has a working default."""

    store: StoreConfig = Field(default_factory=StoreConfig)
    embedder: EmbedderConfig = Field(default_factory=EmbedderConfig)
    extractor: Literal["offline", "llm"] = Field(
        "offline", description="offline = spaCy + ontology rules (no network); llm = one call"
    )
    llm: LLMConfig = Field(default_factory=LLMConfig)
    ontology: Path | None = Field(None, description="ontology YAML; None = the bundled default")
    server: ServerConfig = Field(default_factory=ServerConfig)
    webhooks: WebhookConfig = Field(default_factory=WebhookConfig)
    documents: DocumentsConfig = Field(default_factory=DocumentsConfig)
    categories: dict[str, str] | None = Field(
        None, description="category taxonomy {name: description}; None = the ontology's"
    )

    @field_validator("categories")
    @classmethod
    def _taxonomy(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return None if value is None else _categories.taxonomy(value, "categories")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MemoryConfig:
        """Validate a dict; unknown keys and bad values raise ConfigError naming them."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(_describe(exc)) from exc

    @classmethod
    def from_file(cls, path: str | Path) -> MemoryConfig:
        """Load a YAML or JSON file; errors name the file and the key."""
        try:
            text = Path(path).read_text(encoding="utf-8")
            data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level")
        try:
            return cls.from_dict(data)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from exc

    def effective(self) -> dict[str, Any]:
        """The configuration as plain data with every secret masked (API keys, passwords,
        and a password inside a store URI), for `graphmem config show`."""
        data = self.model_dump(mode="json")
        uri = data["store"].get("uri")
        if uri:
            data["store"]["uri"] = re.sub(r"//([^/@:]*):[^/@]*@", r"//\1:**********@", uri)
        return data

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> MemoryConfig:
        """Defaults overridden by NEO4J_*, GRAPHMEM_* and OPENAI_* environment variables."""
        env = dict(os.environ if env is None else env)
        store: dict[str, Any] = {}
        if env.get("NEO4J_URI"):
            store["uri"] = env["NEO4J_URI"]
            store["user"] = env.get("NEO4J_USER") or env.get("NEO4J_USERNAME") or "neo4j"
            store["password"] = env.get("NEO4J_PASSWORD")
            if env.get("NEO4J_DATABASE"):
                store["database"] = env["NEO4J_DATABASE"]
        if env.get("GRAPHMEM_HOME"):
            store["home"] = env["GRAPHMEM_HOME"]
        if env.get("GRAPHMEM_HEAP"):
            store["heap"] = env["GRAPHMEM_HEAP"]
        if env.get("GRAPHMEM_START"):
            store["start"] = env["GRAPHMEM_START"]
        embedder: dict[str, Any] = {}
        if env.get("GRAPHMEM_EMBEDDER"):
            embedder["provider"] = env["GRAPHMEM_EMBEDDER"]
        if embedder.get("provider") == "openai":
            embedder["api_key"] = env.get("OPENAI_API_KEY")
            embedder["base_url"] = env.get("OPENAI_BASE_URL")
        data: dict[str, Any] = {"store": store, "embedder": embedder}
        if env.get("GRAPHMEM_EXTRACTOR"):
            data["extractor"] = env["GRAPHMEM_EXTRACTOR"]
        if data.get("extractor") == "llm":
            llm = {"api_key": env.get("OPENAI_API_KEY"), "base_url": env.get("OPENAI_BASE_URL")}
            if env.get("GRAPHMEM_LLM_MODEL"):
                llm["model"] = env["GRAPHMEM_LLM_MODEL"]
            data["llm"] = llm
        if env.get("GRAPHMEM_ONTOLOGY"):
            data["ontology"] = env["GRAPHMEM_ONTOLOGY"]
        if env.get("GRAPHMEM_TOKEN"):
            data["server"] = {"token": env["GRAPHMEM_TOKEN"]}
        try:
            return cls.from_dict(data)
        except ConfigError as exc:
            cause = exc.__cause__
            locs = (
                [".".join(str(p) for p in e["loc"]) for e in cause.errors()]
                if isinstance(cause, ValidationError)
                else []
            )
            names = sorted({_ENV_NAMES[loc] for loc in locs if loc in _ENV_NAMES})
            raise ConfigError(f"{exc} (set by {', '.join(names) or 'the environment'})") from exc


_ENV_NAMES = {
    "store.uri": "NEO4J_URI",
    "store.user": "NEO4J_USER",
    "store.password": "NEO4J_PASSWORD",
    "store.database": "NEO4J_DATABASE",
    "store.home": "GRAPHMEM_HOME",
    "store.heap": "GRAPHMEM_HEAP",
    "store.start": "GRAPHMEM_START",
    "embedder.provider": "GRAPHMEM_EMBEDDER",
    "extractor": "GRAPHMEM_EXTRACTOR",
    "llm.model": "GRAPHMEM_LLM_MODEL",
    "ontology": "GRAPHMEM_ONTOLOGY",
    "server.token": "GRAPHMEM_TOKEN",
}


def default_home() -> Path:
    """The embedded store's folder: $GRAPHMEM_HOME, else ~/.graphmem."""
    return Path(os.environ.get("GRAPHMEM_HOME") or Path.home() / ".graphmem")


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "config"
        parts.append(f"{where}: {err['msg']}")
    return "invalid graphmem config: " + "; ".join(parts)
