"""Patterns of `ages.AgeFinder` for school levels of the main school systems, statements relative to the
age of majority ("under 18", "not legal yet"), birth years, school cohorts and decades of life.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .age_vocabulary import (
    _AGE_OF_MAJORITY,
    _NA,
    _NB,
    _NEGATION_AFTER,
    _NEGATION_BEFORE,
    _NEGATION_UNSPACED,
    _NOT_MEASURE,
    _alt,
    _compile,
)

if TYPE_CHECKING:
    from .ages import AgeGrammar


class LevelPatterns:
    """Builds the school-level, relative-age and year patterns of an `AgeFinder` (a mixin: see `ages`)."""

    grammar: AgeGrammar
    year: int
    _ordinals: dict[str, int]

    def _build_school(self) -> None:
        ordinals = {w: n for table in self.grammar.ordinals.values() for w, n in table.items()}
        ords = _alt(w for lang, table in self.grammar.ordinals.items() if lang != "en" for w in table)
        en_ords = _alt(self.grammar.ordinals["en"])
        hi_ords = _alt([*self.grammar.ordinals["hi"], *self.grammar.ordinals["hi-latn"]])
        self._ordinals = {**ordinals, **self.grammar.arabic_ordinals}
        d = r"(?<![\d.,:/#])(1[0-3]|[1-9])(?!\d)"
        school = [
            # English: "grade 7", "7th grade(r)", "seventh grader", "year 8 pupil", "8th class", "form 2 student".
            rf"{_NB}(?:grade|grd|gr)\.?\s*{d}{_NA}(?!\s*(?:tumou?r|cancer|felony|hurricane|concussion|burn|ton))",
            rf"{_NB}(?:year|yr|form|class|std|standard)\s*{d}\s+(?:pupils?|students?|girls?|boys?|kids?|child|children"
            rf"|schoolgirls?|schoolboys?|learners?|classmates?|class|at\s+school|in\s+school)",
            rf"{d}(?:st|nd|rd|th)\s*[-\s]?\s*(?:grade|graders?|class|std|standard|form)(?:rs?)?{_NA}",
            rf"{_NB}(?:in|from|of|at)\s+(?:year|yr|grade|class|form|standard|std)\s*{d}{_NA}",
            rf"{_NB}(?:grade|year|class|form)\s+(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven){_NA}",
            # Youth sport by age: "under-12s team", "U14 girls", "sub-13", "U-15-Mannschaft".
            rf"{_NB}(?:under|u|sub|unter)[\s-]?(?:1[0-7]|[5-9])s?[\s-]+(?:team|squad|side|girls?|boys?|players?|league|football|soccer"
            rf"|match|tournament|cup|category|categoria|equipo|mannschaft|jugend|junioren|ploeg|druzyna|takim|tim|doi){_NA}",
            rf"{d}\s*[-\s]?\s*graders?{_NA}",
            # "she's in 5th", "5th me padhti hai", "class 6 mein padhta", "5वीं में पढ़ती": a class told by its number.
            rf"{_NB}in\s+(?:the\s+)?{d}(?:st|nd|rd|th)(?=\s*(?:[,.;!?]|$|(?:grade|class|std|standard|form|now|this\s+year)\b))",
            rf"{d}(?:st|nd|rd|th|vi|vin|vi)?\s+(?:class\s+|kaksha\s+|std\s+)?(?:me|mein|mai)\s+(?:padh|parh)\w*",
            rf"{_NB}(?:class|kaksha|std)\s*{d}\s+(?:me|mein|mai)\s+(?:padh|parh)\w*",
            rf"{d}\s*(?:वीं|वी|th)\s+(?:कक्षा\s+|क्लास\s+)?में\s+पढ़",
            rf"{_NB}(?:{en_ords})[\s-]*(?:grade|graders?)(?:rs?)?{_NA}",
            # Spanish/Portuguese: "2º de la ESO", "8º ano", "6o de primaria", "quinto de primaria".
            rf"{d}\s*(?:º|o|er|ero|do|to|vo|no)\s*(?:de\s+(?:la\s+)?)?(?:eso|primaria|secundaria|basico|bachillerato)",
            rf"{d}\s*(?:de\s+(?:la\s+)?)?(?:primaria|secundaria)",
            rf"{d}\.?\s*(?:º|o|ª|a)\s*(?:ano|serie)(?!s)(?:\s+(?:do|de)\s+(?:fundamental|ensino))?",
            rf"{_NB}(?:{ords})\s+(?:ano|serie|de\s+primaria|de\s+secundaria|de\s+la\s+eso|grado|curso)",
            # French: "en quatrième", "classe de troisième", "élève de sixième", "en 4e", "CM2".
            rf"{_NB}(?:ce1|ce2|cm1|cm2)(?![^\W\d_])",
            rf"{_NB}(?:en|classe\s+de|eleve\s+de|eleves\s+de|de\s+la\s+classe\s+de)\s+(?:sixieme|cinquieme|quatrieme|troisieme|6e|5e|4e|3e|6eme|5eme|4eme|3eme|cm1|cm2|ce1|ce2|cp){_NA}",
            # Italian: "terza media", "di seconda media", "quinta elementare".
            rf"{_NB}(?:prima|seconda|terza|quarta|quinta)\s+(?:media|elementare|superiore|liceo){_NA}",
            # German: "7. Klasse", "Klasse 7", "Siebtklässlerin", "der achten Klasse".
            rf"{d}\.?\s*(?:klasse|klassler\w*|schuljahr){_NA}",
            rf"{_NB}(?:klasse|jahrgangsstufe)\s*{d}{_NA}",
            rf"{_NB}(?:{ords})\s+(?:klasse){_NA}",
            rf"{_NB}(?:erst|zweit|dritt|viert|funft|sechst|siebt|acht|neunt|zehnt)klassler\w*",
            # Singapore, Malaysia, UK primary: "Primary 6", "P5 pupil"; Tagalog "ikaapat na baitang", "baitang 4".
            rf"{_NB}primary\s*{d}{_NA}(?!\s*(?:school\s+teacher|colou?rs?))",
            rf"{_NB}p\s?[1-6]\s+(?:pupils?|students?|girls?|boys?|kids?|child|children|class|learners?){_NA}",
            rf"{_NB}ika-?(?:\d|isa|una|dalawa|ikalawa|tatlo|ikatlo|apat|lima|anim|pito|walo|siyam|sampu)\s*na\s+baitang{_NA}",
            rf"{_NB}baitang\s*{d}{_NA}",
            # More local systems: "class 8th", "S3 pupil", "JSS2", "lise 1", "en terminale", "primo superiore",
            # "havo 3", "6ème année primaire", "أولى ثانوي".
            rf"{_NB}(?:class|std|standard)\s*{d}(?:st|nd|rd|th){_NA}",
            rf"{_NB}s[1-6]\s+(?:pupils?|students?|girls?|boys?|class|learners?){_NA}",
            rf"{_NB}(?:jss|sss|ss)\s*[1-3]\s+(?:pupils?|students?|girls?|boys?|class|learners?){_NA}",
            rf"{_NB}(?:lise|ortaokul)\s*[1-4](?:\s*\.?\s*sinif\w*)?{_NA}|{_NB}lise\s+(?:birinci|ikinci|ucuncu|son)\s+sinif\w*",
            rf"{_NB}(?:en|eleve\s+de|eleves\s+de|classe\s+de|lyceen\w*\s+(?:en|de))\s+(?:seconde|terminale)"
            rf"(?!\s+(?:position|place|main|classe|guerre|fois|partie)){_NA}",
            rf"{_NB}(?:eleve|eleves|lyceen\w*|classe)\s+(?:de|en)\s+premiere{_NA}",
            rf"{_NB}(?:primo|secondo|terzo|quarto|quinto)\s+(?:anno\s+)?(?:superiore|liceo|delle\s+medie|media){_NA}",
            rf"{_NB}(?:havo|vwo|vmbo|mavo)\s*[1-6]{_NA}|{_NB}[1-6]\s*(?:havo|vwo|vmbo|mavo){_NA}",
            rf"{d}\s*(?:e|eme|ere|er)\s+annee\s+(?:du\s+)?(?:primaire|secondaire){_NA}|{_NB}secondaire\s*[1-5]{_NA}",
            r"(?:اولى|ثانيه|ثالثه|الاول|الثاني|الثالث)\s+(?:ثانوي|اعدادي|متوسط|ابتدائي)",
            # Dutch: "groep 8", "klas 2", "brugklas".
            rf"{_NB}(?:groep|klas)\s*{d}{_NA}",
            # Polish: "7 klasa", "uczennica 7 klasy", "siódmej klasy".
            rf"{d}\s*\.?\s*klas(?:a|y|ie|ę|e)?{_NA}",
            rf"{_NB}klas(?:a|y|ie)?\s*{d}{_NA}",
            rf"{_NB}(?:{ords})\s+klas\w*",
            # Russian/Ukrainian: "8 класса", "7 класу", "седьмого класса".
            rf"{d}\s*-?\s*(?:го|й|ого)?\s*класс?(?:а|е|у|ом)?{_NA}",
            rf"{_NB}(?:{ords})\s+класс?\w*",
            # Pupils named by their class, one word: "пятиклассница", "семиклассник", "п'ятикласниця",
            # "piątoklasistka", "szóstoklasista".
            r"(?<![^\W\d_])(?:перво|второ|третье|четверо|пяти|шести|семи|восьми|девяти|десяти|одиннадцати"
            r"|першо|друго|третьо|четверто|п'?яти|дев'?яти)клас+ни\w*",
            rf"{_NB}(?:pierwszo|drugo|trzecio|czwarto|piato|szosto|siodmo|osmo)klasist\w*",
            # Turkish: "7. sınıf".
            rf"{d}\s*\.?\s*sinif\w*",
            # Indonesian/Malay: "kelas 6 SD", "kelas 8", "tingkatan 2", "darjah 6".
            rf"{_NB}(?:kelas|tingkatan|darjah)\s*{d}{_NA}",
            rf"{_NB}(?:sd|smp|mts)\s*(?:kelas\s*)?{d}{_NA}",
            # Vietnamese "lớp 8", Tagalog "Grade 6" (above), Thai "ป.6", "ม.2".
            rf"{_NB}lop\s*{d}{_NA}",
            r"(?<![\u0e00-\u0e7f])(?:ป|ม)\s*\.\s*(1[0-2]|[1-9])(?!\d)",
            # Japanese/Chinese/Korean: "中2", "小6", "高一", "初二", "中学2年", "五年级", "중2".
            r"(?<![\u3400-\u9fff])(?:中|小|高)\s*[1-6](?![0-9])",
            r"(?<![年月提升最更比太很较較崇大])(?:初|高)[一二三](?![点點些倍度层層筹籌截等级級])",
            r"(?:小学|小學|中学|中學|初中|国中|國中)\s*[1-6一二三四五六]\s*(?:年|年级|年級)",
            r"(?<!大学)(?<!大學)(?<!大)(?<!研)(?<!学)(?<!學)[一二三四五六]\s*(?:年级|年級)",
            r"(?:小学|小學)[一二三四五六]?年级?",
            r"(?<![\uac00-\ud7a3])(?:초|중|고)\s*[1-6](?![0-9])",
            r"(?:초등학교|중학교)\s*[1-6]\s*학년",
            # Hindi/Bengali/Arabic/Swahili/Czech/Hungarian: "आठवीं कक्षा", "ক্লাস এইট", "الصف الثامن".
            rf"(?:{hi_ords})\s*(?:कक्षा|क्लास|class|kaksha|kaksa)",
            rf"(?:कक्षा|क्लास)\s*{d}",
            rf"(?:ক্লাস|শ্রেণি|শ্রেণী)\s*(?:{d}|{_alt(self.grammar.bengali_class_words)})",
            rf"{d}\s*(?:ম|য়|র্থ|ষ্ঠ|তম)?\s*(?:শ্রেণি|শ্রেণী|ক্লাস)",
            r"الصف\s+ال(?:اول|ثاني|ثالث|رابع|خامس|سادس|سابع|ثامن|تاسع)",
            rf"{_NB}darasa\s+la\s+\w+",
            rf"{d}\s*\.\s*(?:tridy|trida|trida|osztaly\w*)",
            rf"{_NB}(?:{ords})\s+(?:tridy|trida)",
            rf"{_NB}clasa\s+a\s+{d}",
            rf"{_NB}arskurs\s*{d}{_NA}",
        ]
        self._school = _compile("|".join(f"(?:{p})" for p in school))

    def _build_relative(self) -> None:
        # "under 18", "not yet 18", "before she turned 18", "two years away from being legal", "not legal yet".
        self._majority = _compile(rf"(?<![\da-z])(?:{_AGE_OF_MAJORITY})(?![\da-z+])(?!\s*\+)")
        self._negation_before = _compile(rf"(?:(?:^|[\W])(?:{_NEGATION_BEFORE})(?:\W|$))|{_NEGATION_UNSPACED}")
        self._negation_after = _compile(rf"^\W*(?:\w+\W+){{0,2}}?(?:{_NEGATION_AFTER})")
        self._adult_disclaimer = _compile(
            r"(?:(?:not|no\s*one|nobody|none|never|no)\s+(?:under|below|younger\s+than|less\s+than)\s*$)|(?<![^\W\d_])(?:no\s*one|nobody|none|noone|not\s+anyone|never|no\s+one\s+is|everyone\s+is|all|everybody|both|over|above"
            r"|at\s+least|older\s+than|or\s+older|and\s+over|plus|recien|recem|juste|just|justo|gerade|net|baru|vua|mới"
            r"|mayores|maiores|majeurs|maggiorenni|volljahrig|ya|ja|deja|bereits|al|już|уже|вже|artik|sudah|na|da)\W*$"
        )
        self._adult_after = _compile(
            r"^\s*(?:\+|or\s+(?:older|over)|and\s+(?:over|up|older)|y\s+mas|ou\s+mais|et\s+plus|years?\s+and\s+over)"
        )
        self._under = _compile(
            rf"{_NB}(?:under|below|younger\s+than|less\s+than|not\s+yet|not\s+even|almost|nearly|barely\s+under|just\s+under"
            rf"|menor(?:es)?\s+de|menos\s+de|moins\s+de|unter|sotto\s+i|onder\s+de|ponizej|младше|молодше|alt?inda|di\s+bawah"
            rf"|dibawah|duoi|ต่ำกว่า|أقل\s+من|اقل\s+من|تحت|زير|कम|kam)\s+(?:the\s+age\s+of\s+|age\s+|los\s+|les\s+|den\s+|usia\s+|umur\s+)?"
            rf"(1[0-8]|[1-9]|eighteen|seventeen|sixteen|fifteen|fourteen|thirteen|twelve)(?![\d\w+]){_NOT_MEASURE}"
        )
        # "18+", "over 18", "all adults", "just turned 18": an adult stated without an exact age.
        self._adult_statement = _compile(
            r"(?<![\d])(?:18|19|21)\s*\+|(?<![^\W\d_])(?:over|above|at\s+least|older\s+than|mayores\s+de|maiores\s+de"
            r"|plus\s+de|uber|ueber|boven|powyzej|старше|старше|ustu|di\s+atas)\s+(?:the\s+age\s+of\s+)?(?:18|19|21)(?!\d)"
            r"|(?<![^\W\d_])(?:just|recently|finally)\s+turned\s+(?:18|19|20|21|eighteen|nineteen)(?!\d)"
            r"|(?<![^\W\d_])(?:all|both|consenting|only)\s+adults?(?![^\W\d_])|adults?\s+only|(?<![^\W\d_])all\s+of\s+age"
            r"|(?<![^\W\d_])(?:both|beide|ambos|ambas|entrambi|allebei|oboje|обоим|обом|keduanya|pareho|ca\s+hai|dono|all)"
            r"\s+(?:are\s+|sind\s+|de\s+|por\s+|po\s+|по\s+|ke\s+|over\s+|uber\s+)?(?:[2-9]\d|1[89])(?!\d)"
            r"|(?<![^\W\d_])(?:two|three|both|the\s+two|dos|deux|zwei|due|twee|dwoje|двое|двоє|iki|dua|hai)\s+"
            r"(?:[2-9]\d|1[89])[\s-]*(?:years?[\s-]*olds?|yos?|anos|ans|jahrige\w*|enni|jarigen|latkow|летних|річних|yasinda\w*|tahun|tuoi)"
            r"|(?<![^\W\d_])(?:both|todos|ambos|ambas|tous|toutes|beide|alle|tutti|entrambi|allebei|oboje|оба|обе|обидва|обоє|обое|ikisi|keduanya|pareho|ca\s+hai)"
            r"\s+(?:(?:are|son|sao|sont|sind|sono|zijn|sa|are)\s+)?(?:adults?|adultos|adultas|adultes|erwachsen\w*|adulti|volwassen\w*|dorosl\w*"
            r"|взрослые|дорослі|yetiskin|dewasa|nasa\s+hustong\s+gulang|truong\s+thanh|mayores\s+de\s+edad|maiores\s+de\s+idade|majeurs?"
            r"|volljahrig|maggiorenni|meerderjarig|pelnoletni\w*|совершеннолетние|повнолітні|resit)"
            r"|(?:两人|兩人|我们|我們|他们|他們)都(?:已经|已經)?成年|(?:二人|ふたり|2人)とも成人|둘\s*다\s*성인|ทั้งคู่เป็นผู้ใหญ่|كلاهما\s+بالغ\w*"
            r"|(?<![^\W\d_])(?:two|both)\s+(?:consenting\s+)?(?:adults?|grown[\s-]+ups?)|(?:dos|deux|zwei|due|twee|dwoje|двое|двоє|iki|dua)\s+"
            r"(?:adultos|adultes|erwachsene|adulti|volwassenen|dorosłych|doroslych|взрослых|дорослих|yetiskin|orang\s+dewasa)"
        )
        # "she turns 18 next year", "will be 18 in two months", "cumple 18 el año que viene".
        self._turns_soon = _compile(
            r"(?<![^\W\d_])(?:turns?|turning|will\s+turn|will\s+be|gonna\s+be|cumple|cumplira|fait|fera|wird|compie|faz|fara)"
            r"\s+(?:18|17|eighteen|seventeen)(?:\s+(?:anos|ans|jahre|anni))?\s+(?:next|in|soon|this\s+coming|el\s+ano\s+que|l'annee"
            r"|nachstes|il\s+prossimo|no\s+proximo|ano\s+que\s+vem|dentro|en\s+\w+\s+(?:meses|anos))"
        )
        self._under_cjk = _compile(r"(1[0-8])\s*(?:歳|才|岁|歲|살|세)?\s*(?:未満|未满|以下|미만|이하)")

    def _build_years(self) -> None:
        # Birth years: "born in 2013", "nacida en 2012", "rocznik 2012", "2012년생", "2011年出生", "2010 doğumlu".
        y = r"(?<![\d.,:/])((?:19|20)\d\d|25[0-9]\d)(?!\d|[.,:/]\d)"  # 25xx: Thai Buddhist-era years
        before = (
            r"born(?:\s+in)?|b\.|nacid[oa]s?\s+en(?:\s+el)?|nascid[oa]s?\s+em|nee?s?\s+en|nat[oa]\s+nel|geboren(?:\s+in)?"
            r"|geb\.|jahrgang|rocznik|urodzon[aey]?\s+w|рожден[аы]?\s+в|родил(?:ся|ась)\s+в|народжен[аи]?\s+(?:у|в)"
            r"|народил(?:ся|ася)\s+(?:у|в)|lahir(?:\s+(?:pada\s+)?tahun)?|kelahiran|ipinanganak\s+noong|sinh\s+nam"
            r"|เกิดปี|เกิด\s*พ\.ศ\.|مواليد|من\s+مواليد|ولدت\s+(?:في\s+|عام\s+)|janam|জন্ম"
        )
        after = (
            r"[\s-]*born|\s*(?:года|г\.)\s*(?:рождения|р\.)|\s*(?:року|р\.)\s*народження|\s*dogumlu|\s*年生まれ|\s*年?出生"
            r"|\s*年生(?!活)|\s*년생|\s*년에\s*태어난|\s*সালে\s+জন্ম|\s*में\s+(?:पैदा|जन्म)|\s*(?:mein|me)\s+paida"
        )
        self._born = [_compile(rf"{_NB}(?:{before})\s*{y}"), _compile(rf"{y}(?:{after})")]
        self._born_short = _compile(r"(?<![\d.,:/])(\d\d)\s*년생")  # Korean "12년생"
        # School cohorts: "class of 2005", "promoción 2008", "turma de 2010", "2004 mezunu", "2006届", "angkatan 2010".
        cohort_before = (
            r"class\s+of|graduating\s+class\s+of|promocion(?:\s+de)?|promo(?:tion)?(?:\s+de)?|turma\s+de|klas\s+van"
            r"|abiball|abitur|abi|abschlussjahrgang|jahrgang|absolwenci|matura|выпуск(?:а|ников)?|випуск(?:у|ників)?"
            r"|دفعه|angkatan|batch|lichting|maturita"
        )
        self._cohort = [
            _compile(rf"{_NB}(?:{cohort_before})\s*'?{y}"),
            _compile(rf"{y}\s*(?:mezunu|mezunlari|届|學年|年卒|년\s*졸업|卒業生)"),
        ]
        # "in their 30s", "thirtysomething", "trentenaire", "30代", "30대", "30多岁", "dans la trentaine".
        decades = _alt(self.grammar.adult_decades)
        self._decades = [
            (
                _compile(
                    rf"{_NB}in\s+(?:their|her|his|my|our|your|the)\s+(?:early\s+|mid\s*-?\s*|late\s+)?([2-9])0'?s{_NA}"
                ),
                10,
            ),
            (
                _compile(
                    rf"{_NB}in\s+(?:their|her|his|my|our|your|the)\s+(?:early\s+|mid\s*-?\s*|late\s+)?"
                    rf"(twent|thirt|fort|fift|sixt|sevent|eight|ninet)ies{_NA}"
                ),
                0,
            ),
            (_compile(rf"{_NB}([2-9])0\s*-?\s*(?:somethings?|something|plus)(?![^\W\d_])"), 10),
            (
                _compile(
                    r"(?<![\d.,])([2-9])0\s*(?:代|대|多岁|多歲|岁出头|歲出頭|'?lu\s+yas\w*|'?li\s+yas\w*|an\b|-an\b)"
                ),
                10,
            ),
            (_compile(rf"{_NB}(?:dans\s+la|la)\s+(vingt|trent|quarant|cinquant|soixant)aine{_NA}"), 0),
            (
                _compile(
                    rf"{_NB}(?:in\s+den|mitte|ende|anfang)\s+(zwanzig|dreissig|dreißig|vierzig|funfzig|fünfzig)(?:er|ern){_NA}"
                ),
                0,
            ),
            (_compile(rf"{_NB}(?:sui|sulla|nei|negli)\s+(vent|trent|quarant|cinquant)(?:'?anni|ina){_NA}"), 0),
            (_compile(rf"{_NB}(?:za|po)\s+(тридцать|сорок|пятьдесят|trzydziestce|czterdziestce|trzydziestk\w*)"), 0),
        ]
        self._decade_words = (
            _compile(rf"{_NB}({decades})(?:e?s|i|as|os|en|n)?{_NA}|(アラサー|アラフォー|アラフィフ)")
            if decades
            else None
        )
