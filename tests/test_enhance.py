"""Prompt enhancement: the template, the checks on LLM answers, and both LLM backends.

The local backend runs the real transformers loading and generation code on a tiny random Qwen2
model saved to a temporary folder; the OpenAI-compatible backend talks to a small local HTTP
server that answers like /chat/completions.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import torch
from pydantic import SecretStr
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers
from tokenizers.models import BPE
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

from ourvidz_worker.config import Settings
from ourvidz_worker.enhance import Enhancement, TemplateEnhancer, build_enhancer
from ourvidz_worker.enhance.base import InvalidEnhancement
from ourvidz_worker.enhance.guard import GuardedEnhancer, check_enhancement, clean_output
from ourvidz_worker.enhance.llm import (
    SYSTEM_PROMPT,
    LocalLLMEnhancer,
    OpenAICompatibleEnhancer,
    build_messages,
    model_label,
    resolve_model_dir,
)
from ourvidz_worker.enhance.template import TEMPLATE_ENHANCER, enhance_prompt
from ourvidz_worker.errors import ConfigurationError, EnhancerError, ModelLoadError

PROMPT = "a lighthouse on a cliff at sunset, waves crashing"
CHARACTER = "a tall woman with silver hair and a green coat"
GOOD = (
    "A tall white lighthouse stands on a rugged cliff at sunset while waves crash against the rocks"
    " below; slow aerial dolly shot, warm golden backlight, cinematic realism."
)
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
NO_SYSTEM_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}" + CHATML
)
API_KEY = "sk-test-0123456789abcdef"


# ---------------------------------------------------------------------------------------------
# A tiny instruction model, built in code


def tiny_chat_tokenizer(chat_template: str = CHATML) -> PreTrainedTokenizerFast:
    """Byte-level, with ChatML's turn markers; <|im_end|> (end of turn) is id 0."""
    special = ["<|im_end|>", "<|im_start|>", "<|endoftext|>"]
    vocab = {token: i for i, token in enumerate(special + sorted(pre_tokenizers.ByteLevel.alphabet()))}
    tokenizer = Tokenizer(BPE(vocab=vocab, merges=[]))
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
    )
    fast.chat_template = chat_template
    return fast


def tiny_causal_lm(tokenizer: PreTrainedTokenizerFast, seed: int = 0) -> Qwen2ForCausalLM:
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    return Qwen2ForCausalLM(config).eval()


@pytest.fixture(scope="module")
def tiny_llm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("llm") / "tiny-instruct"
    tokenizer = tiny_chat_tokenizer()
    tiny_causal_lm(tokenizer).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_llm(tiny_llm_dir: Path) -> LocalLLMEnhancer:
    return LocalLLMEnhancer.load(tiny_llm_dir, device="cpu", max_new_tokens=16, timeout=30.0)


# ---------------------------------------------------------------------------------------------
# Template


def test_template_enhancer_is_template_v1():
    result = TemplateEnhancer().enhance(PROMPT, CHARACTER)
    assert result == Enhancement(enhance_prompt(PROMPT, CHARACTER), TEMPLATE_ENHANCER, None)
    assert TEMPLATE_ENHANCER == "template-v1"
    assert result.text.startswith(PROMPT) and "silver hair" in result.text


# ---------------------------------------------------------------------------------------------
# The instruction


def test_messages_carry_instruction_prompt_and_character():
    system, user = build_messages(PROMPT, CHARACTER, max_chars=1200)
    assert system["role"] == "system" and user["role"] == "user"
    for rule in ("single vivid paragraph", "at most 150 words", "camera", "lighting", "style",
                 "Do not add or remove people", "same language", "Do not refuse"):  # fmt: skip
        assert rule in system["content"]
    assert PROMPT in user["content"] and CHARACTER in user["content"]


def test_messages_without_character_mention_none():
    _, user = build_messages(f"  {PROMPT}\n", "   ")
    assert user["content"] == f"Idea: {PROMPT}"


