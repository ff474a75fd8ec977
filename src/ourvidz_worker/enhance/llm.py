"""LLM enhancers: the instruction, a local transformers model and an OpenAI-compatible API.

Both return the raw answer; only `GuardedEnhancer` (guard.py) decides whether it is used.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import requests
from pydantic import SecretStr
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential, wait_none

from ..errors import EnhancerError, ModelLoadError
from .base import (
    DEFAULT_MAX_CHARS,
    DEFAULT_MAX_NEW_TOKENS,
    DEFAULT_TIMEOUT,
    ChatMessages,
    Enhancement,
    log,
)

SYSTEM_PROMPT = """\
You turn a user's idea into one prompt for a text-to-video model.
Write a single vivid paragraph of at most {max_words} words that describes, in this order: the \
subject, what it does, the setting, the camera (shot size and movement), the lighting and the \
visual style.
Keep the user's intent and every detail the user gave. Do not add or remove people or \
characters, and do not change who or what the subject is.
Write in the same language as the user's idea.
Answer with the prompt only: no title, no label, no quotes, no lists, no alternatives, no notes \
or explanations.
Do not refuse, warn or moralise: content rules are checked elsewhere."""


def build_messages(
    prompt: str, character_description: str | None = None, *, max_chars: int = DEFAULT_MAX_CHARS
) -> ChatMessages:
    """The chat: the system instruction, then the user's idea and, when given, the character."""
    system = SYSTEM_PROMPT.format(max_words=max(30, max_chars // 8))
    user = f"Idea: {' '.join(prompt.split())}"
    if character_description and character_description.strip():
        user += (
            f"\nMain character (the subject; describe them exactly as given): {' '.join(character_description.split())}"
        )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


class ChatEnhancer(Protocol):
    """An LLM: the raw answer to a chat; raises EnhancerError when it cannot answer."""

    name: str
    max_chars: int

    def complete(self, messages: ChatMessages) -> str: ...


class LocalLLMEnhancer:
    """A transformers causal LM with a chat template, loaded once (`load`), greedy decoding.

    Greedy decoding makes the same prompt give the same enhancement on every worker. Generation
    stops at the end-of-turn token, at `max_new_tokens` or after `timeout` seconds; the two last
    raise EnhancerError (`truncated`, `timeout`) rather than return half a prompt.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        name: str,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        timeout: float = DEFAULT_TIMEOUT,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        if not getattr(tokenizer, "chat_template", None):
            raise ModelLoadError(f"{name}: the tokenizer has no chat template (an instruction-tuned model is needed)")
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.max_new_tokens = max_new_tokens
        self.timeout = timeout
        self.max_chars = max_chars
        eos = model.generation_config.eos_token_id
        if eos is None:
            eos = tokenizer.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos]) - {None}
        if not self.eos_ids:
            raise ModelLoadError(f"{name}: neither the model nor the tokenizer names an end-of-sequence token")

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        device: str = "auto",
        dtype: str = "auto",
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        timeout: float = DEFAULT_TIMEOUT,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> LocalLLMEnhancer:
        """Load tokenizer and model from a local folder (never the network); ModelLoadError if unusable."""
        from transformers import AutoModelForCausalLM, AutoTokenizer  # heavy: only where a local LLM is configured

        from ..devices import resolve_device, resolve_dtype

        folder = resolve_model_dir(path)
        torch_device = resolve_device(device, "OURVIDZ_ENHANCER_DEVICE")
        torch_dtype = resolve_dtype(dtype, torch_device)
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(str(folder), local_files_only=True, dtype=torch_dtype)
            model = model.to(torch_device).eval()
        except (OSError, ValueError, RuntimeError, KeyError, ImportError) as exc:
            raise ModelLoadError(f"could not load the enhancer LLM from {folder}: {exc}") from exc
        enhancer = cls(
            model,
            tokenizer,
            name=f"local:{model_label(folder)}",
            max_new_tokens=max_new_tokens,
            timeout=timeout,
            max_chars=max_chars,
        )
        log.info(
            "enhancer LLM ready",
            extra={"enhancer": enhancer.name, "device": str(torch_device), "dtype": str(torch_dtype)},
        )
        return enhancer

    def encode(self, messages: ChatMessages) -> dict[str, Any]:
        """Token ids of the chat through the tokenizer's own chat template, ready to generate from."""
        try:
            return self.tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt", return_dict=True, enable_thinking=False
            )
        except Exception as exc:
            if messages and messages[0]["role"] == "system":
                merged = [{"role": "user", "content": f"{messages[0]['content']}\n\n{messages[1]['content']}"}]
                return self.encode(merged + messages[2:])
            raise EnhancerError("llm_error", f"the chat template failed: {exc}") from exc

    def render(self, messages: ChatMessages) -> str:
        """The chat as the model sees it (for inspection and tests)."""
        return self.tokenizer.decode(self.encode(messages)["input_ids"][0])

    def complete(self, messages: ChatMessages) -> str:
        import torch
        from transformers import GenerationConfig

        inputs = {k: v.to(self.model.device) for k, v in self.encode(messages).items()}
        config = GenerationConfig(
            max_new_tokens=self.max_new_tokens,
            do_sample=False,
            max_time=self.timeout,
            eos_token_id=sorted(self.eos_ids),
            pad_token_id=self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else min(self.eos_ids),
            repetition_penalty=self.model.generation_config.repetition_penalty or 1.0,
        )
        started = time.monotonic()
        try:
            with torch.inference_mode():
                output = self.model.generate(**inputs, generation_config=config)
        except torch.cuda.OutOfMemoryError as exc:
            torch.cuda.empty_cache()
            raise EnhancerError("llm_error", "the enhancer LLM ran out of GPU memory") from exc
        except (RuntimeError, ValueError) as exc:
            raise EnhancerError("llm_error", f"the enhancer LLM failed: {type(exc).__name__}: {exc}") from exc
        elapsed = time.monotonic() - started
        new_tokens = output[0, inputs["input_ids"].shape[1] :].tolist()
        if not self.eos_ids.intersection(new_tokens):
            if elapsed >= self.timeout:
                raise EnhancerError("timeout", f"no complete answer within {self.timeout:g} s")
            raise EnhancerError("truncated", f"no end of answer within {self.max_new_tokens} tokens")
        return self.tokenizer.decode(new_tokens, skip_special_tokens=True)

    def enhance(self, prompt: str, character_description: str | None = None) -> Enhancement:
        """The raw, unchecked answer; wrap in GuardedEnhancer before using it."""
        messages = build_messages(prompt, character_description, max_chars=self.max_chars)
        return Enhancement(self.complete(messages), self.name)


def resolve_model_dir(path: Path) -> Path:
    """A transformers folder, or a Hugging Face cache repo folder (models--ORG--NAME) -> its snapshot."""
    path = Path(path)
    if (path / "config.json").is_file():
        return path
    snapshots = path / "snapshots"
    if snapshots.is_dir():
        ref = path / "refs" / "main"
        if ref.is_file() and (snapshots / ref.read_text().strip() / "config.json").is_file():
            return snapshots / ref.read_text().strip()
        found = sorted(
            (p for p in snapshots.iterdir() if (p / "config.json").is_file()), key=lambda p: p.stat().st_mtime
        )
        if found:
            return found[-1]
    raise ModelLoadError(f"{path}: not a transformers model folder (no config.json)")


def model_label(folder: Path) -> str:
    """ORG/NAME for a Hugging Face cache snapshot, else the folder's name."""
    for part in folder.parts:
        if part.startswith("models--"):
            return part[len("models--") :].replace("--", "/")
    return folder.name


class _RetryableStatus(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def _retryable(exc: BaseException) -> bool:
    # A read timeout is not retried: a slow server stays slow and the job is waiting.
    return isinstance(exc, _RetryableStatus | requests.ConnectionError)


class OpenAICompatibleEnhancer:
    """`POST {base_url}/chat/completions` (OpenAI, vLLM, Ollama, OpenRouter...), temperature 0.

    Connection errors, 429 and 5xx are retried (`attempts` in all, exponential backoff); a read
    timeout is not. The API key goes in the Authorization header only; it is never logged and
    never part of an error message.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: SecretStr | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        attempts: int = 3,
        backoff: float = 0.5,
        max_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        max_chars: int = DEFAULT_MAX_CHARS,
        session: requests.Session | None = None,
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/chat/completions"
        self.host = urlparse(base_url).hostname or "the enhancer endpoint"
        self.model = model
        self.name = f"openai:{model}"
        self._api_key = api_key
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.max_tokens = max_tokens
        self.max_chars = max_chars
        self.session = session or requests.Session()

    def _post(self, body: dict[str, Any]) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if self._api_key is not None:
            headers["Authorization"] = f"Bearer {self._api_key.get_secret_value()}"
        response = self.session.post(
            self.url, json=body, headers=headers, timeout=(min(5.0, self.timeout), self.timeout)
        )
        if response.status_code == 429 or response.status_code >= 500:
            log.warning("enhancer endpoint answered %s", response.status_code, extra={"host": self.host})
            raise _RetryableStatus(response.status_code)
        return response

    def complete(self, messages: ChatMessages) -> str:
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": self.max_tokens,
            "n": 1,
            "stream": False,
        }
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.backoff, max=8) if self.backoff else wait_none(),
            retry=retry_if_exception(_retryable),
            reraise=True,
        )
        try:
            response = retrying(self._post, body)
        except requests.Timeout as exc:
            raise EnhancerError("timeout", f"{self.host} did not answer within {self.timeout:g} s") from exc
        except _RetryableStatus as exc:
            raise EnhancerError("llm_error", f"{self.host} answered HTTP {exc.status} {self.attempts} times") from exc
        except requests.RequestException as exc:
            raise EnhancerError("llm_error", f"could not reach {self.host}: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise EnhancerError("llm_error", f"{self.host} answered HTTP {response.status_code}")
        try:
            choice = response.json()["choices"][0]
            content = choice["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise EnhancerError("llm_error", f"{self.host} did not return a chat completion") from exc
        if choice.get("finish_reason") == "length":
            raise EnhancerError("truncated", f"the answer hit the {self.max_tokens}-token limit")
        if not isinstance(content, str):
            raise EnhancerError("llm_error", f"{self.host} returned no text")
        return content

    def enhance(self, prompt: str, character_description: str | None = None) -> Enhancement:
        """The raw, unchecked answer; wrap in GuardedEnhancer before using it."""
        messages = build_messages(prompt, character_description, max_chars=self.max_chars)
        return Enhancement(self.complete(messages), self.name)
