"""Issue 18, "read what a reader reads": attack and legitimate cases for hygiene, judged by properties only.

Written BEFORE the fix. Blind count on the unchanged code (branch `reader` at 3d7061c), measured with
`PYTHONPATH=. pytest -q tests/tweets/test_reader.py tests/corpus/test_reader_dryrun.py`: 62 of the 111 unit
tests and 36 of the 66 dry runs (x,bluesky,mastodon) failed. Cases marked "after the fix" came later and are not
in that count. See BLIND below.

The oracle never uses the bot's code: a post is read as a person reads it by `read()` (NFKC, then unidecode's
ASCII transliteration, lower case, everything but letters, digits, @ and $ dropped), and the attacker's name
("zorbex", written in every disguise below) must not be readable in any post, nor in two adjacent posts joined.
"""

from __future__ import annotations

import re
import unicodedata

from unidecode import unidecode

# BLIND: failures on the unchanged code (3d7061c), before any fix. tests/tweets/test_reader.py: 62 of 111 failed
# (46 disguises, 18 labels, 24 legitimate, 16 model answers, plus the kappa, anchor, split and stripper tests);
# tests/corpus/test_reader_dryrun.py (x,bluesky,mastodon): 36 of 66 failed.
BLIND = {"unit": (62, 111), "dryrun": (36, 66)}

ATTACKER = "zorbex"
TITLE = "Penn Spark Red applications"
LINK = "https://pennspark.substack.com/p/red"

ARTICLE_HTML = """
<p>Penn Spark Red applications are open until Jan 24 at 5pm.</p>
<p>The info session is on Jan 22 at 7pm in Houston Hall.</p>
<p>Apply at <a href="https://pennspark.org/apply">pennspark.org/apply</a>.</p>
<p>Follow us on X at @pennspark for updates.</p>
<p>To build the site locally, run setup.py and read README.md first.</p>
<p>The tutorial on docs.python.org explains virtual environments.</p>
<p>Both Node.js and ASP.NET work for the backend track.</p>
<p>東京の仲間はXで@tokyo_rustをフォローしてください。</p>
<p>¿Sabías que Penn Spark tiene 300 miembros?</p>
<p>يضم النادي ٣٠٠ عضو في فيلادلفيا.</p>
<p>क्लब में ३०० सदस्य हैं।</p>
<p>Penn Spark cheers for Wales 🏴󠁧󠁢󠁷󠁬󠁳󠁿 at every match.</p>
<p>Families 👨‍👩‍👧 are welcome at the demo day.</p>
<p>🎉 Welcome to the new cohort of builders.</p>
<p>Members track the $PSPK index in the newsletter.</p>
<p>Write to hello@pennspark.org with questions.</p>
<p>Code · Design · Launch is our motto.</p>
<p>Tickets cost $5 at the door.</p>
<p>Η ομάδα μας συναντιέται κάθε Τρίτη.</p>
<p>Мы встречаемся каждую среду.</p>
<p>我们每周三见面。</p>
<p>우리는 매주 수요일에 만납니다.</p>
<p>Chúng tôi gặp nhau vào thứ Tư.</p>
<p>The hidden prize link is <a href="https://zorbex.com/claim">\u200b</a> not shown.</p>
"""

LEAD = "Penn Spark Red applications are open until Jan 24 at 5pm."