def test_local_llm_renders_the_chat_through_its_own_template(tiny_llm: LocalLLMEnhancer):
    rendered = tiny_llm.render(build_messages(PROMPT, CHARACTER))
    assert rendered.startswith("<|im_start|>system\nYou turn a user's idea into one prompt")
    assert f"<|im_start|>user\nIdea: {PROMPT}" in rendered and CHARACTER in rendered
    assert rendered.endswith("<|im_start|>assistant\n")


def test_template_without_system_turn_gets_the_instruction_in_the_user_turn():
    tokenizer = tiny_chat_tokenizer(NO_SYSTEM_TEMPLATE)
    llm = LocalLLMEnhancer(tiny_causal_lm(tokenizer), tokenizer, name="local:no-system")
    rendered = llm.render(build_messages(PROMPT, CHARACTER))
    assert "<|im_start|>system" not in rendered
    assert rendered.startswith("<|im_start|>user\nYou turn a user's idea") and PROMPT in rendered


# ---------------------------------------------------------------------------------------------
# Checking answers


@pytest.mark.parametrize(
    ("answer", "prompt", "reason"),
    [
        ("", PROMPT, "empty"),
        ('  ""  ', PROMPT, "empty"),
        ("<think>let me see</think>", PROMPT, "empty"),
        (GOOD * 10, PROMPT, "too_long"),
        (f"Sure! {GOOD}", PROMPT, "chatter"),
        (f"Here is the enhanced prompt: {GOOD}", PROMPT, "chatter"),
        (f"{GOOD} Let me know if you want changes.", PROMPT, "chatter"),
        ("As an AI language model, I prefer not to describe this scene.", PROMPT, "refusal"),
        ("I'm sorry, but I can't help with a lighthouse on a cliff at sunset.", PROMPT, "refusal"),
        (f"{GOOD} However, I must decline to add more detail.", PROMPT, "refusal"),
        (f"1. {GOOD}\n2. {GOOD}", PROMPT, "format"),
        (f"- {GOOD}\n- waves crashing", PROMPT, "format"),
        (f"# Lighthouse\n{GOOD}", PROMPT, "format"),
        (f"{GOOD}\n\n{GOOD}", PROMPT, "format"),
        (f"Option 1: {GOOD} Option 2: a lighthouse at night.", PROMPT, "alternatives"),
        (f"{GOOD} Alternatively, the lighthouse at dawn.", PROMPT, "alternatives"),
        ("Белый маяк на скале на закате, волны разбиваются о камни, медленный облёт камерой.", PROMPT, "language"),
        ("Un faro blanco sobre un acantilado al atardecer, con las olas rompiendo contra las rocas.", PROMPT,
         "language"),
        ("A woman walks barefoot along the beach at sunset with her dog, wide tracking shot, golden light.",
         "una mujer camina por la playa al atardecer con su perro", "language"),
        ("An orange cat runs on a golden beach at sunset, low tracking shot.", "一只猫在海滩上奔跑", "language"),
        ("A red sports car drives through a neon city at night, rain on the asphalt, tracking shot.", PROMPT,
         "subject"),
    ],
)  # fmt: skip
def test_bad_answers_are_rejected_with_a_reason(answer: str, prompt: str, reason: str):
    with pytest.raises(InvalidEnhancement) as caught:
        check_enhancement(answer, prompt, max_chars=1200)
    assert caught.value.reason == reason, caught.value


@pytest.mark.parametrize(
    "wrapped",
    [
        GOOD,
        f'"{GOOD}"',
        f"“{GOOD}”",
        f"**Prompt:** {GOOD}",
        f"Enhanced prompt: {GOOD}",
        f"```\n{GOOD}\n```",
        f"<think>\nThe user wants a lighthouse.\n</think>\n\n{GOOD}",
        "  " + GOOD.replace(" while ", " while\n") + "  ",  # one paragraph over two lines
    ],
)
def test_wrappers_are_stripped_and_the_prompt_kept(wrapped: str):
    assert check_enhancement(wrapped, PROMPT) == GOOD


