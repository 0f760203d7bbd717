"""The LLM extractor: ONE chat-completions call per `add` returns entities, relations and the
model's ADD/UPDATE/DELETE/NONE decision per relation, validated against the ontology.

Works with any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, LM Studio). The prompt text
lives in files under ``graphmem/prompts/``; user text only ever fills placeholders of those
templates (``string.Template``) and travels in the user turn as JSON lines, marked as data.
A reply that is not valid gets exactly one repair call. Each request is retried after
connection errors, timeouts, 429 and 5xx replies by `graphmem.extraction.retry` (the `openai`
client itself never retries): `LLMUnavailableError` when they are spent, `LLMRequestError` at
once for a request the endpoint refuses (400, 401, 404...).
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import time
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import openai
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionContentPartParam,
    ChatCompletionMessageParam,
)
from pydantic import ValidationError as PydanticValidationError

from ..errors import (
    ConfigError,
    ExtractionError,
    InvalidNameError,
    LLMRequestError,
    LLMUnavailableError,
    ValidationError,
)
from ..messages import Message
from ..ontology import DEFAULT_ENTITY_TYPE, Ontology, RelationType
from ..times import to_iso
from .models import ExtractedEntity, ExtractedRelation, Extraction
from .retry import RetryPolicy, retry_after, retryable_status

log = logging.getLogger(__name__)

_NONE = "(none)"
_MAX_ERROR = 1500
_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*[ \t]*\n?(.*?)\n?\s*```\s*$", re.DOTALL)
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)


class _InvalidReply(ValueError):
    """A reply that cannot be used; its message is shown to the model in the repair call."""


class _NotACompletion(ValueError):
    """The endpoint answered 2xx with a body that is not a chat completion (a proxy's page,
    truncated JSON): a fault of the server, retried like a 5xx."""


def load_prompt(name: str) -> str:
    """The text of a prompt file shipped in ``graphmem/prompts/``."""
    return (resources.files("graphmem") / "prompts" / name).read_text(encoding="utf-8")


class LLMExtractor:
    """Extract with one call to an OpenAI-compatible chat-completions endpoint.

    `prompt_path` replaces the bundled system prompt (same ``$placeholders``: speaker,
    occurred_at, entity_types, relation_types, include, exclude). `include`/`exclude` are
    the memory owner's instructions on what to remember and what to skip. `timeout` bounds
    one attempt, `retry` the retries of each request (see `graphmem.extraction.retry`).
    """

    def __init__(
        self,
        ontology: Ontology,
        *,
        model: str,
        api_key: str | None = None,
        base_url: str | None = None,
        prompt_path: str | Path | None = None,
        include: str | None = None,
        exclude: str | None = None,
        categories: Mapping[str, str] | None = None,
        temperature: float = 0.0,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.ontology = ontology
        self.model = model
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.include = include
        self.exclude = exclude
        self.categories = dict(categories or ontology.taxonomy())
        self.temperature = temperature
        if prompt_path is not None:
            try:
                self._system = Path(prompt_path).read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(
                    f"cannot read the extraction prompt {prompt_path}: {exc}"
                ) from exc
        else:
            self._system = load_prompt("extract_system.md")
        self._user = load_prompt("extract_user.md")
        self._repair = load_prompt("extract_repair.md")
        self._types = {t.name.lower(): t.name for t in ontology.entity_types}
        self._client = openai.OpenAI(
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or "not-needed",
            base_url=base_url,
            timeout=timeout,
            max_retries=0,
        )

    # -- the call -------------------------------------------------------------------------

    def extract(
        self,
        messages: list[Message],
        *,
        speaker: str,
        occurred_at: str,
        existing: list[dict[str, Any]] | None = None,
        rejected: Sequence[Any] = (),
        categories: Mapping[str, str] | None = None,
    ) -> Extraction:
        """Entities and relations of `messages`, each relation with the model's event and
        categories (from `categories`, else the extractor's taxonomy).

        `existing` are mem0-shaped fact dicts (``id``, ``memory``, ``relationship``,
        ``valid_from``, ...); a returned ``memory_id`` is always one of their ids.
        `rejected` (with `relationship` and `object`) are shown to the model as facts the
        user marked wrong, in the same one call.
        Raises LLMUnavailableError when a request still fails after its retries,
        LLMRequestError when the endpoint refuses it, ExtractionError when the reply stays
        invalid after one repair.
        """
        facts = [f for f in existing or [] if f.get("id")]
        known_ids = {str(f["id"]) for f in facts}
        chat = self.build_messages(
            messages,
            speaker=speaker,
            occurred_at=occurred_at,
            existing=facts,
            rejected=rejected,
            categories=categories,
        )
        reply = self._complete(chat)
        try:
            return self._parse(reply, known_ids)
        except _InvalidReply as exc:
            first = exc
        log.warning("LLM extraction reply was invalid (%s); asking the model once to repair", first)
        chat += [
            {"role": "assistant", "content": reply or ""},
            {"role": "user", "content": Template(self._repair).safe_substitute(error=str(first))},
        ]
        reply = self._complete(chat)
        try:
            return self._parse(reply, known_ids)
        except _InvalidReply as second:
            raise ExtractionError(
                f"model {self.model!r} returned an invalid extraction twice; first: {first}; "
                f"after the repair request: {second}"
            ) from second

    def build_messages(
        self,
        messages: list[Message],
        *,
        speaker: str,
        occurred_at: str,
        existing: list[dict[str, Any]] | None = None,
        rejected: Sequence[Any] = (),
        categories: Mapping[str, str] | None = None,
    ) -> list[ChatCompletionMessageParam]:
        """The system and user turns of the extraction request (no call is made)."""
        taxonomy = self.categories if categories is None else categories
        system = Template(self._system).safe_substitute(
            speaker=_one_line(speaker),
            occurred_at=_one_line(occurred_at),
            entity_types="\n".join(
                f"- {t.name}: {_one_line(t.description)}" if t.description else f"- {t.name}"
                for t in self.ontology.entity_types
            ),
            relation_types="\n".join(_relation_line(r) for r in self.ontology.relation_types),
            include=_one_line(self.include or "") or _NONE,
            exclude=_one_line(self.exclude or "") or _NONE,
            categories="\n".join(
                _one_line(f"- {name}: {text}" if text else f"- {name}")
                for name, text in taxonomy.items()
            ),
        )
        lines = [
            json.dumps(
                {"role": m.role, **({"name": m.name} if m.name else {}), "content": m.content},
                ensure_ascii=False,
            )
            for m in messages
        ]
        user = Template(self._user).safe_substitute(
            existing_facts="\n".join(_fact_line(f) for f in existing or [] if f.get("id")) or _NONE,
            rejected_facts="\n".join(_one_line(f"- {r.relationship} {r.object}") for r in rejected)
            or _NONE,
            messages="\n".join(lines),
        )
        images = [m.image for m in messages if m.image]
        if not images:
            return [{"role": "system", "content": system}, {"role": "user", "content": user}]
        # a model that takes images (llm.vision) sees each after the text: "[image N: ...]"
        # in the messages is the N-th image part
        note = (
            "\n\nThe images after this text are the messages' [image N] parts, in order: "
            "extract what they show about the user as you would from text."
        )
        parts: list[ChatCompletionContentPartParam] = [{"type": "text", "text": user + note}]
        parts += [{"type": "image_url", "image_url": {"url": url}} for url in images]
        return [{"role": "system", "content": system}, {"role": "user", "content": parts}]

    def _complete(self, chat: list[ChatCompletionMessageParam]) -> str | None:
        """One chat-completions request, retried as `self.retry` allows; the reply text, or
        None when the completion has none."""
        started = time.monotonic()
        retry = 0
        while True:
            elapsed = time.monotonic() - started
            try:
                return self._attempt(chat, self.retry.attempt_timeout(self.timeout, elapsed))
            except openai.APIStatusError as exc:
                if not retryable_status(exc.status_code):
                    raise LLMRequestError(self._refused(exc)) from exc
                failure: Exception = exc
                asked = retry_after(exc.response.headers)
            except (openai.APIConnectionError, _NotACompletion) as exc:
                failure, asked = exc, None
            elapsed = time.monotonic() - started
            wait = self.retry.wait(retry, elapsed, retry_after=asked, rand=random.random())
            if wait is None:
                raise LLMUnavailableError(
                    f"the chat-completions endpoint {self._client.base_url} (model "
                    f"{self.model!r}) did not answer usefully in {retry + 1} attempt(s) over "
                    f"{elapsed:.1f} s; last: {_failure(failure)}"
                ) from failure
            log.warning(
                "LLM request failed (%s); retry %d of %d in %.2f s",
                _failure(failure),
                retry + 1,
                self.retry.max_retries,
                wait,
            )
            time.sleep(wait)
            retry += 1

    def _attempt(self, chat: list[ChatCompletionMessageParam], timeout: float) -> str | None:
        """One HTTP attempt (`timeout` seconds at most)."""
        try:
            response = self._client.chat.completions.create(
                model=self.model,
                messages=chat,
                temperature=self.temperature,
                response_format={"type": "json_object"},
                timeout=timeout,
            )
        except json.JSONDecodeError as exc:  # a JSON content type over a body that is not
            raise _NotACompletion(f"the reply body is not JSON ({exc.msg})") from exc
        except openai.APIResponseValidationError as exc:
            raise _NotACompletion(f"the reply is not a chat completion: {exc}") from exc
        except (openai.APIStatusError, openai.APIConnectionError):
            raise
        except openai.OpenAIError as exc:
            raise ExtractionError(
                f"the chat-completions request to {self._client.base_url} (model "
                f"{self.model!r}) failed: {exc}. Nothing was written."
            ) from exc
        choices = getattr(response, "choices", None)  # the client builds it unchecked
        if not isinstance(response, ChatCompletion) or not isinstance(choices, list):
            raise _NotACompletion(f"the reply is not a chat completion: {str(response)[:200]!r}")
        if not choices:
            return None
        return getattr(getattr(choices[0], "message", None), "content", None)

    def _refused(self, exc: openai.APIStatusError) -> str:
        """What a refused request means and what to do about it."""
        advice = {
            401: "check the llm api_key (OPENAI_API_KEY)",
            403: "the api_key may not use this model or endpoint",
            404: "check the llm model name and base_url (it should end in /v1)",
        }.get(
            exc.status_code,
            "the endpoint refused the request as sent: check that the model supports JSON "
            "replies (response_format json_object) and that the messages fit its context",
        )
        return (
            f"the chat-completions endpoint {self._client.base_url} (model {self.model!r}) "
            f"refused the request with HTTP {exc.status_code}: {exc}. Sending it again cannot "
            f"help: {advice}. Nothing was written."
        )

    # -- validation -----------------------------------------------------------------------

    def _parse(self, reply: str | None, known_ids: set[str]) -> Extraction:
        """Validate a reply against the Extraction model and the ontology (or _InvalidReply)."""
        if reply is None or not reply.strip():
            raise _InvalidReply("the reply was empty; it must be one JSON object")
        text = strip_fences(reply)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _InvalidReply(
                f"the reply is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
            ) from exc
        if not isinstance(data, dict):
            raise _InvalidReply("the reply must be a JSON object with 'entities' and 'relations'")
        try:
            extraction = Extraction.model_validate(data)
        except PydanticValidationError as exc:
            raise _InvalidReply(
                f"the JSON does not have the required shape: {_describe(exc)}"
            ) from exc
        return self._check(extraction, known_ids)

    def _check(self, extraction: Extraction, known_ids: set[str]) -> Extraction:
        """Normalize names and types to the ontology; refuse unknown memory ids and bad dates."""
        problems: list[str] = []
        relations: list[ExtractedRelation] = []
        for i, r in enumerate(extraction.relations):
            where = f"relations[{i}]"
            try:
                name = self.ontology.relation(r.relation).name
            except InvalidNameError:
                problems.append(
                    f"{where}.relation {r.relation!r} is not a relation type: use a listed name "
                    "or an UPPER_SNAKE_CASE name"
                )
                continue
            memory_id = _clean_id(r.memory_id)
            if memory_id is not None and memory_id not in known_ids:
                known = ", ".join(sorted(known_ids)) or "none; use null"
                problems.append(
                    f"{where}.memory_id {r.memory_id!r} is not the id of an existing fact "
                    f"(known ids: {known})"
                )
            event = r.event
            if event in ("UPDATE", "DELETE") and memory_id is None:
                event = None  # no target named: leave the decision to rule-based reconciliation
            try:
                start = to_iso(r.valid_from, f"{where}.valid_from")
                end = to_iso(r.valid_to, f"{where}.valid_to")
            except ValidationError as exc:
                problems.append(f"{exc} (use YYYY-MM-DD)")
                continue
            if start and end and end < start:
                problems.append(
                    f"{where}: valid_to {r.valid_to} is before valid_from {r.valid_from}"
                )
            relations.append(
                r.model_copy(
                    update={
                        "relation": name,
                        "subject_type": self._type_or_none(r.subject_type),
                        "object_type": self._type_or_none(r.object_type),
                        "valid_from": start,
                        "valid_to": end,
                        "event": event,
                        "memory_id": memory_id,
                    }
                )
            )
        if problems:
            raise _InvalidReply("; ".join(problems))
        entities = [
            ExtractedEntity(name=e.name, type=self.entity_type(e.type)) for e in extraction.entities
        ]
        return Extraction(entities=entities, relations=relations)

    def entity_type(self, name: str | None) -> str:
        """The ontology's spelling of an entity type (case-insensitive), else Thing."""
        return self._types.get((name or "").strip().lower(), DEFAULT_ENTITY_TYPE)

    def _type_or_none(self, name: str | None) -> str | None:
        return None if name is None else self.entity_type(name)


# -- helpers ------------------------------------------------------------------------------


def strip_fences(text: str) -> str:
    """The JSON inside a reply: without ```json fences, <think> blocks or text around it."""
    text = _THINK.sub("", text).strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    if not text.startswith("{") and "{" in text and "}" in text:
        text = text[text.index("{") : text.rindex("}") + 1]
    return text


def _relation_line(r: RelationType) -> str:
    """One ontology relation type as the prompt lists it."""
    subject = "|".join(r.subject) or "any"
    obj = "|".join(r.object) or "any"
    rules = [f"cardinality {r.cardinality}"]
    if r.symmetric:
        rules.append("symmetric")
    if r.inverse:
        rules.append(f"inverse {r.inverse}")
    if r.contradicts:
        rules.append("contradicts " + ", ".join(r.contradicts))
    if r.negation:
        rules.append(f"negation {r.negation}")
    line = f"- {r.name}: {subject} -> {obj}; " + "; ".join(rules)
    if r.template:
        line += f'; "{_one_line(r.template)}"'
    if r.description:
        line += f" ({_one_line(r.description)})"
    return line


def _fact_line(fact: dict[str, Any]) -> str:
    """`[m-123] Alice works at Acme (WORKS_AT, since 2023-01-01)`."""
    relation = fact.get("relationship") or fact.get("relation") or ""
    text = fact.get("memory") or f"{fact.get('source')} {relation} {fact.get('target')}"
    details = [str(relation)] if relation else []
    if fact.get("valid_from"):
        details.append(f"since {_short_time(fact['valid_from'])}")
    if fact.get("valid_to"):
        details.append(f"until {_short_time(fact['valid_to'])}")
    suffix = f" ({', '.join(details)})" if details else ""
    return _one_line(f"[{fact['id']}] {text}{suffix}")


def _short_time(value: Any) -> str:
    text = str(value)
    for midnight in ("T00:00:00+00:00", "T00:00:00Z", "T00:00:00"):
        if text.endswith(midnight):
            return text[: -len(midnight)]
    return text


def _one_line(value: Any) -> str:
    """Collapse whitespace so a value cannot add lines (or sections) to a prompt."""
    return " ".join(str(value).split())


def _clean_id(value: str | None) -> str | None:
    """A memory id as the model wrote it, without brackets or spaces ('[m-1]' -> 'm-1')."""
    if value is None:
        return None
    cleaned = value.strip().strip("[]").strip()
    return cleaned or None


def _failure(exc: Exception) -> str:
    """A failed attempt in a few words: `HTTP 503: ...`, `timed out`, `connection refused`."""
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}: {_one_line(exc)[:300]}"
    if isinstance(exc, openai.APITimeoutError):
        return "the request timed out"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        return _one_line(f"connection error: {cause or exc}")[:300]
    return _one_line(exc)[:300]


def _describe(exc: PydanticValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "reply"
        parts.append(f"{where}: {err['msg']}")
    text = "; ".join(parts)
    return text if len(text) <= _MAX_ERROR else text[:_MAX_ERROR] + " ..."
