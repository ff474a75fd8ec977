"""Checking an LLM answer before it becomes the prompt, and falling back to the template."""

from __future__ import annotations

import math
import re
from collections import Counter

from ..errors import EnhancerError
from ..writing_systems import script_of
from .base import DEFAULT_MAX_CHARS, Enhancement, Enhancer, InvalidEnhancement, log
from .llm import ChatEnhancer, build_messages
from .template import TemplateEnhancer

_THINK = re.compile(r"^\s*<think>.*?</think>", re.S)
_FENCE = re.compile(r"^```[\w-]*[ \t]*\n?(.*?)\n?```$", re.S)
_LABEL = re.compile(
    r"^(?:\*\*|__)?(?:enhanced |improved |rewritten |final |video )?prompt\s*(?:\*\*|__)?\s*:\s*(?:\*\*|__)?", re.I
)
_QUOTES = {'"': '"', "“": "”", "„": "“", "'": "'", "‘": "’", "«": "»", "「": "」", "『": "』", "`": "`"}
_CHATTER_START = re.compile(
    r"^(?:sure|certainly|of course|absolutely|okay|ok|alright|here(?:'s| is| are)|below is"
    r"|i(?:'ve| have) (?:rewritten|enhanced|created|written)|claro|por supuesto|aquí (?:está|tienes)"
    r"|voici|bien sûr|hier ist|gerne|certo|ecco|конечно|вот)\b",
    re.I,
)
_CHATTER_ANY = re.compile(
    r"\b(?:let me know|i hope (?:this|that|you)|feel free to|hope you (?:like|enjoy)"
    r"|(?:enhanced|improved|rewritten) prompt|here(?:'s| is) (?:the|your|an?) \w*\s*prompt"
    r"|this prompt (?:captures|emphasi[sz]es|keeps|combines|describes|preserves))\b",
    re.I,
)
_REFUSAL = re.compile(
    r"\b(?:as an ai|as a language model|language model|i(?:'m| am) sorry|i apologi[sz]e"
    r"|i (?:can't|cannot|can not|won't|will not|am unable to|'m unable to|am not able to)"
    r"|against (?:my|the|our) (?:guidelines|polic(?:y|ies)|content polic(?:y|ies))|i must (?:decline|refuse))\b",
    re.I,
)
_ALTERNATIVES = re.compile(
    r"\b(?:option|alternative|version|variant|variation|prompt)\s*(?:#\s*)?(?:\d+|[a-c])\s*[:.)-]"
    r"|\balternatively\b|\bor, alternatively\b",
    re.I,
)
_LIST_OR_HEADING = re.compile(r"^\s*(?:[-*•+]|\d+[.)]|#{1,6})\s", re.M)

# Function words of the main Latin-script languages: enough to tell them apart on a sentence.
_FUNCTION_WORDS = {
    "English": "the a an and of in on at with is are her his their its to from by while into through under over"
    " she he they it as this that",
    "Spanish": "el los las la del una uno y con que es por para al se su sus en un lo muy sobre entre mientras",
    "French": "le les la des du une un et est dans sur avec pour au aux qui que sa son ses en ce cette elle il",
    "German": "der die das und ist mit ein eine einer einem einen auf im den dem von zu sich bei vor sie er es",
    "Italian": "il gli lo della delle dei nella nelle sulla sul con che è di per un una uno e le sua suo mentre",
    "Portuguese": "o os as um uma e é do da dos das em no na nos nas com para pelo pela que ao sua seu enquanto",
    "Dutch": "de het een en van op met is niet dat die zijn naar bij aan voor haar hij zij",
}
STOPWORDS: dict[str, frozenset[str]] = {lang: frozenset(words.split()) for lang, words in _FUNCTION_WORDS.items()}
_ALL_STOPWORDS = frozenset().union(*STOPWORDS.values())
# Words that ask for a video rather than describe it: not part of the subject.
_REQUEST_WORDS = "make create generate show render video clip scene image picture photo please want prompt film very"
_GENERIC = frozenset(_REQUEST_WORDS.split())
_UNSEGMENTED = frozenset({"cjk", "hangul", "thai"})  # scripts written without spaces between words
_CJK_FUNCTION_CHARS = frozenset("的了在是一和着上个有这那与及也就都把被")
_WORD = re.compile(r"[^\W\d_]+")


def dominant_script(text: str) -> str | None:
    counts = Counter(script_of(ch) for ch in text if ch.isalpha())
    return counts.most_common(1)[0][0] if counts else None


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def language_scores(text: str) -> Counter[str]:
    words = _words(text)
    return Counter({lang: sum(w in stop for w in words) for lang, stop in STOPWORDS.items()})


def guess_language(text: str) -> str | None:
    """A Latin-script language when the function words say so clearly, else None."""
    ranked = language_scores(text).most_common(2)
    best, second = ranked[0][1], ranked[1][1]
    return ranked[0][0] if best >= 2 and best >= 2 * second else None


def _subject_units(text: str, script: str | None) -> set[str]:
    if script in _UNSEGMENTED:
        return {ch for ch in text if ch.isalpha() and script_of(ch) == script and ch not in _CJK_FUNCTION_CHARS}
    return {w for w in _words(text) if len(w) >= 3 and w not in _ALL_STOPWORDS and w not in _GENERIC}


