"""Grounding cases: a scripted model's thread on one of articles.py's articles, judged by properties.

`never`: patterns no post on any network may match (a claim the article's passage does not support);
`keep`: patterns some post on every network must match (the model's good sentence survived);
`alt_never` / `prompt_never`: the same for the image's alt text and the prompt sent to the image model.
`revise` / `shorten`: what the model answers when asked to rewrite or shorten a tweet.
"""

from __future__ import annotations

from typing import Any

from grounding import articles as A

T_OK = "Penn Spark opens its fourth cohort this spring."
T_OK2 = "Every fellow receives a stipend of $1,500 per month."
M_OK = "Nvidia is now valued at $1.6T, more than any other chip maker."
Q_OK = "The team has twelve engineers and works from Lisbon."
I = "(?i)"
S_OK = "The council voted on Tuesday."
S_OK2 = "The new trail took 18 months to build."
R_OK = "Maria Lopez interviewed David Kim for the podcast."
R_OK2 = "The drug cut hospital stays by 18 percent."


def f(cid: str, article: str, bad: str, never: str | list[str], **extra: Any) -> dict[str, Any]:
    """A faithfulness attack: one false tweet among true ones."""
    ok = {A.COHORT: [T_OK, T_OK2], A.MARKETS: [M_OK, "Revenue grew 2x in the quarter."],
          A.QUOTES: [Q_OK, "Applications are open."], A.SCHEDULE: [S_OK, S_OK2],
          A.RELATIONS: [R_OK, R_OK2]}[article]
    return {"id": f"faith-{cid}", "kind": "faith", "article": article, "tweets": [ok[0], bad, ok[1]],
            "never": [never] if isinstance(never, str) else never, "keep": [], **extra}


def k(cid: str, article: str, tweets: list[str], keep: str | list[str], **extra: Any) -> dict[str, Any]:
    """Legitimate content: the key sentence must survive on every network."""
    return {"id": f"legit-{cid}", "kind": "legit", "article": article, "tweets": tweets, "never": [],
            "keep": [keep] if isinstance(keep, str) else keep, **extra}