@pytest.mark.parametrize(
    ("prompt", "answer"),
    [
        ("una mujer camina por la playa al atardecer con su perro",
         "Una mujer camina descalza por la playa al atardecer con su perro, las olas a sus pies; plano general"
         " con travelling lateral, luz dorada cálida, estilo cinematográfico."),
        ("一只猫在海滩上奔跑",
         "一只橘色的猫在金色的海滩上奔跑，海浪拍打着岸边，低角度跟拍镜头，温暖的夕阳光线，电影感。"),
        ("белый маяк на скале на закате",
         "Белый маяк на высокой скале на закате, волны бьются о камни, медленный облёт камерой, тёплый свет."),
        ("neon city", "A sprawling neon city at night, rain-slick streets reflecting pink signs, slow crane shot."),
    ],
)  # fmt: skip
def test_answers_in_the_prompts_language_pass(prompt: str, answer: str):
    assert check_enhancement(answer, prompt) == answer


def test_clean_output_removes_inline_bold():
    assert clean_output("A **red** kite over the dunes") == "A red kite over the dunes"


# ---------------------------------------------------------------------------------------------
# Guarding an LLM (fakes at the boundary: `complete`)


class FakeLLM:
    def __init__(self, *answers: str | Exception, max_chars: int = 1200) -> None:
        self.answers = list(answers)
        self.name = "fake:llm"
        self.max_chars = max_chars
        self.calls: list[list[dict[str, str]]] = []

    def complete(self, messages):
        self.calls.append(messages)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_a_good_answer_is_used_and_named():
    llm = FakeLLM(f'"{GOOD}"')
    result = GuardedEnhancer(llm).enhance(PROMPT, CHARACTER)
    assert result == Enhancement(GOOD, "fake:llm", None)
    assert llm.calls == [build_messages(PROMPT, CHARACTER)]


def test_a_bad_answer_falls_back_to_the_template_with_the_reason():
    result = GuardedEnhancer(FakeLLM(f"Sure! {GOOD}")).enhance(PROMPT, CHARACTER)
    assert result.text == enhance_prompt(PROMPT, CHARACTER)
    assert result.enhancer == TEMPLATE_ENHANCER
    assert result.fallback_reason.startswith("chatter: ")


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (EnhancerError("timeout", "no complete answer within 20 s"), "timeout: no complete answer within 20 s"),
        (EnhancerError("llm_error", "HTTP 503"), "llm_error: HTTP 503"),
        (RuntimeError("CUDA error: device-side assert"), "llm_error: RuntimeError"),
    ],
)
def test_a_failing_llm_falls_back_to_the_template(error: Exception, reason: str):
    result = GuardedEnhancer(FakeLLM(error)).enhance(PROMPT, None)
    assert result == Enhancement(enhance_prompt(PROMPT), TEMPLATE_ENHANCER, reason)


def test_a_prompt_longer_than_the_bound_is_not_sent():
    llm = FakeLLM(GOOD, max_chars=100)
    result = GuardedEnhancer(llm).enhance(PROMPT * 3, None)
    assert result.enhancer == TEMPLATE_ENHANCER and result.fallback_reason.startswith("prompt_too_long")
    assert llm.calls == []


# ---------------------------------------------------------------------------------------------
# Local LLM: the real loading and generation code


def test_random_weights_answer_falls_back_to_the_template(tiny_llm: LocalLLMEnhancer):
    assert tiny_llm.name == "local:tiny-instruct"
    result = GuardedEnhancer(tiny_llm).enhance(PROMPT, CHARACTER)
    assert result.enhancer == TEMPLATE_ENHANCER
    assert result.text == enhance_prompt(PROMPT, CHARACTER)
    assert result.fallback_reason and result.fallback_reason.split(":")[0] in (
        "truncated", "empty", "format", "language", "subject", "chatter", "refusal", "alternatives", "too_long"
    )  # fmt: skip


