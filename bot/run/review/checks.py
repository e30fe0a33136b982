"""The checks a reviewer's edit passes: the ones a model's post passes (hygiene, grounding) and its network's count.

A refusal is one line (`EditRefused`) that the CLI prints and the page shows beside the post.
"""

from __future__ import annotations

from bot.core.errors import BotError
from bot.core.records import PRIMARY, Article, Tweet
from bot.feed import article as article_stage
from bot.networks import registry
from bot.networks.registry import article_for, counter_for, rule
from bot.state.drafts import ReviewDraft
from bot.tweets.entities import mention_or_list_entities
from bot.tweets.grounding import gate
from bot.tweets.hygiene import allowed_for, clean, normalize_url
from bot.tweets.items import Item, find, permitted
from bot.tweets.length import Counter, is_valid, sanitize, urls

ALT_MAX = 1000  # X's media metadata takes alt text up to 1000 characters (the design notes)


class EditRefused(BotError):
    """An edit failed the checks a model's tweet must pass; the message is the one line to show beside it."""

    exit_code = 2


def _mentions(text: str) -> list[str]:
    """Each @mention X links in `text` (bot.tweets.entities, twitter-text's rule), as written, without a list slug."""
    return [text[start:start + 1 + len(name)] for start, _end, name, _slug in mention_or_list_entities(text)]


def _removed(before: list[str], after: list[str]) -> list[str]:
    left = list(after)
    gone = []
    for item in before:
        if item in left:
            left.remove(item)
        else:
            gone.append(item)
    return gone


def network_name(network: str) -> str:
    """A network as a person reads it: "X", "Bluesky", "Mastodon" (its descriptor's name)."""
    return registry.name(network)


def label(network: str, number: int) -> str:
    """How a message names one post: "tweet 2" on X, "Bluesky post 2", "Mastodon post 2"."""
    return registry.label(network, number)


def network_counter(draft: ReviewDraft, network: str) -> Counter:
    """How `network` measures the draft's posts: its limit and link count as the draft's plan saved them."""
    body = draft.saved.threads.get(network)
    if body is None:
        raise EditRefused(f"draft {draft.id} has no {network_name(network)} thread",
                          f"its threads: {', '.join(draft.saved.names())}")
    return counter_for(network, body.limit, body.url_weight)


def check_tweet(text: str, number: int, draft: ReviewDraft, network: str = PRIMARY) -> str:
    """The text as it will be posted, or EditRefused naming the one problem (length, foreign link or handle).

    Every network's post gets the checks a model's post gets (bot.tweets.hygiene), and its own network's count."""
    text = sanitize(text)
    name = label(network, number)
    counter = network_counter(draft, network)
    if not text.strip():
        raise EditRefused(f"{name} is empty; write something or keep the draft's text")
    article = article_for(network, article_stage.read_article(draft.entry))
    # The same hygiene a model's tweet gets: whatever it strips as foreign is refused here, not silently cut.
    cleaned = clean(text, article, faithful=False).text  # a person's own words are theirs to vouch for
    placed = {normalize_url(u) for t in draft.saved.posts(network) for u in urls(t.text)}
    _refuse_foreign(text, name, article, placed)
    foreign = [u for u in _removed(urls(text), urls(cleaned)) if normalize_url(u) not in placed]
    if foreign:
        raise EditRefused(f"{name} links to {foreign[0]}, which the article does not contain; remove the link")
    handles = _removed(_mentions(text), _mentions(cleaned))
    if handles:
        raise EditRefused(f"{name} mentions {handles[0]}, whom the article does not mention; remove the handle")
    # The same last gate every post passes: each sentence must stand on a passage of the article.
    body = text
    for url in urls(text):
        body = body.replace(url, " ")
    grounded = gate.ground(cleaned if cleaned.strip() else body, article)
    lost = [r for r in grounded.reasons if "sentence" in r]
    if lost:
        raise EditRefused(f"{name}: {lost[0]}; keep to what the article says")
    length = counter(text)
    if length > counter.limit:
        raise EditRefused(f"{name} is {length}/{counter.limit}: shorten it by {length - counter.limit} "
                          f"({rule(counter)})")
    if not is_valid(text, counter.measure, counter.limit):
        raise EditRefused(f"{name} has a character {network_name(network)} refuses "
                          "(U+FFFE, U+FEFF or U+FFFF); remove it")
    return text


def _refuse_foreign(text: str, name: str, article: Article, placed: set[str]) -> None:
    """EditRefused for the first address, handle or cashtag in `text` the article does not have (bot.tweets.items:
    `evil[.]com`, `hxxps://…`, an IP, `user@host` or `@user@instance`, `@name.domain`, `$TAG`), as hygiene would
    remove it from a model's post; the links already in the draft's own thread (the article's, with its UTM) stay."""
    allowed = allowed_for(article)
    for item in find(text):
        if permitted(item, allowed.urls, allowed.handles, allowed.cashtags):
            continue
        if item.kind == "url" and item.text.isascii() and normalize_url(item.text) in placed:
            continue
        raise EditRefused(f"{name} {_what(item)}")


def _what(item: Item) -> str:
    if item.kind == "handle":
        return f"mentions {item.text}, whom the article does not mention; remove the handle"
    if item.kind == "cashtag":
        return f"names the cashtag {item.text}, which the article does not have; remove it"
    if item.kind == "address" and "@" in item.text and "/" not in item.text:
        return f"gives the address {item.text}, which the article does not contain; remove it"
    return f"links to {item.text}, which the article does not contain; remove the link"


def alt_problem(alt: str, draft: ReviewDraft | None = None) -> str:
    """Why this alt text cannot be used, or "" when it can; with the draft, also any address, handle or cashtag
    its article does not have (the alt text goes out on every network, held to the article as a post is)."""
    alt = " ".join(sanitize(alt).split())
    if not alt:
        return "the alt text is empty; describe the image for readers who cannot see it"
    if len(alt) > ALT_MAX:
        return f"the alt text is {len(alt)} characters; X takes at most {ALT_MAX}"
    if draft is not None:
        try:  # no network makes a mention or a link of an image description: the article's own rules
            article = article_stage.read_article(draft.entry)
            _refuse_foreign(alt, "the alt text", article, set())
        except EditRefused as exc:
            return exc.message
        # The last gate, as for the model's alt text: every number, name and quote in it is the article's.
        lost = [r for r in gate.ground(alt, article, whole=True).reasons if "sentence" in r]
        if lost:
            return f"the alt text: {lost[0]}; keep to what the article says"
    return ""


def tweets_of(draft: ReviewDraft, network: str = PRIMARY) -> list[Tweet]:
    """The draft's tweets for one network as records, each with its length as that network counts it."""
    counter = network_counter(draft, network)
    article = article_for(network, article_stage.read_article(draft.entry))
    return [Tweet(gate.recheck(t.text, article, counter), int(t.weighted_length or counter(t.text)), t.evidence)
            for t in draft.saved.posts(network)]