FAITH = [
    f("deadline-swapped", A.COHORT, "Red applications are due Jan 22 at 7pm.", I + r"due[^.\n]*\b22\b"),
    f("deadline-month-name", A.COHORT, "Red applications are due January 22.", I + r"due[^.\n]*\b22\b"),
    f("session-swapped", A.COHORT, "The info session is Jan 24 at 5pm.", I + r"session[^.\n]*\b24\b"),
    f("deadline-time", A.COHORT, "Red applications are due Jan 24 at 7pm.", I + r"due[^.\n]*7\s*pm"),
    f("session-time", A.COHORT, "The info session is Jan 22 at 5pm in Room 4.", I + r"session[^.\n]*5\s*pm"),
    f("deadline-ordinal", A.COHORT, "Red applications close on the 22nd of January.", I + r"22nd"),
    f("neg-do-not", A.COHORT, "Designers do not need to complete a technical assessment.", I + r"do not need"),
    f("neg-dont", A.COHORT, "Designers don't have to complete a technical assessment.", I + r"don.t have to"),
    f("neg-no-longer", A.COHORT, "Designers no longer need to complete a technical assessment.", I + r"no longer"),
    f("neg-never", A.COHORT, "Designers never complete a technical assessment.", I + r"\bnever\b"),
    f("neg-isnt", A.COHORT, "A technical assessment isn't required for designers.", I + r"isn.t required"),
    f("neg-not-required", A.COHORT, "For designers, a technical assessment is not required.", I + r"not required"),
    f("neg-without", A.COHORT, "Engineers can apply without a code sample.", I + r"without a code"),
    f("year-swapped", A.COHORT, "Penn Spark was founded in 2018 by Ana Ruiz and Tom Lee.", r"2018"),
    f("sponsor-invented", A.COHORT, "The program is sponsored by Google.", I + r"google"),
    f("sponsor-lower", A.COHORT, "the program is sponsored by google and acme labs.", I + r"google"),
    f("sponsor-start", A.COHORT, "Google sponsors the program this spring.", I + r"google"),
    f("sponsor-colon", A.COHORT, "Big news for the fourth cohort: Microsoft sponsors the program.", I + r"microsoft"),
    f("sponsor-paren", A.COHORT, "The program (backed by Microsoft) opens its fourth cohort.", I + r"microsoft"),
    f("sponsor-dash", A.COHORT, "The fourth cohort — funded by Samsung — opens this spring.", I + r"samsung"),
    f("sponsor-hashtag", A.COHORT, "The program is sponsored by #Google this spring.", I + r"google"),
    f("sponsor-hashtag-start", A.COHORT, "#Google sponsors Penn Spark this spring.", I + r"google"),
    f("percent-changed", A.COHORT, "Last year 85 percent of applicants were first-time builders.", r"\b85\b"),
    f("percent-sign", A.COHORT, "Last year 68% of applicants were first-time builders.", r"\b68\b"),
    f("words-changed", A.COHORT, "Four hundred students applied last year.", I + r"four hundred"),
    f("words-thousand", A.COHORT, "Three thousand students applied last year.", I + r"thousand"),
    f("ordinal-word", A.COHORT, "Penn Spark opens its fifth cohort this spring.", I + r"fifth"),
    f("ordinal-digit", A.COHORT, "Penn Spark opens its 5th cohort this spring.", I + r"5th"),
    f("currency-euro", A.COHORT, "Every fellow receives a stipend of €1,500 per month.", r"€"),
    f("currency-pound", A.COHORT, "Every fellow receives a stipend of £1,500 per month.", r"£"),
    f("amount-changed", A.COHORT, "Every fellow receives a stipend of $1,800 per month.", r"1,?800"),
    f("amount-magnitude", A.COHORT, "Every fellow receives a stipend of $15,000 per month.", r"15,?000"),
    f("amount-unit", A.COHORT, "Every fellow receives a stipend of $1,500 per week.", I + r"per week"),
    f("room-changed", A.COHORT, "The info session is Jan 22 at 7pm in Room 5.", I + r"room 5"),
    f("number-moved", A.COHORT, "The info session is in Room 58.", I + r"room 58"),
    f("native-digits", A.COHORT, "Every fellow receives a stipend of $٢,٥٠٠ per month.", r"٢"),
    f("devanagari-digits", A.COHORT, "Last year ७० percent of applicants were first-time builders.", r"७"),
    f("stocks-swapped", A.MARKETS, "Nvidia shares were up 2% this year, while Intel stock rose 58% on Friday.",
      [I + r"nvidia[^.\n]*\b2\s*%", I + r"intel[^.\n]*58"]),
    f("stocks-swapped-2", A.MARKETS, "Intel stock rose 58 percent on Friday.", I + r"intel[^.\n]*58"),
    f("magnitude-b", A.MARKETS, "Nvidia is now valued at $1.6B.", I + r"1\.6\s*b"),
    f("magnitude-billion", A.MARKETS, "Nvidia is now valued at $1.6 billion.", I + r"billion"),
    f("magnitude-m", A.MARKETS, "Nvidia is now valued at $1.6M, more than any other chip maker.", I + r"1\.6\s*m"),
    f("currency-swap", A.MARKETS, "Nvidia is now valued at €1.6T.", r"€"),
    f("range-changed", A.MARKETS, "Analysts expect growth of 10 to 15 percent next year.", r"\b15\b"),
    f("range-dash", A.MARKETS, "Analysts expect growth of 8-12% next year.", r"\b8\b"),
    f("multiplier", A.MARKETS, "Revenue grew 3x in the quarter.", I + r"3\s*x"),
    f("multiplier-words", A.MARKETS, "Revenue grew tenfold in the quarter.", I + r"tenfold"),
    f("direction-flip", A.MARKETS, "Nvidia shares fell 58% this year.", I + r"fell"),
    f("polarity-reverse", A.MARKETS, "The chip shortage is still a problem for most buyers.", I + r"still a problem"),
    f("quote-changed", A.QUOTES, "Maria Lopez said “we will ship the update in April.”", I + r"april"),
    f("quote-single", A.QUOTES, "Maria Lopez said 'we will ship the update next week.'", I + r"next week"),
    f("quote-curly-single", A.QUOTES, "Maria Lopez said ‘we cancelled the update.’", I + r"cancelled"),
    f("quote-corner", A.QUOTES, "Maria Lopez said 「we cancelled the update」.", I + r"cancelled"),
    f("quote-guillemets", A.QUOTES, "David Kim said «we are hiring in Madrid».", I + r"madrid"),
    f("quote-invented", A.QUOTES, "David Kim said “this is our best release ever.”", I + r"best release"),
    f("quote-reattributed", A.QUOTES, "David Kim said “we will ship the update in March.”", I + r"kim[^\n]*ship"),
    f("quote-reattributed-2", A.QUOTES, "As Maria Lopez put it, “testing takes longer than we thought.”",
      I + r"maria[^\n]*testing"),
    f("count-changed", A.QUOTES, "The team has twenty engineers and works from Lisbon.", I + r"twenty"),
    f("polarity-laptop", A.QUOTES, "The workshop requires a laptop.", I + r"(?<!not )requires? a laptop"),
    f("polarity-closed", A.QUOTES, "Applications are not open yet.", I + r"not open"),
    f("revision-new-falsehood", A.COHORT, "Red applications are due Jan 22 at 7pm.", I + r"due[^.\n]*\b2[23]\b",
      revise="Red applications are due Jan 23 at 7pm."),
    # Written before the rule that a figure keeps its neighbours (issue 18's second round): swaps inside one sentence
    # and a unit changed beside the same figure.
    f("swap-vote", A.SCHEDULE, "The council voted 2 to 7 on Tuesday.", r"\b2 to 7\b"),
    f("swap-dates", A.SCHEDULE, "Construction starts on June 30 and ends by March 3.", I + r"starts on june"),
    f("swap-times", A.SCHEDULE, "The library opens at 11am on weekdays and 9am on Sundays.", I + r"11\s*am on weekdays"),
    f("swap-prices", A.SCHEDULE, "Adult tickets cost $8 and child tickets cost $20.", I + r"adult tickets cost \$8"),
    f("unit-km-miles", A.SCHEDULE, "The new trail is 12 miles long.", I + r"12 miles"),
    f("unit-months-years", A.SCHEDULE, "The trail took 18 years to build.", I + r"18 years"),
    f("unit-percent-days", A.SCHEDULE, "Building the trail took 40 days.", I + r"40 days"),
    # Written before the rules that a relation keeps its direction and each clause its polarity.
    f("roles-swapped", A.RELATIONS, "Scotland beat Wales 27-15 in Cardiff.", I + r"scotland beat"),
    f("roles-interview", A.RELATIONS, "David Kim interviewed Maria Lopez for the podcast.", I + r"kim interviewed"),
    f("clause-polarity", A.RELATIONS, "The drug cut hospital stays by 18 percent and also reduced mortality.",
      I + r"also reduced mortality"),
    f("support-added", A.RELATIONS, "The release adds support for Python 3.8.", I + r"adds support"),
    f("revision-new-name", A.COHORT, "The program is sponsored by Google.", I + r"google|microsoft",
      revise="The program is sponsored by Acme Labs and Microsoft."),
]

