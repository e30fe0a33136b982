"""Prompts from the Jinja2 templates in templates/ (or the user's copies), and the article fitted to the model's context.

The article goes into the template as a variable, never as template source, so nothing in it is
evaluated; the system template tells the model that everything between <article> tags is data.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from bot.core.errors import ConfigError
from bot.core.records import Article, ThreadSpec
from bot.tweets.length import weighted_length

TEMPLATES = ("system.j2", "thread.j2", "rewrite.j2", "repair.j2")
OPTIONAL = ("revise.j2",)  # newer than some users' copies: the bundled one is used when a copy lacks it
_HERE = Path(__file__).resolve().parent.parent  # the bot package
# Installed from a wheel, templates/ sits inside the package (pyproject maps it to bot.templates); in a
# checkout or an editable install it is the top-level folder users see and copy.
BUNDLED = next((p for p in (_HERE / "templates", _HERE.parent / "templates") if (p / "system.j2").is_file()),
               _HERE.parent / "templates")
TRIMMED = "[…]"
# Room kept in each tweet for the link (23), a space, and numbering like "10/10 " (the design notes: URLs count 23).
TWEET_BUDGET = 240

# JSON schema of the answer, sent as response_format where the endpoint honours it.
THREAD_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "tweets": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        # Per tweet, the article's sentence it rests on, word for word (bot.writing.evidence; grounding checks it).
        "evidence": {"type": "array", "items": {"type": "string"}},
        "image_prompt": {"type": "string"},
        "alt_text": {"type": "string"},
    },
    "required": ["tweets", "image_prompt", "alt_text"],
    "additionalProperties": False,
}

LANGUAGES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German", "it": "Italian", "pt": "Portuguese",
             "nl": "Dutch", "ja": "Japanese", "zh": "Chinese", "ko": "Korean", "ru": "Russian", "ar": "Arabic",
             "hi": "Hindi", "tr": "Turkish", "pl": "Polish", "sv": "Swedish", "uk": "Ukrainian", "he": "Hebrew"}


@dataclass(frozen=True, slots=True)
class Messages:
    """Chat messages for one request, ready for chat_completion."""

    items: tuple[dict[str, str], ...]

    def as_list(self) -> list[dict[str, str]]:
        """A fresh list of dicts, as the client takes them."""
        return [dict(m) for m in self.items]

    def then(self, answer: str, ask: str) -> Messages:
        """These messages, the model's answer, and a new question."""
        return Messages((*self.items, {"role": "assistant", "content": answer}, {"role": "user", "content": ask}))


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate: about 4 characters a token in alphabetic scripts, one per CJK character."""
    wide = sum(1 for c in text if unicodedata.east_asian_width(c) in "WF")
    return (len(text) - wide + 3) // 4 + wide


def wide_share(text: str) -> float:
    """The share of letters that X counts double (CJK and other scripts outside its light ranges)."""
    letters = [c for c in text if c.isalnum()]
    if not letters:
        return 0.0
    sample = "".join(letters[:2000])
    return (weighted_length(sample) - len(sample)) / len(sample)


def characters_for(weight: int, text: str) -> int:
    """How many characters to ask a model for so that the text weighs about `weight` as X counts it.

    Models count characters, X counts Chinese, Japanese, Korean (and most non-Latin scripts) double: asking for
    240 characters of Japanese gets 480 weighted, and every tweet would need a rewrite.
    """
    return round(weight / (1 + wide_share(text)))


def language_of(article: Article, spec: ThreadSpec) -> str:
    """The language to write in: the setting, else the feed's declared language, else the article's own."""
    if spec.language.strip():
        return spec.language.strip()
    code = article.entry.language.split("-")[0].lower()
    return LANGUAGES.get(code, "the same language as the article")


def budget_body(article: Article, tokens: int) -> str:
    """The article's text within `tokens`: every heading kept, paragraphs in order until the budget is spent."""
    parts: list[str] = []
    used, cut = 0, False
    for block in article.blocks:
        text = f"## {block.text}" if block.kind == "heading" else (f"> {block.text}" if block.kind == "quote" else block.text)
        cost = estimate_tokens(text) + 1
        if block.kind == "heading" or used + cost <= tokens:
            parts.append(text)
            used += cost
            continue
        room = tokens - used
        if not cut and room > 40:  # the start of a long paragraph, cut at a word
            piece = _cut(text, room)
            if piece:
                parts.append(piece + " " + TRIMMED)
                used = tokens
        elif not cut:
            parts.append(TRIMMED)
        cut = True
    return "\n\n".join(parts)