def test_generation_is_bounded_in_tokens(tiny_llm: LocalLLMEnhancer):
    with pytest.raises(EnhancerError) as caught:
        tiny_llm.complete(build_messages(PROMPT))  # random weights do not end their turn within 16 tokens
    assert caught.value.reason == "truncated" and "16 tokens" in caught.value.message


def test_an_answer_that_ends_its_turn_is_decoded():
    tokenizer = tiny_chat_tokenizer()
    model = tiny_causal_lm(tokenizer)
    with torch.no_grad():
        model.model.norm.weight.zero_()  # all logits equal: greedy picks id 0, the end of turn
    llm = LocalLLMEnhancer(model, tokenizer, name="local:eos", max_new_tokens=8)
    assert llm.complete(build_messages(PROMPT)) == ""
    assert GuardedEnhancer(llm).enhance(PROMPT, None).fallback_reason == "empty: the model returned no text"


def test_local_generation_past_its_time_is_a_timeout(tiny_llm_dir: Path):
    llm = LocalLLMEnhancer.load(tiny_llm_dir, device="cpu", max_new_tokens=10_000, timeout=0.05)
    result = GuardedEnhancer(llm).enhance(PROMPT, None)
    assert result.enhancer == TEMPLATE_ENHANCER
    assert result.fallback_reason == "timeout: no complete answer within 0.05 s"


def test_a_folder_without_a_model_is_a_load_error(tmp_path: Path):
    with pytest.raises(ModelLoadError, match=r"no config\.json"):
        LocalLLMEnhancer.load(tmp_path, device="cpu")


def test_a_tokenizer_without_chat_template_is_a_load_error(tmp_path: Path):
    tokenizer = tiny_chat_tokenizer()
    tokenizer.chat_template = None
    with pytest.raises(ModelLoadError, match="chat template"):
        LocalLLMEnhancer(tiny_causal_lm(tokenizer), tokenizer, name="local:base")


def test_a_hugging_face_cache_folder_resolves_to_its_snapshot(tiny_llm_dir: Path, tmp_path: Path):
    repo = tmp_path / "hub" / "models--acme--tiny-instruct"
    shutil.copytree(tiny_llm_dir, repo / "snapshots" / "abc123")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    folder = resolve_model_dir(repo)
    assert folder == repo / "snapshots" / "abc123"
    assert model_label(folder) == "acme/tiny-instruct"


# ---------------------------------------------------------------------------------------------
# Choosing by settings


def test_template_is_the_default():
    assert isinstance(build_enhancer(Settings()), TemplateEnhancer)


def test_local_enhancer_is_built_from_settings(tiny_llm_dir: Path):
    settings = Settings(
        enhancer="local", enhancer_model=tiny_llm_dir, enhancer_device="cpu", enhancer_max_new_tokens=16
    )
    enhancer = build_enhancer(settings)
    assert isinstance(enhancer, GuardedEnhancer) and enhancer.name == "local:tiny-instruct"
    assert isinstance(enhancer.llm, LocalLLMEnhancer) and enhancer.llm.max_new_tokens == 16


def test_missing_local_model_fails_start_up_in_production(tmp_path: Path):
    settings = Settings(enhancer="local", enhancer_model=tmp_path / "absent", RUNPOD_ENDPOINT_ID="ep-1")
    with pytest.raises(ModelLoadError, match="absent"):
        build_enhancer(settings)


def test_missing_local_model_uses_the_template_locally(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING):
        enhancer = build_enhancer(Settings(enhancer="local", enhancer_model=tmp_path / "absent"))
    assert isinstance(enhancer, TemplateEnhancer) and "does not exist" in caplog.text


