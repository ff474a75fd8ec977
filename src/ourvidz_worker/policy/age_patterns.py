"""Patterns of `ages.AgeFinder` for stated ages: numbers and number words with age units, age nouns,
people before a number, "Mia, 15,", "16F", glued number stems ("zwölfjährig", "пятнадцатилетняя").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .age_vocabulary import (
    _AMBIGUOUS_UNITS,
    _D,
    _D2,
    _DN,
    _DURATION_AFTER,
    _DURATION_BEFORE,
    _L,
    _NA,
    _NB,
    _NOT_MEASURE,
    _STRONG_UNITS,
    _alt,
    _compile,
)

if TYPE_CHECKING:
    from .ages import AgeGrammar


class NumericPatterns:
    """Builds the numeric and number-word age patterns of an `AgeFinder` (a mixin: see `ages`)."""

    grammar: AgeGrammar
    _patterns: list[tuple[re.Pattern[str], str, dict[str, int] | None]]
    _number_words: dict[str, int]

    def _add(self, pattern: str, kind: str = "age", words: dict[str, int] | None = None) -> None:
        self._patterns.append((_compile(pattern), kind, words))

    def _build_numeric(self) -> None:
        strong = "|".join(f"(?:{unit})" for unit in _STRONG_UNITS.values())
        # 1. A number before an age unit: "15 years old", "15yo", "13-jährige", "13 yaşında", "13歳", "13살".
        self._add(rf"{_D}\s*[-‐]?\s*(?:{strong})(?![a-z])")
        self._add(rf"{_D2}(?:yrs?|yo)(?![a-z])")  # glued: "12yrs"
        # 2. An age noun before a number: "age: 15", "aged 12", "edad 14", "umur 13", "อายุ 13", "عمرها 13".
        nouns = (
            r"age|aged|ages|age\s+of|edad|idade|eta|alter|im\s+alter\s+von|leeftijd|wiek|wieku|возраст\w*|вік|віку"
            r"|yas|yasi|umur|usia|berumur|berusia|tuoi|อายุ|عمر|العمر|عمرها|عمره|بعمر|بسن|سن|سنها|उम्र|umar|umr|umur"
            r"|বয়স|年龄|年齡|年齢|나이|ηλικια|גיל|umri|vek|kor|alder|varsta|varstei|3omrha|3omraha|3omro|3omr|omrha"
        )
        self._add(
            rf"(?:{_NB}(?:{nouns})|อายุ|年龄|年齡|年齢)\s*(?:[:=]|is|es|est|ist)?\s*(?:of|de|di|van|von|ke|ng|about|around|roughly|only|just)?"
            rf"\s*{_DN}{_NOT_MEASURE}"
        )
        # 3. A person before a number: "girl, 15", "girl (16)", "girl of 13", "meisje van 13", "she is 12".
        people = (
            r"girl|boy|teen|kid|child|daughter|son|sister|brother|niece|nephew|student|model|character|oc|she|he|her|him"
            r"|chica|chico|nina|nino|chava|chavo|fille|garcon|madchen|junge|ragazza|ragazzo|ragazzina|menina|menino"
            r"|garota|garoto|novinha|meisje|jongen|dziewczyna|chlopak|девочка|мальчик|девушка|парень|дівчинка|хлопчик"
            r"|kiz|oglan|anak|budak|bocah|gadis|bata|batang|bata\s+na|be|be\s+gai|be\s+trai|co\s+be|ladki|ladka|लड़की|लड़का"
            r"|মেয়ে|ছেলে|بنت|ولد|طفل|طفله|دختر|پسر|personagem|personaje|personnage|personaggio|figur|personage|postac"
            r"|персонаж\w*|karakter|karakteri|watak|tokoh|nhan\s+vat|ตัวละคร|キャラ|角色|캐릭터|kid|kiddo|gamine|gamin"
            r"|gurl|grl|gurlz|boi"
        )
        # Spouses and grown-ups: "Ehefrau 32", "karısı 29", "esposa de 30", "wife, 34" - an adult's age, or a
        # child bride's. Only a number that closes the phrase or is followed by an age unit: "wife, 2 kids" is no age.
        grownups = (
            r"wife|husband|woman|man|lady|guy|milf|mom|mum|mother|dad|father|teacher|nurse|boss|neighbou?r|coworker"
            r"|esposa|esposo|marido|mujer|hombre|senora|mulher|homem|femme|epouse|mari|homme|moglie|marito|donna|uomo"
            r"|ehefrau|ehemann|frau|mann|vrouw|echtgenote|zona|maz|kobieta|mezczyzna|жена|муж|женщина|мужчина"
            r"|дружина|чоловік|жінка|karisi|kocasi|kadin|istri|suami|isteri|wanita|pria|asawa"
            r"|vo|chong|phu\s+nu|dan\s+ong|زوجته|زوجها|زوجه|امراه|رجل|पत्नी|पति|औरत|आदमी|biwi|aurat"
            r"|স্ত্রী|স্বামী|মহিলা|ภรรยา|สามี|妻|夫|奥さん|老婆|老公|妻子|丈夫|아내|남편"
        )
        self._add(  # "mi esposa de 30 con falda", "una donna di 40": "de N" after a person is an age
            rf"{_NB}(?:{grownups})\s+(?:de|di|van|da|do|of)\s+{_D2}{_NOT_MEASURE}"
            r"(?!\s*(?:[^\W\d_]+s\b|[^\W\d_]+(?:en|os|as|er|ow|ów|ов|ей|ів|ler|lar|i|e)\b))"
        )
        self._add(
            rf"{_NB}(?:{grownups})\s*(?:,|\(|:|of|de|di|van|von|da|do)?\s*{_D2}{_NOT_MEASURE}"
            r"(?=\s*(?:[,.;:!?)]|$|years?\s+old|yo\b|y/o|anos\b|ans\b|jahre\b|anni\b|jaar\b|lat\b|лет|років|yas|tahun|tuoi|歳|岁|살))"
            r"(?!\s*(?:,\s*)?(?:kids?|children|sons?|daughters?|hijos|filhos|enfants|kinder|figli|dzieci|детей|дітей|cocuk|anak))"
        )
        self._add(
            rf"{_NB}(?:{people})\s*(?:,|\(|:|-|–|—|of|de|di|van|von|da|do|du|bat|ben|na|ng)\s*(?:[^\W\d_]+ly\s+|[^\W\d_]+mente\s+)?"
            rf"{_D2}{_NOT_MEASURE}"
        )
        # "girl 12, nude", "gurl 12 sexxx": a person and a number after a space ("girl 2 girl" is not an age).
        self._add(
            rf"{_NB}(?:{people})\s+{_D2}{_NOT_MEASURE}(?![^\W\d_])"
            r"(?!\s*(?:[-x/&+]|girls?\b|boys?\b|guys?\b|men\b|man\b|women\b|woman\b|on\b|of\b|in\s+a\s+row|times?\b"
            r"|pack\b|[^\W\d_]+s\b|[^\W\d_]+(?:en|es|os|as|er|ow|ów|ов|ей|ів|ler|lar)\b))"
        )
        # "looks young but 25", "she looks 15 but is actually 22": the number after "but" is her age.
        self._add(
            rf"{_NB}(?:looks?|looking|appears?|seems?)\s+(?:\w+\s+){{0,2}}?(?:but|though|yet|pero|mas|mais|aber|ma|maar|ale|но|ama|tapi)"
            rf"\s+(?:(?:is|she's|he's|actually|really|in\s+fact|en\s+realidad|eigentlich|in\s+realta)\s+)*{_D2}{_NOT_MEASURE}"
            r"(?!\s*(?:[^\W\d_]+s)\b)"
        )
        copula = (
            r"is|'s|'m|am|'re|are|was|were|turned|turns|just\s+turned|is\s+only|is\s+just|only|is\s+canonically"
            r"|is\s+supposedly|is\s+actually|ist|ist\s+erst|ist\s+nur|wird|is\s+pas|is\s+nog\s+maar|is\s+maar|jest"
        )
        having = r"tiene|tiene\s+solo|tem|tem\s+so|ha|ha\s+solo|ha\s+appena|ей|ему|їй|йому|are"  # "she has 13 (years)"
        subjects = (
            r"she|he|i|who|we|oc|character|kid|child|girl|boy|daughter|son|ella|el|elle|il|lei|lui|sie|er|zij|hij"
            rf"|ona|on|она|он|вона|він|dia|siya|ela|ele|ze|personajul|postac|(?:{people})|(?:{grownups})"
        )
        self._add(
            rf"{_NB}(?:{subjects})(?:\s+\w+ly)?\s*(?:{copula})(?:\s+\w+ly)?\s+{_D2}{_NOT_MEASURE}"
            r"(?!\s*(?:years?|yrs?)\s+ago)"
        )
        self._add(rf"{_NB}(?:{subjects})\s+(?:{having})\s+{_D2}(?=\s*(?:[,.;!]|$|\w+mente\b|\w+ly\b|y\s|e\s|et\s))")
        # Without a subject, or with it after the verb or at the end: "ей 13", "ist er 12", "ze 13 is",
        # "que en el anime tiene 12", "who in canon is 13".
        end = r"(?=\s*(?:[,.;:!?)]|$|(?:and|but|y|e|et|und|en|и|і|ve|dan|at|va)\s|(?:in|en|im|dans|nel|в|у)\s))"
        self._add(
            rf"{_NB}(?:ей|ему|їй|йому|мне|мені)\s+(?:уже\s+|всего\s+|только\s+|лишь\s+|вже\s+|лише\s+|тільки\s+)?{_D2}{end}"
        )
        self._add(
            rf"{_NB}(?:ist|war|wird|is|was|wordt)\s+(?:er|sie|es|hij|zij|ze)\s+(?:(?:erst|nur|gerade|maar|pas|nog|net)\s+)?{_D2}{end}"
        )
        self._add(
            rf"{_NB}(?:ze|zij|hij|het|sie|er)\s+(?:(?:maar|pas|nog|net|erst|nur)\s+)?{_D2}\s+(?:jaar\s+|jahre\s+)?(?:is|was|wordt|ist|war|wird){_NA}"
        )
        self._add(
            rf"{_NB}(?:que|who|which|qui|che|der|die|который|которая|котрий|котра)\s+(?:\w+\s+){{0,4}}?"
            rf"(?:tiene|tem|a|ha|hat|is|'s|es|est|e|ist|jest|—)\s+(?:(?:solo|so|seulement|only|just|nur|erst)\s+)?{_D2}{end}"
        )
        # "14-ish girl", "girl, 13ish": a rough age is an age.
        self._add(rf"{_D2}\s*-?\s*ish(?![^\W\d_])(?=[\s,-]+(?:\w+[\s-]+)?(?:{people}){_NA})")
        self._add(rf"{_NB}(?:{people})\s*[,(]?\s*(?:like\s+|about\s+|around\s+)?{_D2}\s*-?\s*ish(?![^\W\d_])")
        measures = (
            r"size|room|number|score|rating|price|page|chapter|episode|level|time|count|total|height|weight|length"
            r"|bust|waist|hips|shoe|cup|iq|fps|speed|temperature|resolution|budget"
        )
        self._add(
            rf"{_NB}(?:the|my|this|our|her|his|their|your)\s+(?!(?:{measures}){_NA}){_L}+\s+is\s+"
            rf"(?:only\s+|just\s+|canonically\s+)?{_D2}"
            rf"(?=\s*(?:[,.;!]|$|and\b|but\b|years?\b|yo\b|now\b))"
        )
        self._add(
            rf"{_NB}(?:looks?|looking|appears?|seems?)(?:\s+(?:about|around|like|maybe|only|barely|to\s+be))?\s+{_D2}{_NOT_MEASURE}"
        )
        # 4. A name (or any word) and a number between commas or bars: "Mia, 15, blonde", "(16)".
        self._add(
            rf"(?:^|[,.;:|/(\[]\s*|\s)(?:{_L}{{2,20}})\s*[,|]\s*{_D2}\s*(?=[,.;:)|/]|$|\s+(?:and|y|e|et|und|en|i|и)\s)"
        )
        self._add(rf"(?:^|\s|{_L})\(\s*{_D2}\s*\)")
        # 5. "16F", "16 f", "16/f", "f/16".
        self._add(rf"{_D2}(?:f|\s?/\s?[fm])(?![^\W\d_])")
        self._add(rf"{_D2}t(?![\w-])")  # Vietnamese "13t" (tuổi)
        self._add(rf"{_NB}[fm]\s?/\s?{_D2}{_NA}")
        # 6. Hebrew "בת 13", Swahili "wa miaka 13", German "mit 14".
        self._add(rf"(?:בת|בן)\s*{_D2}")
        self._add(rf"{_NB}(?:wa\s+)?miaka\s+{_D2}")
        self._add(rf"{_NB}(?:mit|a|à|aos|aged|at\s+age|con)\s+{_D2}\s*(?:jahren|ans|anni|anos|años)\b")
        # "at 14 she ...", "when at 15, we ...": an age told as a time of life.
        self._add(
            rf"(?:^|[,;.:]\s*|{_NB}(?:when|since|from|until|till|and|but|was|were)\s+)at\s+{_D2}(?!\s*(?:[:.]\d|am\b|pm\b|h\b|o'?clock))"
            r"(?=\s*(?:,|;|$|she\b|he\b|i\b|we\b|they\b|her\b|his\b|my\b|our\b|their\b|you\b|years?\b))"
        )
        # 7. The ambiguous units ("15 años", "15 tahun", "15 ปี"): an age unless a duration word is near.
        ambiguous = "|".join(f"(?:{unit})" for unit in _AMBIGUOUS_UNITS.values())
        self._ambiguous = _compile(rf"{_D}\s*[-‐]?\s*(?:{ambiguous})(?![a-z])")
        self._duration_before = _compile(rf"(?:^|\W)(?:{_DURATION_BEFORE})\W+(?:\w+\W+)?$")
        self._duration_after = _compile(rf"^\s*(?:{_DURATION_AFTER})(?:\W|$)")
        # Vietnamese "13t", Arabizi handled above; Japanese/Chinese kanji numbers below.
        self._kanji = _compile(r"([〇一二三四五六七八九十两兩]+)\s*(?:歳|才|岁|歲|さい|살|세)")

    def _build_words(self) -> None:
        strong_by_lang = {
            "en": _STRONG_UNITS["en"],
            "es": r"anos|ano|anitos",
            "pt": r"anos|ano|aninhos",
            "fr": r"ans",
            "it": r"anni|anno",
            "de": _STRONG_UNITS["de"] + r"|jahre|jahren",
            "nl": _STRONG_UNITS["nl"] + r"|jaar",
            "pl": r"lat|lata|letni\w*",
            "ru": r"лет|года|год|летн\w*",
            "uk": r"років|роки|рік|річн\w*",
            "tr": _STRONG_UNITS["tr"],
            "id": r"tahun",
            "ms": r"tahun",
            "tl": _STRONG_UNITS["tl"] + r"|taon",
            "vi": r"tuoi",
            "th": r"ขวบ|ปี",
            "hi": r"साल|वर्ष|बरस",
            "hi-latn": r"saal|sal|varsh|baras",
            "bn": r"বছরের|বছর",
            "fa": r"ساله|سال",
            "ar": r"سنه|سنوات|سنين|عاما|عام",
            "ko": r"살",
            "sv": _STRONG_UNITS["sv"] + r"|ar\b",
            "el": _STRONG_UNITS["el"] + r"|χρονια",
            "ro": r"(?:de\s+)?ani",
        }
        for lang, table in self.grammar.units.items():
            units = strong_by_lang.get(lang)
            if not units:
                continue
            numbers = _alt(table)
            self._add(rf"(?<![\w-])({numbers})\s*[-‐]?\s*(?:{units})", "age", table)
            self._number_words.update(table)
        # Age nouns and people before number words ("aged fifteen", "a girl of twelve", "looks about twelve").
        en = self.grammar.units["en"]
        self._add(
            rf"{_NB}(?:aged?(?:\s+(?:about|around|roughly|maybe|only|just))?|age\s+of|(?:girl|boy|kid|child|daughter|son)\s+of"
            rf"|looks?(?:\s+(?:about|around|like|maybe|only|barely))?|looking\s+(?:about|around|like)"
            rf"|(?:she|he|who)\s+(?:is|was)(?:\s+(?:only|just|barely))?)(?:\s*[:=\-–—]\s*|\s+)({_alt(en)}){_NA}{_NOT_MEASURE}",
            "age",
            en,
        )
        # A number stem glued to an age suffix: "zwölfjährig", "dwunastoletnia", "пятнадцатилетняя", "tolvårig".
        suffix = {
            "de": r"jahrig\w*",
            "nl": r"jarig\w*",
            "pl": r"letn\w*|latk\w*|latek",
            "ru": r"летн\w*",
            "uk": r"річн\w*",
            "sv": r"arig\w*",
            "cs": r"let\w*",
            "it": r"enn[ei]",
        }
        for lang, stems in self.grammar.compound_stems.items():
            self._add(rf"{_NB}({_alt(stems)})[\s-]?(?:{suffix[lang]})", "age", stems)
        # Arabic "في الثانية عشرة من عمرها", "عمرها اثنا عشر".
        self._add(rf"({_alt(self.grammar.arabic_ordinals)})\s+(?:من\s+)?عمر", "age", self.grammar.arabic_ordinals)
        # Korean native numbers glued to 살: "열두살".
        self._add(rf"({_alt(self.grammar.units['ko'])})\s*살", "age", self.grammar.units["ko"])