def _cut(text: str, tokens: int) -> str:
    """The longest prefix of `text` ending at a space that stays within `tokens`."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if estimate_tokens(text[:mid]) <= tokens:
            lo = mid
        else:
            hi = mid - 1
    piece = text[:lo]
    return piece[: piece.rfind(" ")] if " " in piece[-60:] else piece


def _neutral(text: str) -> str:
    """Article text cannot close the <article> block early and speak to the model as the user."""
    return text.replace("</article", "</ article").replace("<article", "< article")


class Prompts:
    """The four templates, loaded once from the bundled folder or writer.templates_dir."""

    def __init__(self, folder: str = "") -> None:
        from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

        where = Path(folder).expanduser() if folder else BUNDLED
        missing = [name for name in TEMPLATES if not (where / name).is_file()]
        if missing:
            hint = ("copy the bundled templates/ folder and edit the copies" if folder
                    else "reinstall the bot: its templates/ folder is incomplete")
            raise ConfigError(f"writer.templates_dir {str(where)!r} lacks {', '.join(missing)}", hint)
        # autoescape off: these are plain-text prompts, not HTML; keep_trailing_newline for exact layout.
        self.env = Environment(loader=FileSystemLoader(str(where)), undefined=StrictUndefined,
                               autoescape=False, keep_trailing_newline=False, trim_blocks=False)
        try:
            self.templates = {name: self.env.get_template(name) for name in TEMPLATES}
            for name in OPTIONAL:
                env = self.env if (where / name).is_file() else Environment(
                    loader=FileSystemLoader(str(BUNDLED)), undefined=StrictUndefined, autoescape=False)
                self.templates[name] = env.get_template(name)
        except TemplateError as exc:
            raise ConfigError(f"the prompt template in {where} does not parse: {exc}", "fix the template's Jinja syntax") from exc

    def _render(self, name: str, **values: object) -> str:
        from jinja2 import TemplateError

        try:
            return self.templates[name].render(**values).strip()
        except TemplateError as exc:
            raise ConfigError(f"the prompt template {name} failed: {exc}", "check the variables it uses against the bundled copy") from exc

    def thread(self, article: Article, spec: ThreadSpec, context_tokens: int) -> Messages:
        """System and user messages asking for the whole thread as JSON."""
        entry = article.entry
        view = {
            "title": _neutral(entry.title), "subtitle": _neutral(entry.subtitle), "author": _neutral(entry.author),
            "publication": _neutral(entry.publication), "paywalled": entry.paywalled,
            "body": _neutral(budget_body(article, context_tokens)),
        }
        language = language_of(article, spec)
        sample = f"{entry.title} {entry.subtitle} {article.text[:4000]}"
        system = self._render("system.j2", spec=spec, language=language,
                              tweet_budget=characters_for(TWEET_BUDGET, sample), publication=entry.publication)
        user = self._render("thread.j2", article=view, spec=spec, language=language)
        return Messages(({"role": "system", "content": system}, {"role": "user", "content": user}))

    def repair(self, spec: ThreadSpec) -> str:
        """The follow-up that asks once more for readable JSON."""
        return self._render("repair.j2", spec=spec)

    def revise(self, text: str, problem: str, budget: int, article: Article, spec: ThreadSpec) -> Messages:
        """One message asking to rewrite a tweet without what hygiene had to remove (`problem` says what)."""
        ask = self._render("revise.j2", text=text, problem=problem, budget=characters_for(budget, text),
                           language=language_of(article, spec), title=_neutral(article.title))
        return Messages(({"role": "user", "content": ask},))

    def rewrite(self, text: str, budget: int, article: Article, spec: ThreadSpec) -> Messages:
        """One message asking to shorten a tweet to `budget` weighted characters."""
        ask = self._render("rewrite.j2", text=text, budget=characters_for(budget, text), language=language_of(article, spec),
                           title=_neutral(article.title))
        return Messages(({"role": "user", "content": ask},))
