"""The articles the grounding cases are written against (HTML, as a feed's content:encoded carries it)."""

COHORT = ("<p>Penn Spark opens its fourth cohort this spring. Red applications are due Jan 24 at 5pm. "
          "The info session is Jan 22 at 7pm in Room 4.</p>"
          "<p>Designers must complete a technical assessment before the interview. Engineers must also submit a "
          "code sample.</p>"
          "<p>Penn Spark was founded in 2019 by Ana Ruiz and Tom Lee. The program is sponsored by Acme Labs.</p>"
          "<p>Last year 58 percent of applicants were first-time builders, and three hundred students applied.</p>"
          "<p>Every fellow receives a stipend of $1,500 per month. Follow the news with #PennSpark.</p>")

MARKETS = ("<p>Nvidia shares rose 58% this year. Intel stock was up 2% on Friday.</p>"
           "<p>Nvidia is now valued at $1.6T, more than any other chip maker.</p>"
           "<p>Revenue grew 2x in the quarter. Analysts expect growth of 10 to 12 percent next year.</p>"
           "<p>The chip shortage is no longer a problem for most buyers.</p>")

QUOTES = ("<p>Maria Lopez said “we will ship the update in March.” Her colleague David Kim said “testing takes "
          "longer than we thought.”</p>"
          "<p>The team has twelve engineers and works from Lisbon.</p>"
          "<p>The workshop does not require a laptop. Applications are open.</p>")

EURO = ("<p>Die Frist endet am 24. Januar. Das Stipendium beträgt 1.500 Euro im Monat.</p>"
        "<p>Das Programm wurde 2019 in Berlin gegründet und hat 40 Teilnehmer.</p>")

SPANISH = ("<p>¿Sabías que el 40 % de los participantes nunca había programado? El curso empieza el 3 de marzo.</p>"
           "<p>Las clases son gratuitas y duran doce semanas.</p>")

ARABIC = ("<p>يبدأ البرنامج في ٢٠٢٦ ويضم ٤٥ مشاركا من عشر دول.</p>"
          "<p>التسجيل مفتوح حتى نهاية الشهر.</p>")

HINDI = ("<p>कार्यक्रम में ४५ छात्र हैं और यह २०२६ में शुरू होगा।</p>"
         "<p>आवेदन मार्च तक खुले हैं।</p>")

JAPANESE = ("<p>応募の締め切りは1月24日です。説明会は1月22日の午後7時に開かれます。</p>"
            "<p>参加者は45人で、授業は無料です。</p>")

SESSION = ("<p>The info session is on Jan 22. It starts at 7pm and lasts one hour.</p>"
           "<p>Red applications are due Jan 24 at 5 p.m. The program has 1500 alumni.</p>"
           "<p>Congratulations to everyone who applied last year.</p>")

# Two figures of one kind in one sentence, and figures with units: what a swap or a changed unit would move.
SCHEDULE = ("<p>The council voted 7 to 2 on Tuesday. Construction starts on March 3 and ends by June 30. "
            "The library opens at 9am on weekdays and 11am on Sundays.</p>"
            "<p>The new trail is 12 km long and took 18 months to build. Visits rose 40 percent last year.</p>"
            "<p>Adult tickets cost $20 and child tickets cost $8.</p>")

# Who did what to whom, and a clause that negates: what a swapped relation or a dropped "not" would change.
RELATIONS = ("<p>Wales beat Scotland 27-15 in Cardiff on Saturday. The drug cut hospital stays by 18 percent. "
             "It did not reduce mortality.</p>"
             "<p>The release drops support for Python 3.8. Maria Lopez interviewed David Kim for the podcast.</p>")