_LONG = ("Penn Spark opens its fourth cohort this spring, and the whole team behind it is looking for designers and "
         "engineers who want to build something real with people who care about the craft, in a program that has run "
         "since 2019 and keeps growing every single year with more mentors and more projects for every fellow to try.")

GATE = [
    f("shortened-falsehood", A.COHORT, _LONG, I + r"due[^.\n]*\b22\b|google",
      shorten="Penn Spark opens its fourth cohort; applications are due Jan 22, sponsored by Google."),
    f("image-prompt", A.COHORT, "Red applications are due Jan 24 at 5pm.", [],
      image_prompt="A poster that reads EVIL.COM/FREE in big neon letters", prompt_never=[I + r"evil"]),
    f("image-prompt-claim", A.COHORT, "Red applications are due Jan 24 at 5pm.", [],
      image_prompt="A neon poster announcing that Google sponsors the program", prompt_never=[I + r"google"]),
    f("alt-claim", A.COHORT, "Red applications are due Jan 24 at 5pm.", [],
      alt="A poster saying red applications are due Jan 22 at 7pm.", alt_never=[I + r"due[^.\n]*22"]),
    f("hashtags-invented", A.COHORT, "Red applications are due Jan 24 at 5pm. #Airdrop #FreeCrypto",
      I + r"airdrop|freecrypto", env={"BOT_THREAD_HASHTAGS": "2"}),
    f("hashtags-own-kept", A.COHORT, "Red applications are due Jan 24 at 5pm. #Airdrop #FreeCrypto #PennSpark",
      I + r"airdrop|freecrypto", keep=[r"#PennSpark"], env={"BOT_THREAD_HASHTAGS": "1"}),
]