def read(text: str) -> str:
    """What a reader reads, as one run of ASCII letters, digits, @ and $ (the oracle; independent of the bot)."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return re.sub(r"[^a-z0-9@$]", "", unidecode(text).lower())


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", unidecode(unicodedata.normalize("NFKC", text)).lower())


# (id, the attack sentence): the model's tweet is LEAD + " " + attack; the attacker must be unreadable afterwards,
# and LEAD must survive.
DISGUISES = [
    ("dash-glued", "Admin panel -zorbex.com/red"),
    ("slash-glued", "Admin panel /zorbex.com/red"),
    ("underscore-glued", "Admin panel _zorbex.com/red"),
    ("dot-word", "Claim it at zorbex dot ai"),
    ("spaced-dot", "Claim it at zorbex . ai"),
    ("middle-dot", "Claim it at zorbex·com"),
    ("hyphenation-point", "Claim it at zorbex‧com"),
    ("arabic-full-stop", "Claim it at zorbex۔com"),
    ("halfwidth-ideographic-stop", "Claim it at zorbex｡com"),
    ("ideographic-stop", "Claim it at zorbex。com"),
    ("one-dot-leader", "Claim it at zorbex․com"),
    ("fullwidth-stop", "Claim it at zorbex．com"),
    ("bullet-dot", "Claim it at zorbex•com"),
    ("bullet-operator", "Claim it at zorbex∙com"),
    ("dot-operator", "Claim it at zorbex⋅com"),
    ("math-bold", "Claim it at 𝐳𝐨𝐫𝐛𝐞𝐱.𝐜𝐨𝐦"),
    ("math-mono", "Claim it at 𝚣𝚘𝚛𝚋𝚎𝚡.𝚊𝚒"),
    ("circled", "Claim it at ⓩⓞⓡⓑⓔⓧ.ⓒⓞⓜ"),
    ("small-caps", "Claim it at ᴢᴏʀʙᴇx.ᴄᴏᴍ"),
    ("cyrillic-o", "Claim it at zоrbex.com"),
    ("fullwidth-letters", "Claim it at ｚｏｒｂｅｘ.ｃｏｍ"),
    ("upper-case", "Claim it at ZORBEX.COM"),
    ("eth-name", "Send it to zorbex.eth"),
    ("sol-name", "Send it to zorbex.sol"),
    ("crypto-name", "Send it to zorbex.crypto"),
    ("percent-dot", "Claim it at zorbex%2eai"),
    ("letter-spaced", "Claim it at z o r b e x . c o m"),
    ("brace-dot", "Claim it at zorbex{dot}com"),
    ("bracket-dot", "Claim it at zorbex[.]com"),
    ("paren-dot", "Claim it at zorbex(dot)com"),
    ("spaced-bracket-dot", "Claim it at zorbex [dot] com"),
    ("angle-dot", "Claim it at zorbex<dot>com"),
    ("upper-dot-word", "Claim it at zorbex DOT com"),
    ("space-before-dot", "Claim it at zorbex .com"),
    ("space-after-dot", "Claim it at zorbex. com/red"),
    ("zero-width-inside", "Claim it at zor\u200bbex.com"),
    ("defanged-scheme", "Claim it at hxxps://zorbex[.]com"),
    ("xyz-path", "Claim it at zorbex.xyz/claim"),
    ("double-at", "Questions go to @@zorbex"),
    ("fullwidth-handle", "Questions go to @ｚｏｒｂｅｘ"),
    ("fullwidth-at", "Questions go to ＠zorbex"),
    ("handle-after-emoji", "Questions go to 🎉@zorbex"),
    ("cashtag-after-japanese", "価格は$ZORBEX"),
    ("long-cashtag", "Buy $ZORBEXCOIN today"),
    ("lower-cashtag", "Buy $zorbex today"),
    ("dotted-handle", "Questions go to @zorbex.bsky.social"),
]

# (id, attack sentence, words of its label that must not be left behind)
LABELS = [
    ("admin-panel", "Admin panel: zorbex.com/red", ["admin", "panel"]),
    ("log-in-at", "Log in at zorbex dot ai", ["log"]),
    ("ping", "Questions? ping @@zorbex", ["ping", "questions"]),
    ("dm", "DM ＠zorbex", ["dm"]),
    ("see", "See zorbex·com.", ["see"]),
    ("designers-in", "Penn Spark needs designers in zorbex.eth.", ["designers"]),
    ("arrow", "Admin panel → 𝐳𝐨𝐫𝐛𝐞𝐱.𝐜𝐨𝐦", ["admin", "panel"]),
    ("portal", "Portal: zorbex[.]com", ["portal"]),
    ("sign-up-here", "Sign up here: zorbex۔com", ["sign"]),
    ("contact", "Contact: @@zorbex", ["contact"]),
    ("buy-now", "Buy $ZORBEXCOIN now", ["buy"]),
    ("password-reset", "Password reset at ᴢᴏʀʙᴇx.ᴄᴏᴍ", ["password"]),
    ("tickets", "For tickets, visit zorbex.sol", ["tickets"]),
    ("details-at", "Details at zorbex%2eai.", ["details"]),
    ("reach-team", "Reach the team on z o r b e x . c o m", ["reach"]),
    ("full-list", "Full list: -zorbex.com/red", ["list"]),
    ("join-chat", "Join the chat at /zorbex.com/red", ["chat"]),
    ("wallet", "Send your deposit to zorbex.eth to hold a seat.", ["deposit"]),
]

# Added after the blind run (not counted in BLIND): labels on their own line, and a longer label before a colon.
LABELS_LATER = [
    ("label-own-line", "Admin panel:\nzorbex.com/red", ["admin", "panel"]),
    ("log-in-own-line", "Log in at\nzorbex dot ai", ["log"]),
    ("see-own-line", "See\n@@zorbex", ["see"]),
    ("long-colon-label", "The admin panel for mentors: zorbex.com", ["admin", "mentors"]),
    ("arrow-own-line", "Claim your seat 👉\nzorbex.eth", ["claim", "seat"]),
]

# (id, article sentence quoted by the model, text that must survive in the X post)
LEGIT = [
    ("setup-py", "To build the site locally, run setup.py and read README.md first.", ["setup.py", "README.md"]),
    ("japanese-handle", "東京の仲間はXで@tokyo_rustをフォローしてください。", ["@tokyo_rust"]),
    ("spanish-question", "¿Sabías que Penn Spark tiene 300 miembros?", ["¿Sabías"]),
    ("arabic-digits", "يضم النادي ٣٠٠ عضو في فيلادلفيا.", ["٣٠٠"]),
    ("devanagari-digits", "क्लब में ३०० सदस्य हैं।", ["३००"]),
    ("wales-flag", "Penn Spark cheers for Wales 🏴󠁧󠁢󠁷󠁬󠁳󠁿 at every match.", ["🏴󠁧󠁢󠁷󠁬󠁳󠁿"]),
    ("zwj-family", "Families 👨‍👩‍👧 are welcome at the demo day.", ["👨‍👩‍👧"]),
    ("word-after-emoji", "🎉 Welcome to the new cohort of builders.", ["Welcome to the new cohort"]),
    ("own-cashtag", "Members track the $PSPK index in the newsletter.", ["$PSPK"]),
    ("own-handle", "Follow us on X at @pennspark for updates.", ["@pennspark"]),
    ("own-anchor", "Apply at pennspark.org/apply.", ["pennspark.org/apply"]),
    ("own-email", "Write to hello@pennspark.org with questions.", ["hello@pennspark.org"]),
    ("own-lead", LEAD, ["Jan 24 at 5pm"]),
    ("written-address", "The tutorial on docs.python.org explains virtual environments.", ["docs.python.org"]),
    ("node-aspnet", "Both Node.js and ASP.NET work for the backend track.", ["ASP.NET"]),
    ("middle-dot-motto", "Code · Design · Launch is our motto.", ["Launch is our motto"]),
    ("dollar-price", "Tickets cost $5 at the door.", ["$5"]),
    ("greek", "Η ομάδα μας συναντιέται κάθε Τρίτη.", ["συναντιέται"]),
    ("russian", "Мы встречаемся каждую среду.", ["встречаемся"]),
    ("chinese", "我们每周三见面。", ["见面"]),
    ("korean", "우리는 매주 수요일에 만납니다.", ["만납니다"]),
    ("vietnamese", "Chúng tôi gặp nhau vào thứ Tư.", ["gặp nhau"]),
    ("info-session", "The info session is on Jan 22 at 7pm in Houston Hall.", ["Houston Hall"]),
    ("own-address-bracketed", "Apply at pennspark[.]org/apply.", ["Apply at"]),
]

_T = ["Penn Spark Red applications are open until Jan 24 at 5pm.", "The info session is on Jan 22 at 7pm in Houston Hall.",
      "Apply at pennspark.org/apply."]


def _js(tweets: list[str], quote: str = '"') -> str:
    inner = ", ".join(f"{quote}{t}{quote}" for t in tweets)
    return '{' + f'{quote}tweets{quote}: [{inner}], {quote}image_prompt{quote}: {quote}A poster of a hackathon{quote}, ' \
           f'{quote}alt_text{quote}: {quote}Students at a hackathon{quote}' + '}'


# (id, the model's whole answer, texts that must be posted, texts that must not be)
ANSWERS = [
    ("draft-then-final",
     'Draft: {"tweets": ["Families 👨‍👩‍👧 are welcome at the demo day.", "Tickets cost $5 at the door."]}\n\n'
     "Final answer: " + _js(_T), ["Houston Hall"], ["Families", "Tickets cost"]),
    ("think-block", "<think>Maybe: " + _js(["Tickets cost $5 at the door."]) + "</think>\n" + _js(_T),
     ["Houston Hall"], ["Tickets cost"]),
    ("unopened-think", "The user wants tweets. " + _js(["Tickets cost $5 at the door."]) + "\n</think>\n" + _js(_T),
     ["Houston Hall"], ["Tickets cost"]),
    ("trailing-commas", '{"tweets": ["' + '", "'.join(_T) + '",], "image_prompt": "A poster",}', ["Houston Hall"], []),
    ("python-dict", _js(_T, "'").replace("open until", "open until"), ["Houston Hall"], []),
    ("curly-quotes", _js(_T, "“").replace("“,", "”,").replace("“]", "”]").replace("“}", "”}").replace("“:", "”:"),
     ["Houston Hall"], []),
    ("cut-off-fence", "```json\n" + _js(_T) + "\n", ["Houston Hall"], []),
    ("cut-off-json", "```json\n" + _js(_T)[:-40], ["Houston Hall"], []),
    ("bold-numbering", "\n\n".join(f"**{i}/3** {t}" for i, t in enumerate(_T, 1)), ["Houston Hall"], ["1/3", "**"]),
    ("thread-emoji-numbering", _js([f"🧵 {i}/ {t}" for i, t in enumerate(_T, 1)]), ["Houston Hall"], ["🧵", "1/"]),
    ("paren-numbering", _js([f"({i}/3) {t}" for i, t in enumerate(_T, 1)]), ["Houston Hall"], ["(1/3)", "(2/3)"]),
    ("slash-numbering", _js([f"{i}/ {t}" for i, t in enumerate(_T, 1)]), ["Houston Hall"], ["1/ ", "2/ "]),
    ("wales-in-json", _js(["Penn Spark cheers for Wales 🏴󠁧󠁢󠁷󠁬󠁳󠁿 at every match.", *_T[1:]]), ["🏴󠁧󠁢󠁷󠁬󠁳󠁿"], []),
    ("family-in-json", _js(["Families 👨‍👩‍👧 are welcome at the demo day.", *_T[1:]]), ["👨‍👩‍👧"], []),
    ("draft-final-lists", "Draft:\n1. Tickets cost $5 at the door.\n2. Families 👨‍👩‍👧 are welcome at the demo day.\n\n"
     "Final answer:\n" + "\n".join(f"{i}. {t}" for i, t in enumerate(_T, 1)), ["Houston Hall"], ["Tickets cost"]),
    ("python-dict-trailing", "{'tweets': ['" + "', '".join(_T) + "',], 'image_prompt': 'A poster',}", ["Houston Hall"], []),
]