def clean_output(output: str) -> str:
    """Strip what wraps a prompt (thinking, code fences, a 'Prompt:' label, quotes, bold)."""
    text = output.replace("\r\n", "\n")
    for _ in range(4):
        before = text
        text = _THINK.sub("", text.strip()).strip()
        fenced = _FENCE.match(text)
        if fenced:
            text = fenced.group(1).strip()
        text = _LABEL.sub("", text, count=1).strip()
        for marker in ("**", "__"):
            if len(text) > 4 and text.startswith(marker) and text.endswith(marker):
                text = text[2:-2].strip()
        if len(text) >= 2 and text[0] in _QUOTES and text[-1] == _QUOTES[text[0]]:
            inner = text[1:-1]
            if text[0] not in inner and _QUOTES[text[0]] not in inner:
                text = inner.strip()
        if text == before:
            break
    return text.replace("**", "").replace("__", "")


def check_enhancement(output: str, prompt: str, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The LLM's answer as a one-line prompt, or InvalidEnhancement saying what is wrong with it.

    Rules: non-empty; at most `max_chars`; no chatter, refusal or moralising; one paragraph, no
    lists, headings or alternatives; the prompt's language (script, and function words for
    Latin-script languages); at least half of the prompt's content words (or characters, for
    scripts without spaces) still there.
    """
    text = clean_output(output)
    if not text:
        raise InvalidEnhancement("empty", "the model returned no text")
    single = " ".join(text.split())
    if len(single) > max_chars:
        raise InvalidEnhancement("too_long", f"{len(single)} characters, at most {max_chars}")
    plain = single.replace("’", "'")
    if _REFUSAL.search(plain):
        raise InvalidEnhancement("refusal", "the model refused, apologised or talked about itself")
    match = _CHATTER_START.match(plain) or _CHATTER_ANY.search(plain)
    if match:
        raise InvalidEnhancement("chatter", f"the answer talks to the user ({match.group(0)!r})")
    if "```" in text or _LIST_OR_HEADING.search(text):
        raise InvalidEnhancement("format", "a list, heading or code block instead of one paragraph")
    if re.search(r"\n\s*\n", text):
        raise InvalidEnhancement("format", "several paragraphs instead of one")
    if _ALTERNATIVES.search(plain):
        raise InvalidEnhancement("alternatives", "several alternatives instead of one prompt")
    _check_language(single, prompt)
    _check_subject(single, prompt)
    return single


def _check_language(text: str, prompt: str) -> None:
    prompt_script, text_script = dominant_script(prompt), dominant_script(text)
    if prompt_script and text_script and prompt_script != text_script:
        raise InvalidEnhancement("language", f"the prompt is in {prompt_script} script, the answer in {text_script}")
    if prompt_script != "latin":
        return
    language = guess_language(prompt)
    if language is None:
        return
    scores = language_scores(text)
    best_language, best = scores.most_common(1)[0]
    if best >= 3 and scores[language] < 0.5 * best:
        raise InvalidEnhancement("language", f"the prompt looks {language}, the answer {best_language}")


def _check_subject(text: str, prompt: str) -> None:
    script = dominant_script(prompt)
    wanted = _subject_units(prompt, script)
    if not wanted:
        return
    if script in _UNSEGMENTED:
        kept = {unit for unit in wanted if unit in text}
    else:
        have = _words(text)
        kept = {w for w in wanted if any(h.startswith(w[:4]) for h in have)}
    if len(kept) < math.ceil(0.5 * len(wanted)):
        raise InvalidEnhancement("subject", f"the answer keeps {len(kept)} of the prompt's {len(wanted)} content words")


class GuardedEnhancer:
    """An LLM enhancer whose answers are checked; the template writes the prompt when they fail."""

    def __init__(self, llm: ChatEnhancer, *, fallback: Enhancer | None = None) -> None:
        self.llm = llm
        self.fallback = fallback or TemplateEnhancer()
        self.name = llm.name

    def enhance(self, prompt: str, character_description: str | None = None) -> Enhancement:
        if len(prompt) > self.llm.max_chars:
            return self._fall_back(
                prompt, character_description, f"prompt_too_long: the prompt already has {len(prompt)} characters"
            )
        messages = build_messages(prompt, character_description, max_chars=self.llm.max_chars)
        try:
            answer = self.llm.complete(messages)
            text = check_enhancement(answer, prompt, max_chars=self.llm.max_chars)
        except EnhancerError as exc:
            return self._fall_back(prompt, character_description, f"{exc.reason}: {exc.message}")
        except InvalidEnhancement as exc:
            return self._fall_back(prompt, character_description, f"{exc.reason}: {exc.detail}")
        except Exception as exc:  # noqa: BLE001 - an enhancer must never fail the job
            log.exception("enhancer failed unexpectedly", extra={"enhancer": self.name})
            return self._fall_back(prompt, character_description, f"llm_error: {type(exc).__name__}")
        return Enhancement(text, self.name)

    def _fall_back(self, prompt: str, character_description: str | None, reason: str) -> Enhancement:
        log.warning("enhancement fell back to the template", extra={"enhancer": self.name, "reason": reason})
        result = self.fallback.enhance(prompt, character_description)
        return Enhancement(result.text, result.enhancer, reason)