def test_local_without_a_model_folder_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="OURVIDZ_ENHANCER_MODEL"):
        build_enhancer(Settings(enhancer="local"))


def test_openai_settings_come_from_the_usual_variables(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OURVIDZ_ENHANCER", "openai")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1/")
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_MODEL", "qwen2.5-7b-instruct")
    settings = Settings()
    assert API_KEY not in repr(settings)
    enhancer = build_enhancer(settings)
    assert isinstance(enhancer, GuardedEnhancer) and enhancer.name == "openai:qwen2.5-7b-instruct"
    assert enhancer.llm.url == "http://127.0.0.1:9/v1/chat/completions"


def test_openai_without_url_or_model_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch):
    for name in ("OPENAI_BASE_URL", "OPENAI_MODEL", "OURVIDZ_ENHANCER_BASE_URL", "OURVIDZ_ENHANCER_API_MODEL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match=r"OPENAI_BASE_URL.*OPENAI_MODEL"):
        build_enhancer(Settings(enhancer="openai"))


# ---------------------------------------------------------------------------------------------
# OpenAI-compatible endpoint: a local server that speaks /chat/completions


def completion(content: str, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}],
    }


class ChatServer:
    """Answers each POST with the next canned (status, body, delay); records what it was sent."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, Any, float]] = []
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "headers": dict(self.headers), "json": body})
                status, reply, delay = server.replies.pop(0) if server.replies else (500, {"error": "none left"}, 0)
                time.sleep(delay)
                data = json.dumps(reply).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    server = ChatServer()
    yield server
    server.close()


def remote(server: ChatServer, **options: Any) -> OpenAICompatibleEnhancer:
    options = {"timeout": 2.0, "attempts": 3, "backoff": 0.0, **options}
    return OpenAICompatibleEnhancer(server.base_url, "tiny-chat", SecretStr(API_KEY), **options)


def test_remote_answer_is_checked_and_used(chat_server: ChatServer):
    chat_server.replies.append((200, completion(f"Prompt: {GOOD}"), 0))
    result = GuardedEnhancer(remote(chat_server, max_tokens=200)).enhance(PROMPT, CHARACTER)
    assert result == Enhancement(GOOD, "openai:tiny-chat", None)
    (sent,) = chat_server.requests
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert sent["json"]["model"] == "tiny-chat" and sent["json"]["max_tokens"] == 200
    assert sent["json"]["temperature"] == 0
    assert sent["json"]["messages"] == build_messages(PROMPT, CHARACTER)
    assert SYSTEM_PROMPT.splitlines()[0] in sent["json"]["messages"][0]["content"]


def test_remote_server_error_is_retried(chat_server: ChatServer):
    chat_server.replies += [(500, {"error": "busy"}, 0), (503, {"error": "busy"}, 0), (200, completion(GOOD), 0)]
    result = GuardedEnhancer(remote(chat_server)).enhance(PROMPT, None)
    assert result == Enhancement(GOOD, "openai:tiny-chat", None)
    assert len(chat_server.requests) == 3


def test_remote_errors_past_the_attempts_fall_back(chat_server: ChatServer, caplog: pytest.LogCaptureFixture):
    chat_server.replies += [(500, {"error": "down"}, 0)] * 2
    with caplog.at_level(logging.DEBUG):
        result = GuardedEnhancer(remote(chat_server, attempts=2)).enhance(PROMPT, None)
    assert result.enhancer == TEMPLATE_ENHANCER
    assert result.fallback_reason == "llm_error: 127.0.0.1 answered HTTP 500 2 times"
    assert len(chat_server.requests) == 2
    assert API_KEY not in caplog.text and API_KEY not in result.fallback_reason


def test_remote_client_error_is_not_retried(chat_server: ChatServer, caplog: pytest.LogCaptureFixture):
    chat_server.replies.append((401, {"error": {"message": "bad key"}}, 0))
    with caplog.at_level(logging.DEBUG):
        result = GuardedEnhancer(remote(chat_server)).enhance(PROMPT, None)
    assert result.fallback_reason == "llm_error: 127.0.0.1 answered HTTP 401"
    assert len(chat_server.requests) == 1
    assert API_KEY not in caplog.text


def test_slow_remote_times_out_and_falls_back(chat_server: ChatServer):
    chat_server.replies.append((200, completion(GOOD), 3.0))
    result = GuardedEnhancer(remote(chat_server, timeout=0.2)).enhance(PROMPT, None)
    # Not retried (a slow server stays slow), so the job waited one timeout, not three.
    assert result.enhancer == TEMPLATE_ENHANCER
    assert result.fallback_reason == "timeout: 127.0.0.1 did not answer within 0.2 s"
    assert len(chat_server.requests) == 1


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (completion(GOOD[:40], finish_reason="length"), "truncated"),
        ({"choices": []}, "llm_error"),
        (completion("Sure! Here is your prompt."), "chatter"),
    ],
)
def test_unusable_remote_answers_fall_back(chat_server: ChatServer, reply: dict[str, Any], reason: str):
    chat_server.replies.append((200, reply, 0))
    result = GuardedEnhancer(remote(chat_server)).enhance(PROMPT, None)
    assert result.enhancer == TEMPLATE_ENHANCER and result.fallback_reason.startswith(f"{reason}: ")


def test_unreachable_remote_falls_back():
    llm = OpenAICompatibleEnhancer("http://127.0.0.1:9/v1", "m", None, timeout=1.0, attempts=2, backoff=0.0)
    result = GuardedEnhancer(llm).enhance(PROMPT, None)
    assert result.enhancer == TEMPLATE_ENHANCER
    assert result.fallback_reason.startswith(("llm_error: could not reach 127.0.0.1", "timeout: "))


# ---------------------------------------------------------------------------------------------
# Through the worker


def _worker_with(enhancer, tiny_model, output_dir):
    from conftest import make_settings
    from ourvidz_worker.pipeline import VideoGenerator
    from ourvidz_worker.service import Worker
    from ourvidz_worker.storage.local import LocalStorage

    return Worker(
        make_settings(output_dir=output_dir), VideoGenerator(tiny_model), LocalStorage(output_dir), None, enhancer
    )


def test_enhance_job_reports_the_llm_or_why_it_fell_back(tiny_model, output_dir):
    from conftest import make_job

    good = _worker_with(GuardedEnhancer(FakeLLM(GOOD)), tiny_model, output_dir).run(
        {**make_job("enhance"), "prompt": PROMPT}
    )
    assert (good["enhancedPrompt"], good["enhancer"], good["enhancementFallback"]) == (GOOD, "fake:llm", None)

    chatty = _worker_with(GuardedEnhancer(FakeLLM("Sure! Here is your prompt: " + GOOD)), tiny_model, output_dir)
    fallen = chatty.run({**make_job("enhance"), "prompt": PROMPT})
    assert fallen["status"] == "completed" and fallen["enhancer"] == TEMPLATE_ENHANCER
    assert fallen["enhancementFallback"].startswith("chatter")


def test_opt_in_enhancement_feeds_the_generation(tiny_model, output_dir, monkeypatch):
    from conftest import make_job

    worker = _worker_with(GuardedEnhancer(FakeLLM(GOOD)), tiny_model, output_dir)
    prompts = []
    original = worker.generator.generate
    monkeypatch.setattr(
        worker.generator, "generate", lambda r, *a, **k: (prompts.append(r.prompt), original(r, *a, **k))[1]
    )
    job = make_job("preview", enhance=True)
    job["prompt"] = PROMPT
    result = worker.run(job)
    assert result["status"] == "completed" and result["enhancedPrompt"] == GOOD
    assert prompts == [GOOD] and "enhance" in result["timings"]