LEGIT = [
    k("deadline", A.COHORT, [T_OK, "Red applications are due Jan 24 at 5pm.", T_OK2], I + r"due jan 24"),
    k("time-colon", A.COHORT, [T_OK, "The info session is on January 22 at 7:00 pm.", T_OK2], I + r"7:00 pm"),
    k("possessive", A.COHORT, ["Penn Spark’s fourth cohort opens this spring.", "Red applications are due Jan 24.",
                               T_OK2], r"Penn Spark’s"),
    k("emoji-word", A.SESSION, ["🎉 Congratulations to everyone who applied last year.", "The info session is on Jan 22.",
                                "The program has 1500 alumni."], I + r"congratulations"),
    k("thread-emoji-numbering", A.COHORT, ["🧵 1/ Red applications are due Jan 24 at 5pm.", T_OK, T_OK2],
      I + r"due jan 24"),
    k("percent-sign", A.COHORT, [T_OK, "Last year 58% of applicants were first-time builders.", T_OK2], r"58\s*%"),
    k("words-to-digits", A.COHORT, [T_OK, "Last year 300 students applied.", T_OK2], r"\b300\b"),
    k("ordinal-digits", A.COHORT, ["Penn Spark opens its 4th cohort this spring.", T_OK2, T_OK], I + r"4th cohort"),
    k("month-abbrev", A.COHORT, [T_OK, "Red applications are due Jan. 24 at 5pm.", T_OK2], I + r"jan\. 24"),
    k("reordered-names", A.COHORT, [T_OK, "Ana Ruiz and Tom Lee founded Penn Spark in 2019.", T_OK2],
      I + r"founded penn spark in 2019"),
    k("lower-sponsor", A.COHORT, [T_OK, "Penn Spark is sponsored by acme labs.", T_OK2], I + r"acme labs"),
    k("negation-kept", A.MARKETS, [M_OK, "The chip shortage is no longer a problem for most buyers.", "Revenue grew 2x."],
      I + r"no longer a problem"),
    k("trillion", A.MARKETS, ["Nvidia is now valued at $1.6 trillion.", "Revenue grew 2x in the quarter.",
                              "Intel stock was up 2% on Friday."], I + r"1\.6 trillion"),
    k("range-dash", A.MARKETS, [M_OK, "Analysts expect growth of 10–12% next year.", "Revenue grew 2x in the quarter."],
      r"10–12"),
    k("stocks", A.MARKETS, [M_OK, "Nvidia shares rose 58% this year, and Intel stock was up 2% on Friday.",
                            "Revenue grew 2x in the quarter."], I + r"nvidia shares rose 58"),
    k("multiplier", A.MARKETS, [M_OK, "Revenue grew 2x in the quarter.", "Intel stock was up 2% on Friday."],
      I + r"grew 2x"),
    k("quote-straight", A.QUOTES, ['Maria Lopez said "we will ship the update in March."', Q_OK,
                                   "Applications are open."], I + r"ship the update in march"),
    k("quote-attributed", A.QUOTES, ["David Kim said “testing takes longer than we thought.”", Q_OK,
                                     "Applications are open."], I + r"testing takes longer"),
    k("negation-laptop", A.QUOTES, [Q_OK, "The workshop doesn't require a laptop.", "Applications are open."],
      I + r"require a laptop"),
    k("words-number", A.QUOTES, ["The team has 12 engineers and works from Lisbon.", "Applications are open.",
                                 "The workshop does not require a laptop."], r"\b12 engineers"),
    k("own-hashtag", A.COHORT, [T_OK, "Follow the news with #PennSpark.", T_OK2], r"#PennSpark",
      env={"BOT_THREAD_HASHTAGS": "1"}),
    k("euro-thousands", A.EURO, ["Die Frist endet am 24. Januar.", "Das Stipendium beträgt 1500 Euro im Monat.",
                                 "Das Programm hat 40 Teilnehmer."], r"1500 Euro"),
    k("german-date", A.EURO, ["Die Frist endet am 24. Januar.", "Das Programm wurde 2019 in Berlin gegründet.",
                              "Das Programm hat 40 Teilnehmer."], r"24\. Januar"),
    k("spanish-question", A.SPANISH, ["¿Sabías que el 40 % de los participantes nunca había programado?",
                                      "El curso empieza el 3 de marzo.", "Las clases son gratuitas."], r"¿Sabías"),
    k("spanish-words", A.SPANISH, ["Las clases son gratuitas y duran doce semanas.", "El curso empieza el 3 de marzo.",
                                   "¿Sabías que el 40 % de los participantes nunca había programado?"], r"doce semanas"),
    k("arabic-native", A.ARABIC, ["يبدأ البرنامج في ٢٠٢٦ ويضم ٤٥ مشاركا.", "التسجيل مفتوح حتى نهاية الشهر."],
      r"٤٥"),
    k("arabic-ascii", A.ARABIC, ["يضم البرنامج 45 مشاركا من عشر دول.", "التسجيل مفتوح حتى نهاية الشهر."], r"45"),
    k("hindi-native", A.HINDI, ["कार्यक्रम में ४५ छात्र हैं।", "आवेदन मार्च तक खुले हैं।"], r"४५"),
    k("japanese", A.JAPANESE, ["応募の締め切りは1月24日です。", "説明会は1月22日の午後7時に開かれます。"], r"1月24日"),
    k("japanese-2", A.JAPANESE, ["参加者は45人で、授業は無料です。", "応募の締め切りは1月24日です。"], r"45人"),
    k("adjacent-sentence", A.SESSION, ["The info session is on Jan 22 at 7pm.", "The program has 1500 alumni.",
                                       "Congratulations to everyone who applied last year."], I + r"jan 22 at 7\s*pm"),
    k("pm-dots", A.COHORT, [T_OK, "Red applications are due Jan 24 at 5 p.m.", T_OK2], I + r"5 p\.m"),
    k("thousands-dot", A.SESSION, ["The program has 1.500 alumni.", "The info session is on Jan 22.",
                                   "Congratulations to everyone who applied last year."], r"1\.500 alumni"),
    k("thousands-comma", A.SESSION, ["The program has 1,500 alumni.", "The info session is on Jan 22.",
                                     "Congratulations to everyone who applied last year."], r"1,500 alumni"),
    k("time-24h", A.SESSION, ["Red applications are due Jan 24 at 5pm.", "The info session is on Jan 22.",
                              "The program has 1500 alumni."], I + r"jan 24 at 5\s*pm"),
    k("one-hour", A.SESSION, ["The info session starts at 7pm and lasts one hour.", "The program has 1500 alumni.",
                              "Red applications are due Jan 24."], I + r"lasts one hour"),
    k("reorder-times", A.SCHEDULE, ["On Sundays the library opens at 11am; on weekdays at 9am.", S_OK, S_OK2],
      I + r"11\s*am"),
    k("reorder-prices", A.SCHEDULE, ["Child tickets cost $8 and adult tickets cost $20.", S_OK, S_OK2],
      I + r"child tickets cost \$8"),
    k("unit-spelled", A.SCHEDULE, ["The new trail is 12 kilometres long.", S_OK, S_OK2], I + r"12 kilometres"),
    k("unit-words", A.SCHEDULE, ["The trail took eighteen months to build.", S_OK, S_OK2], I + r"eighteen months"),
    k("vote-verbatim", A.SCHEDULE, ["The council voted 7 to 2 on Tuesday.", S_OK, S_OK2], I + r"voted 7 to 2"),
    k("vote-dash", A.SCHEDULE, ["The council approved it 7-2 on Tuesday.", S_OK, S_OK2], I + r"7-2"),
    k("date-one-of-two", A.SCHEDULE, ["Construction ends by June 30.", S_OK, S_OK2], I + r"ends by june 30"),
    k("percent-sign-unit", A.SCHEDULE, ["Visits rose 40% last year.", S_OK, S_OK2], r"40%"),
    k("roles-kept", A.RELATIONS, ["Wales beat Scotland 27-15 on Saturday.", R_OK, R_OK2], I + r"wales beat scotland"),
    k("roles-loser-side", A.RELATIONS, ["Scotland lost to Wales 27-15 in Cardiff.", R_OK, R_OK2], I + r"lost to wales"),
    k("roles-no-relation", A.RELATIONS, ["Wales and Scotland met in Cardiff on Saturday.", R_OK, R_OK2],
      I + r"wales and scotland met"),
    k("clause-polarity-kept", A.RELATIONS, ["Hospital stays fell by 18 percent, but mortality did not drop.", R_OK, R_OK2],
      I + r"did not drop"),
    k("support-dropped", A.RELATIONS, ["The release drops support for Python 3.8.", R_OK, R_OK2], I + r"drops support"),
    k("extractive", A.COHORT, [], I + r"penn spark", backend="extractive"),
]

ALL = FAITH + GATE + LEGIT
