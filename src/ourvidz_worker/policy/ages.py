"""Ages, school levels and relative-age statements in a normalised text, in the covered languages.

`AgeFinder.find(text)` returns `AgeMention`s: where a person's age is stated and what it is. It
reads structure, not word lists alone:

- a number (digits of any script, or a number word of the language: "fifteen", "quince",
  "dua belas", "열두", "十二") before an age unit ("years old", "yo", "años", "Jahre alt", "lat",
  "лет", "yaşında", "tahun", "taong gulang", "tuổi", "ปี", "歳", "살", "ساله", "साल की", "বছরের"),
  or glued to one ("15yo", "13-jährige", "14latek", "пятнадцатилетняя", "दुवाज़्दह", "13살");
- an age noun before a number ("age: 15", "aged 12", "edad 14", "umur 13", "อายุ 13", "عمرها 13",
  "उम्र 15", "年齢：15", "나이: 15");
- a person before a number ("girl, 15", "Mia, 15,", "character (16)", "she is 12", "meisje van 13",
  "looks 12", "16F");
- school levels of the main school systems ("grade 7", "8th grader", "year 8", "7. Klasse",
  "8 класса", "kelas 6", "ม.2", "中2", "lớp 8", "8º ano", "2º de la ESO", "groep 8", "tingkatan 2");
- birthdays with an ordinal under 18 ("10th birthday", "ika-10 kaarawan", "عيد ميلادها العاشر");
- statements relative to the age of majority ("under 18", "not yet 18", "two years before she
  turns 18", "not legal yet", "still two years until she is of age", "未満18", "아직 성인 ...");
- birth years and school cohorts, read against the current year ("born in 2013", "rocznik 2012",
  "2012년생", "2011年出生", "class of 2005" - an adult now -, "class of 2035" - at school now);
- decades of life, always adult ("in their 30s", "thirtysomething", "trentenaire", "30代", "30대").

The years of an ambiguous unit ("12 años", "12 tahun", "12 ปี") are not an age when the words
around them make them a duration ("married 12 years", "hace 12 años", "12 years ago", "结婚12年").
Numbers that are measurements (cm, kg, minutes, fps, %, sizes, rooms) are not read as ages.

`AgeFinder.past_until(text)` finds where a text says "now" with an adult age after it ("when we
were 16 ...; now we are 34"), "15 years later" or a class reunion: minor ages before that point
describe the past. `AgeFinder.past_frame` tells whether words are told as the past in their clause
("met back in high school", "as teens", "prom night decades ago"); `depicts_past` finds a flashback
or a request to show the past, which turns both off.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .normalise import normalise, pattern_form
from .rules import data_file

ADULT = 18
BOUND = 17  # the age recorded for a school level or an "under 18" statement


@dataclass(frozen=True)
class AgeMention:
    """One stated age: `value` (a school level or an "under 18" records 17), `kind`, and where."""

    value: int
    kind: str  # "age", "school", "birthday", "under", "adult" ("18+", "all adults")
    start: int
    end: int

    @property
    def minor(self) -> bool:
        return 0 <= self.value < ADULT


@dataclass(frozen=True)
class AgeGrammar:
    """The vocabulary of `data/age_grammar.json`, normalised."""

    units: dict[str, dict[str, int]]
    tens: dict[str, list[str]]
    compound_stems: dict[str, dict[str, int]]
    ordinals: dict[str, dict[str, int]]
    arabic_ordinals: dict[str, int]
    bengali_class_words: dict[str, int]
    nonhuman: frozenset[str]
    adult_decades: dict[str, int]


def load_age_grammar() -> AgeGrammar:
    raw = json.loads(data_file("age_grammar.json"))

    def table(values: Mapping[str, int]) -> dict[str, int]:
        return {normalise(word): number for word, number in values.items()}

    return AgeGrammar(
        units={lang: table(words) for lang, words in raw["units"].items()},
        tens={lang: [normalise(w) for w in words] for lang, words in raw["tens"].items()},
        compound_stems={lang: table(words) for lang, words in raw["compound_stems"].items()},
        ordinals={lang: table(words) for lang, words in raw["ordinals"].items()},
        arabic_ordinals=table(raw["arabic_ordinals"]),
        bengali_class_words=table(raw["bengali_class_words"]),
        nonhuman=frozenset(raw["nonhuman"]),
        adult_decades=table(raw.get("adult_decades", {})),
    )


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern_form(pattern))


def _alt(words: Iterable[str]) -> str:
    """Regex alternation, longest first; a space or hyphen inside an entry matches either or none."""
    ordered = sorted({w for w in words if w}, key=len, reverse=True)
    return "|".join(r"[\s-]?".join(re.escape(part) for part in re.split(r"[\s-]+", w)) for w in ordered)


_L = r"[^\W\d_]"  # a letter
_NB = r"(?<![^\W\d_])"  # no letter before
_NA = r"(?![^\W\d_])"  # no letter after
# A whole number, not part of 1.5, 13:15, #16, nor a leetspeak letter glued to a word ("int0", "w1th").
_D = r"(?<![\d#№a-z@$€])(?<!\d[.,:/])(\d{1,3})(?!\d|[.,:/]\d)"
_D2 = r"(?<![\d#№a-z@$€])(?<!\d[.,:/])(\d{1,2})(?!\d|[.,:/]\d)"
_DN = r"(?<![\d#№])(?<!\d[.,:/])(\d{1,3})(?!\d|[.,:/]\d)"  # after an age noun, glued or not: "age12"

# After a number: not an age, whatever comes before ("16 mm", "15 minutes", "size 12 jeans", "15%").
_MEASURE = (
    r"cm|mm|m|km|kg|g|lbs?|pounds?|stone|feet|foot|ft|inch|inches|minutes?|mins?|seconds?|secs?|hours?|hrs?|h|am|pm"
    r"|o'?clock|percent|degrees?|meters?|metres?|miles?|euros?|dollars?|bucks|times|x|stars?|points?|k|mb|gb|fps|p|b"
    r"|minutos?|segundos?|horas?|minuten|sekunden|stunden|minuti|secondi|ore|minutes|secondes|heures|minuten|seconden"
    r"|uur|minut|minuty|sekund|минут\w*|секунд\w*|час\w*|хвилин\w*|dakika|saniye|saat|menit|minit|detik|saat|minuto|segundo"
    r"|phut|giay|gio|นาที|ชั่วโมง|分|秒|時間|分钟|分鐘|小时|小時|분|초|시간|دقيقة|دقائق|ثانية|ساعة|मिनट|सेकंड|মিনিট|সেকেন্ড"
    r"|jeans|size|fps|号|號|호|번|号室|號房|호실"
)
_NOT_MEASURE = rf"(?!\s*(?:{_MEASURE}){_NA}|\s*[%°'\"″′]|\s*[:.,]\d|\s*(?:of|de|di|von|van|из|na|dari)\s+\d)"

# Age units after a number, per language. "strong": always an age; "ambiguous": also a duration.
_STRONG_UNITS = {
    "en": r"(?:years?|yrs?|yr)\.?[\s-]*(?:olds?|young)|y\s?/\s?o|y\.o\.?|yo|y\s+o|yrs?o|years?\s+of\s+age|year[\s-]old",
    "de": r"jahre?\s+alt|jahrig\w*|jahrchen",
    "nl": r"jaar\s+oud|jarige?n?\b",
    "pl": r"letn\w*|lat(?:ek|ka|ki|kiem|kow|ke|ce|ku|kami)\b|-?latk\w*|-?latek",
    "ru": r"летн\w*|лет(?:н\w*)?\s+от\s+роду",
    "uk": r"річн\w*|рочк\w*",
    "tr": r"yas(?:inda|indaki|larinda|indan|ina|in)\w*|yas\b",
    "tl": r"taong\s+gulang|taon\s+gulang|(?:na\s+)?anyos|anyo\b",
    "vi": r"tuoi",
    "th": r"ขวบ",
    "cjk": r"歳|才|岁|歲|さい|살|세",
    "fa": r"ساله|سالگي|سالہ|ساله\w*",
    "hi": r"साल\s+(?:की|का|के)|वर्षीय|वर्ष\s+(?:की|का|के)|बरस\s+(?:की|का|के)",
    "hi-latn": r"(?:saal|sal|varsh|baras)\s+(?:ki|ka|ke)\b|years?\s+(?:ki|ka|ke)\b",
    "bn": r"বছর\s+বয়সী|বছর\s+বয়সে|বছর\s+বয়স|বছর\s+বয়েস",
    "ar": r"(?:سنه|سنوات|سنين|عاما|عام)\s+من\s+عمر\w*|من\s+عمر\w*",
    "ur": r"سال\s+(?:كي|كا|كے|كي)",
    "hu": r"eves\w*",
    "sv": r"-?arig\w*|ar\s+gammal",
    "el": r"χρονων|ετων",
    "cs": r"-?let(?:a|e|y|ou|eho|emu|ym|ého)\b|-?lete\w*|-?leta\w*",
    "arabizi": r"sana\b|sanawat|snin",
    "es": r"pirulos|primaveras",
}
_AMBIGUOUS_UNITS = {
    "es": r"anos|ano|anitos",
    "pt": r"anos|ano|aninhos",
    "fr": r"ans\b|an\b",
    "it": r"anni|anno",
    "de": r"jahre|jahren",
    "nl": r"jaar",
    "pl": r"lat|lata|roku",
    "ru": r"лет|года|год",
    "uk": r"років|роки|рік",
    "id": r"tahun|thn|th\b",
    "ms": r"tahun|thn",
    "tl": r"taon",
    "th": r"ปี",
    "ar": r"سنه|سنوات|سنين|عاما|عام|اعوام",
    "fa": r"سال",
    "hi": r"साल|वर्ष|बरस",
    "hi-latn": r"saal|sal",
    "bn": r"বছরের|বছর",
    "ro": r"ani|de\s+ani",
    "sv": r"ar\b",
    "cs": r"let\b|roku",
    "sw": r"miaka",
}
# Words that make the years of an ambiguous unit a duration: right before the number ("married 12
# years", "hace 12 años", "seit 12 Jahren") or right after the unit ("12 anni fa", "12 лет назад").
_DURATION_BEFORE = (
    r"for|since|married|together|during|each|every|last|past|next|over|within|after"
    r"|hace|durante|desde|por|tras|cada|ultimos|proximos|casados|casadas|juntos|ha\s+mais\s+de|em|depois\s+de|apos|mais\s+de"
    r"|il\s+y\s+a|y\s+a|depuis|pendant|dans|apres|tous\s+les|maries|mariees|ensemble|plus\s+de"
    r"|da|per|tra|fra|dopo|ogni|oltre|sposati|insieme|seit|vor|nach|fur|verheiratet|zusammen|uber"
    r"|sinds|al|getrouwd|samen|od|przez|razem|ponad|через|уже|женаты|замужем|вместе|за|в\s+течение"
    r"|последние|более|около|после|вже|одружені|разом|протягом|останні|понад|після"
    r"|menikah|nikah|kahwin|berkahwin|selama|sejak|sudah|setelah|lebih\s+dari|kasal|mula|loob\s+ng"
    r"|cuoi|ket\s+hon|متزوج\w*|منذ|من|قبل|بعد|طوال|خلال|ازدواج|از|शादी\s+को|shaadi\s+ko|বিয়ের|বিয়ে"
    r"|casatoriti|gifta|zenati|pred"
)
_DURATION_AFTER = (
    r"ago|later|before|back|of\s+marriage|married|together|atras|despues|mas\s+tarde|de\s+casados|de\s+matrimonio"
    r"|de\s+casamento|depois|mais\s+tarde|juntos|plus\s+tard|de\s+mariage|fa|dopo|piu\s+tardi|di\s+matrimonio"
    r"|spater|her|verheiratet|zusammen|geleden|getrouwd|samen|temu|po\s+slubie|razem|назад|спустя|тому|вместе|разом"
    r"|once|sonra|evli\w*|lalu|yang\s+lalu|kemudian|menikah|kahwin|nakaraan|nang\s+kasal|na\s+ang\s+nakalipas"
    r"|nakalipas|truoc|sau|ที่แล้ว|مضت|الماضيه|पहले|बाद|हुए|hue|পরে|আগে|iliyopita|in\s+urma|sedan|zpet|ezelott"
)
_NOW = (
    r"now|today|nowadays|these\s+days|years\s+later|decades\s+later|later|ahora|hoy|hoy\s+en\s+dia|agora|hoje"
    r"|maintenant|aujourd'?hui|desormais|ora|oggi|adesso|jetzt|heute|inzwischen|nu|tegenwoordig|teraz|dzis|dzisiaj"
    r"|сейчас|теперь|тепер|зараз|нынче|simdi|artik|sekarang|kini|ngayon|bay\s+gio|gio|hien\s+tai|ตอนนี้|ปัจจุบัน"
    r"|今は|今|現在|现在|如今|이제|지금|अब|ab|এখন|الان|اليوم|حاليا|اکنون|اكنون|الان|most|acum|τωρα|עכשיו|sasa|ted"
)
# Markers after which the people of a text are adults, whatever came before: "15 years later", "decades
# later", a class reunion. What precedes them is the past (like "now" with an adult age after it).
_LATER = (
    r"(?:(?:[5-9]|[1-9]\d)|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|many|several)[\s-]+years?\s+later"
    r"|decades?\s+later|a\s+decade\s+later|years\s+later|all\s+grown\s+up|grown\s+up\s+now|now\s+grown"
    r"|(?:\d+|twenty|ten|fifteen|thirty)[\s-]*years?\s+reunion|reunion|reunite[sd]?|reuniting"
    r"|(?:\d+|muchos|veinte|diez)\s+anos\s+despues|decadas\s+despues|reencuentro|reencontro|(?:\d+)\s+anos\s+depois"
    r"|(?:\d+|vingt|dix)\s+ans\s+plus\s+tard|retrouvailles|reunion\s+des\s+anciens|(?:\d+)\s+jahre\s+spater"
    r"|klassentreffen|jubilaumstreffen|wiedersehen|(?:\d+)\s+anni\s+dopo|rimpatriata|cena\s+di\s+classe"
    r"|(?:\d+)\s+jaar\s+later|reunie|(?:\d+)\s+lat\s+pozniej|zjazd\s+absolwentow|(?:\d+)\s+лет\s+спустя"
    r"|встреча\s+выпускников|встреча\s+одноклассников|через\s+\d+\s+(?:лет|років)|(?:\d+)\s+років\s+потому"
    r"|зустріч\s+(?:випускників|однокласників)|(?:\d+)\s+yil\s+sonra|mezunlar\s+bulusmasi|(?:\d+)\s+tahun\s+kemudian"
    r"|reuni|(?:\d+)\s+taon\s+(?:ang\s+)?(?:lumipas|makalipas)|(?:\d+)\s+nam\s+sau|hop\s+lop|(?:\d+)\s+(?:saal|sal)\s+baad"
    r"|\d+\s*年後|\d+\s*年后|同窓会|同学聚会|同學會|同学会|\d+\s*년\s*(?:후|뒤)|동창회|ปีต่อมา|งานเลี้ยงรุ่น|لقاء\s+دفعه"
)
# A youth word in a past frame: after one of these in its clause ("met back in high school", "as teens",
# "former middle-school rivals", "souvenirs de colonie", "dulu ... SMA") ...
_PAST_BEFORE_TERM = (
    r"back\s+in|back\s+when|back\s+at|since|met\s+(?:back\s+)?(?:in|at|during)|knew\s+each\s+other\s+(?:in|at|from|since)"
    r"|known\s+each\s+other\s+since|(?:sweethearts|friends|rivals|classmates|neighbou?rs|together|dated|dating)\s+(?:since|from|in|at|during)"
    r"|former|ex|remember(?:ing|s|ed)?|recall(?:ing|s|ed)?|memories\s+of|reminisc\w*|nostalgi\w*|used\s+to"
    r"|as\s+(?:a\s+|an\s+)?(?:teens?|teenagers?|kids?|children|students?|schoolkids|classmates|youngsters)"
    r"|when\s+(?:i|we|she|he|they)\s+(?:was|were)|during\s+(?:our|their|her|his|my)|in\s+(?:our|their|her|his|my)"
    r"|nos\s+conocimos\s+en|se\s+conocieron\s+en|desde|de\s+(?:adolescentes|ninos|ninas|chicos|chicas|jovenes|pequenos)|cuando\s+(?:eramos|eran|era)|recuerdan|recuerdos\s+de|antiguos?"
    r"|nos\s+conhecemos|se\s+conheceram|namoramos|namoravam|quando\s+(?:eramos|eram|era)|lembram|lembrancas|antig[oa]s?"
    r"|on\s+s'est\s+connus?|se\s+sont\s+connus|depuis|quand\s+(?:on\s+etait|nous\s+etions|ils\s+etaient)|souvenirs?|anciens?|anciennes?"
    r"|damals|als\s+(?:wir|sie|er)|seit|ehemalige\w*|erinnerungen\s+an|erinnern\s+sich\s+an|wir\s+waren"
    r"|ci\s+siamo\s+conosciuti|si\s+sono\s+conosciuti|quando\s+eravamo|ricordi|ricordano|kenden\s+elkaar|toen\s+we|vroeger"
    r"|sinds|herinneringen|poznalismy\s+sie|poznali\s+sie|kiedy\s+bylismy|bylych|dawniej|wspomnienia"
    r"|познакомились|дружили|когда\s+(?:мы|они)\s+были|бывш\w*|вспоминают|воспоминания|познайомилися|коли\s+(?:ми|вони)\s+були"
    r"|колишн\w*|згадують|спогади|eski|eskiden|dulu|waktu|semasa|sejak|mantan|bekas|noong|dati|hoi|ngay\s+xua|tung|thoi"
)
# ... or before one of these after it ("prom night decades ago", "高校の同級生だった", "中学の思い出").
_PAST_AFTER_TERM = (
    r"ago|back\s+then|long\s+ago|de\s+hace|il\s+y\s+a|fa|geleden|temu|назад|тому|once|lalu|truoc|days|years"
    r"|時代|の頃|の思い出|思い出|だった|的时候|的時候|那时|那時|时期|時期|以前|时|時|때|시절|이었던|였던|동창|동기|ครั้ง|สมัย"
    r"|ke\s+dino|wale\s+din|থাকতে|के\s+दिनों"
)
# Words that ask to show the past, not to recall it: with them nothing is read as "only the past".
_DEPICTED_PAST = (
    r"flash[\s-]?backs?|memory\s+scene|scene\s+from\s+(?:her|his|their|my|our)\s+(?:childhood|youth|school\s+days)"
    r"|(?:show|depict|portray|draw|film|recreat|re-?enact|reliv|imagin)\w*\s+(?:her|him|them|me|us|you)\s+(?:as|when|at|back)(?![^\W\d_])"
    r"|as\s+(?:she|he|they)\s+(?:was|were)\s+then"
    r"|retour\s+en\s+arriere|analepse|ruckblende|recuerdo\s+en\s+escena|escena\s+del\s+pasado|cena\s+do\s+passado"
    r"|воспоминание\s+в\s+сцене|回想シーン|回想|回忆|回憶|회상|ย้อนอดีต|فلاش\s*باك|फ्लैशबैक|ফ্ল্যাশব্যাক"
)
_CLAUSE_END = re.compile(r"[,;.!?:。、，；！？\n]|\s[-–—]\s|\bthen\b|\bluego\b|\bdann\b|\bpuis\b")
_NEGATION_BEFORE = (
    r"not|n't|never|yet|still|before|under|below|until|till|away\s+from|short\s+of|less\s+than|younger\s+than|almost"
    r"|nearly|won'?t\s+be|isn'?t|wasn'?t|no|todavia|aun|antes\s+de|menor\s+de|menos\s+de|casi|nao|ainda|nem|quase"
    r"|pas|encore|avant|moins\s+de|presque|non|ancora|prima|meno\s+di|quasi|manca|nicht|noch|erst|bevor|unter|fast"
    r"|kein\w*|niet|nog|geen|voor|onder|bijna|nie|jeszcze|przed|ponizej|prawie|brakuje|не|нет|еще|до|младше|почти"
    r"|ні|ще|молодше|майже|degil|henuz|daha|altinda|olmadan|لم|ما|لسه|ليس|ليست|قبل|اقل|تحت|مش|مو|هنوز|زير|كمتر"
    r"|ابھی|नहीं|नही|अभी|पहले|कम|abhi|nahi|nahin|pehle|এখনো|এখনও|আগে|কম|belum|bukan|tidak|sebelum|kurang|bawah"
    r"|hampir|hindi\s+pa|hindi|bago|wala\s+pa|kulang|chua|khong|duoi|gan|ยังไม่|ไม่ถึง|ไม่|ก่อน|ต่ำกว่า|เกือบ|ยัง"
    r"|まだ|未|还没|還沒|没|沒|不到|差|再等|아직|안|전|못|meg|nincs|nem|elott|nu|inca|inainte|bado|kabla|chini"
    r"|δεν|ακομα|לא|עוד|jeste|neni|inte|annu|fore"
)
_NEGATION_AFTER = (
    r"yet|not\s+yet|nahi|nahin|नहीं|हुई\s+नहीं|হয়নি|নয়|نشده|نيست|になってない|になっていない|ない|未満|未满|미만|안\s+됐|"
    r"chua|belum|degil|yok|olmamis|olmadi|olmasina|nicht|pas|pa\b|ainda\s+nao|todavia\s+no|ما\s+كملت\w*|لم\s+تبلغ"
)
# Negations in scripts written without spaces: no word boundary around them.
_NEGATION_UNSPACED = r"ยังไม่|ไม่ถึง|ต่ำกว่า|เกือบ|まだ|未|还没|還沒|没|沒|不到|差|再等"
_AGE_OF_MAJORITY = (
    r"18|eighteen|(?:ال)?ثامنه\s+عشر(?:ه)?|(?:ال)?ثامن\s+عشر|ثمانيه\s+عشر|ثماني\s+عشره|اتهاره\s+سال|dieciocho|dezoito|dix[\s-]?huit|diciotto|achtzehn|achttien|osiemnast\w*|восемнадцат\w*|вiсiмнадцят\w*"
    r"|вісімнадцят\w*|on\s+sekiz|delapan\s+belas|lapan\s+belas|labing[\s-]?walo|muoi\s+tam|สิบแปด|十八|열여덟|스무"
    r"|legally\s+consent|legally\s+(?:an\s+)?adult|legal\s+to\s+consent"
    r"|legal|legal\s+age|the\s+age\s+of\s+consent|age\s+of\s+consent|consent\s+age|of\s+age|majorite\w*"
    r"|mayor\s+de\s+edad|mayoria\s+de\s+edad|maior\s+de\s+idade|maioridade|maggiorenne|maggiore\s+eta"
    r"|volljahrig\w*|meerderjarig\w*|pelnolet\w*|osiemnastk\w*|совершеннолет\w*|повнолітт\w*|повнолітн\w*|resit\w*"
    r"|cukup\s+umur|legal\s+na\s+edad|du\s+tuoi|thanh\s+nien|บรรลุนิติภาวะ|成年|成人|성인|السن\s+القانوني\w*|بالغ\w*"
    r"|बालिग|balig|সাবালক\w*|سن\s+قانوني|nagykoru\w*|ktp|17|seventeen|diecisiete|dezessete|dix[\s-]?sept|diciassette|siebzehn|zeventien"
)


_VI_UNIT_BEFORE = re.compile(r"(?:mot|hai|ba|bon|nam|sau|bay|tam|chin)\s+$")
_THAI_DURATION = re.compile(r"แต่งงาน|ที่แล้ว|ผ่านมา|มาแล้ว|ก่อน|หลังจาก|คบกัน")


class AgeFinder:
    """Finds stated ages, school levels and under-18 statements in a normalised text (see the module)."""

    def __init__(self, grammar: AgeGrammar, *, year: int | None = None) -> None:
        self.grammar = grammar
        self.year = year or datetime.date.today().year  # birth years and school cohorts are read against it
        self._number_words: dict[str, int] = {}
        self._patterns: list[tuple[re.Pattern[str], str, dict[str, int] | None]] = []
        all_tens = [w for words in grammar.tens.values() for w in words]
        self._tens_before = _compile(rf"(?:{_alt(all_tens)})[\s-]*(?:(?:y|e|et|und|en|и|i|va|na)[\s-]+)?$")
        self._build_numeric()
        self._build_words()
        self._build_school()
        self._build_relative()
        self._build_years()
        birthday = (
            r"birthday|bday|b-day|cumpleanos|cumple|aniversario|anniversaire|compleanno|geburtstag|verjaardag|urodziny"
            r"|urodzin|день\s+рождения|дня\s+рождения|день\s+народження|дня\s+народження|dogum\s+gunu\w*|ulang\s+tahun|ultah"
            r"|kaarawan|sinh\s+nhat|วันเกิด|誕生日|生日|생일|عيد\s+ميلاد\w*|जन्मदिन|janamdin|birthday|জন্মদিন\w*|تولد"
        )
        ords = _alt(self._ordinals)
        self._birthday_patterns = [
            _compile(p)
            for p in [
                rf"(?<![\d.,:])(\d{{1,2}})\s*(?:st|nd|rd|th|e|eme|er|º|o|ª|\.|-?th|-?ый|-?й|-?го|-?летие)?\s*(?:{birthday})",
                rf"(?:{birthday})\s*(?:no\.?|number|#|ke-?|ika-?|de|del|da|do|des|du|n|thu|ครบ|ที่)?\s*(\d{{1,2}})(?![\d.,:])(?!\s*(?:de\s+)?(?:casad|mariage|boda|matrimonio|ślubu|slubu))",
                rf"{_NB}({ords})\s*(?:{birthday})",
                rf"(?:{birthday})\s+(?:ال)?({ords})",
                r"(\d{1,2})\s*번째\s*생일",
                rf"(?:{birthday})\s+(?:ng\s+)?(ika-?\d{{1,2}}|ika\w+)",
            ]
        ]
        self._now = _compile(rf"{_NB}(?:{_NOW}){_NA}|今は|今|現在|现在|如今|이제|지금|ตอนนี้")
        self._later = _compile(
            rf"{_NB}(?:{_LATER}){_NA}|同窓会|同学聚会|同學會|同学会|동창회|งานเลี้ยงรุ่น|\d+\s*(?:年後|年后|년\s*후)"
        )
        self._depicted_past = _compile(rf"{_NB}(?:{_DEPICTED_PAST})|回想|回忆|回憶|회상|ย้อนอดีต")
        self._past_before = _compile(rf"(?:^|[^\w'])(?:{_PAST_BEFORE_TERM})(?:[\s-]+\w+){{0,3}}[\s-]*$")
        self._past_after = _compile(
            rf"^[\s-]*(?:\w+[\s-]+){{0,3}}?(?:{_PAST_AFTER_TERM})(?![^\W\d_])|^\s*(?:の|的)?(?:{_PAST_AFTER_TERM})"
        )
        self._bare_number = _compile(rf"(?<![\d.,:])(\d{{2,3}}){_NOT_MEASURE}(?![\d\w])")

    # ------------------------------------------------------------------ patterns

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
            rf"|(?:she|he|who)\s+(?:is|was)(?:\s+(?:only|just|barely))?)\s+({_alt(en)}){_NA}{_NOT_MEASURE}",
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
            rf"{_NB}(?:{en_ords})[\s-]*(?:grade|graders?)(?:rs?)?{_NA}",
            # Spanish/Portuguese: "2º de la ESO", "8º ano", "6o de primaria", "quinto de primaria".
            rf"{d}\s*(?:º|o|er|ero|do|to|vo|no)\s*(?:de\s+(?:la\s+)?)?(?:eso|primaria|secundaria|basico|bachillerato)",
            rf"{d}\s*(?:de\s+(?:la\s+)?)?(?:primaria|secundaria)",
            rf"{d}\s*(?:º|o|ª|a)\s*(?:ano|serie)(?!s)(?:\s+(?:do|de)\s+(?:fundamental|ensino))?",
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
            # Dutch: "groep 8", "klas 2", "brugklas".
            rf"{_NB}(?:groep|klas)\s*{d}{_NA}",
            # Polish: "7 klasa", "uczennica 7 klasy", "siódmej klasy".
            rf"{d}\s*\.?\s*klas(?:a|y|ie|ę|e)?{_NA}",
            rf"{_NB}klas(?:a|y|ie)?\s*{d}{_NA}",
            rf"{_NB}(?:{ords})\s+klas\w*",
            # Russian/Ukrainian: "8 класса", "7 класу", "седьмого класса".
            rf"{d}\s*-?\s*(?:го|й|ого)?\s*класс?(?:а|е|у|ом)?{_NA}",
            rf"{_NB}(?:{ords})\s+класс?\w*",
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

    def _years(self, text: str) -> list[AgeMention]:
        """Ages read from a birth year, a school cohort or a decade of life."""
        found = []

        def year_of(token: str) -> int:
            value = int(token)
            return value - 543 if value >= 2400 else value  # Thai Buddhist era

        for pattern in self._born:
            for m in pattern.finditer(text):
                age = self.year - year_of(m.group(1))
                if 0 <= age < 120:
                    found.append(AgeMention(age, "age", m.start(), m.end()))
        for m in self._born_short.finditer(text):
            born = 2000 + int(m.group(1)) if int(m.group(1)) <= self.year % 100 else 1900 + int(m.group(1))
            found.append(AgeMention(self.year - born, "age", m.start(), m.end()))
        for pattern in self._cohort:
            for m in pattern.finditer(text):
                cohort = year_of(m.group(1))
                if cohort < self.year:  # graduated: an adult now
                    found.append(AgeMention(ADULT + self.year - cohort, "cohort", m.start(), m.end()))
                elif cohort - self.year >= 5:  # graduating in five years or more: at school now
                    found.append(AgeMention(BOUND, "school", m.start(), m.end()))
        tens = {
            "twent": 2,
            "thirt": 3,
            "fort": 4,
            "fift": 5,
            "sixt": 6,
            "sevent": 7,
            "eight": 8,
            "ninet": 9,
            "vingt": 2,
            "trent": 3,
            "quarant": 4,
            "cinquant": 5,
            "soixant": 6,
            "zwanzig": 2,
            "dreissig": 3,
            "dreißig": 3,
            "vierzig": 4,
            "funfzig": 5,
            "fünfzig": 5,
            "vent": 2,
            "тридцать": 3,
            "сорок": 4,
            "пятьдесят": 5,
            "trzydziestce": 3,
            "czterdziestce": 4,
        }
        for pattern, scale in self._decades:
            for m in pattern.finditer(text):
                token = m.group(1)
                value = int(token) * scale if token.isdigit() else 10 * tens.get(token, tens.get(token[:12], 3))
                if token.startswith("trzydziestk"):
                    value = 30
                found.append(AgeMention(value, "adult", m.start(), m.end()))
        if self._decade_words is not None:
            for m in self._decade_words.finditer(text):
                word = m.group(1) or m.group(2)
                value = self.grammar.adult_decades.get(word, 30)
                found.append(AgeMention(value, "adult", m.start(), m.end()))
        return found

    # ------------------------------------------------------------------ reading

    def find(self, text: str) -> list[AgeMention]:
        """Every stated age, school level, birthday and under-18 statement, in text order."""
        found: list[AgeMention] = []
        for pattern, kind, words in self._patterns:
            for m in pattern.finditer(text):
                value = self._value(m, words)
                if value is None or not self._is_person(text, m.end()):
                    continue
                if words is not None and self._compound_before(text, m.start(1)):
                    continue
                found.append(AgeMention(value, kind, m.start(), m.end()))
        for m in self._ambiguous.finditer(text):
            if not self._is_duration(text, m) and self._is_person(text, m.end()):
                found.append(AgeMention(int(m.group(1)), "age", m.start(), m.end()))
        for m in self._kanji.finditer(text):
            found.append(AgeMention(_kanji_number(m.group(1)), "age", m.start(), m.end()))
        for m in self._school.finditer(text):
            found.append(AgeMention(BOUND, "school", m.start(), m.end()))
        found += self._birthdays(text)
        found += self._relative(text)
        found += self._years(text)
        found += [AgeMention(ADULT, "adult", m.start(), m.end()) for m in self._adult_statement.finditer(text)]
        return sorted(found, key=lambda a: a.start)

    def minor_age(self, text: str) -> bool:
        return any(a.minor for a in self.find(text))

    def past_until(self, text: str) -> int:
        """The position of a "now" that has an adult age right after it, or 0 if there is none.

        "when we were 16 we were sweethearts; now we're 34": what precedes that "now" is the past.
        """
        if self.depicts_past(text):
            return 0
        last = 0
        for m in self._now.finditer(text):
            after = text[m.end() : m.end() + 40]
            ages = [a for a in self.find(after) if a.kind in ("age", "adult")]
            numbers = [int(n) for n in self._bare_number.findall(after[:16])]
            if any(a.value >= ADULT for a in ages) or any(ADULT <= n < 120 for n in numbers):
                last = m.start()
        # "15 years later", "decades later", a class reunion: the people are adults from there on.
        for m in self._later.finditer(text):
            last = max(last, m.start())
        return last

    def depicts_past(self, text: str) -> bool:
        """A flashback or a request to show the past ("flashback to when she was 12"): not a recollection."""
        return bool(self._depicted_past.search(text))

    def past_frame(self, text: str, start: int, end: int) -> bool:
        """Whether the words at text[start:end] are told as the past within their clause.

        "met back in high school", "as teens", "former middle-school rivals", "prom night decades ago",
        "高校の同級生だった": the clause says when, not who the people are now. The caller decides whether
        the job also says they are adults now.
        """
        if self.depicts_past(text):
            return False
        clause_start = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
        next_end = _CLAUSE_END.search(text, end)
        clause_end = next_end.start() if next_end else len(text)
        return bool(self._past_before.search(text[clause_start:start]) or self._past_after.search(text[end:clause_end]))

    @staticmethod
    def clause(text: str, start: int, end: int) -> tuple[int, int]:
        """The clause around text[start:end] (between commas, semicolons, sentence ends, dashes, "then")."""
        clause_start = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
        next_end = _CLAUSE_END.search(text, end)
        return clause_start, next_end.start() if next_end else len(text)

    # ------------------------------------------------------------------ helpers

    def _value(self, m: re.Match[str], words: Mapping[str, int] | None) -> int | None:
        token = next((g for g in m.groups() if g), None)
        if token is None:
            return None
        if token.isdigit():
            return int(token)
        if words is None:
            return None
        key = re.sub(r"[\s-]+", " ", token)
        for name, value in words.items():
            if re.sub(r"[\s-]+", " ", name) == key:
                return value
        return None

    def _compound_before(self, text: str, start: int) -> bool:
        """A tens word or another number word right before a unit word: "twenty-five", "dua puluh dua"."""
        before = text[max(0, start - 30) : start]
        if self._tens_before.search(before):
            return True
        # Vietnamese tens: "hai mươi hai" (22) is "hai" + "mươi" (tens) + "hai", not "mười hai" (12).
        return text.startswith("muoi", start) and bool(_VI_UNIT_BEFORE.search(before))

    def _is_person(self, text: str, end: int) -> bool:
        following = re.match(r"[\s-]*(\w+)", text[end:])
        return not (following and following.group(1) in self.grammar.nonhuman)

    def _is_duration(self, text: str, m: re.Match[str]) -> bool:
        before = text[max(0, m.start() - 40) : m.start()]
        after = text[m.end() : m.end() + 30]
        if self._duration_before.search(before) or self._duration_after.search(after):
            return True
        return bool(_THAI_DURATION.search(before[-15:] + " " + after[:15]))

    def _birthdays(self, text: str) -> list[AgeMention]:
        found = []
        for pattern in self._birthday_patterns:
            for m in pattern.finditer(text):
                token = m.group(1)
                value = int(token) if token.isdigit() else self._ordinals.get(token)
                if value is None and token.startswith("ika"):
                    digits = re.sub(r"\D", "", token)
                    value = int(digits) if digits else None
                if value is not None and 0 < value < ADULT:
                    context = text[max(0, m.start() - 25) : m.end() + 25]
                    if re.search(
                        r"anniversary|mariage|wedding|boda|matrimonio|casamento|hochzeit|company|firm", context
                    ):
                        continue
                    found.append(AgeMention(value, "birthday", m.start(), m.end()))
        return found

    def _relative(self, text: str) -> list[AgeMention]:
        found = []
        for m in self._under.finditer(text):
            bound = m.group(1)
            value = int(bound) if bound.isdigit() else self.grammar.units["en"].get(bound, 99)
            if value <= ADULT and not self._adult_disclaimer.search(text[max(0, m.start() - 25) : m.start()]):
                found.append(AgeMention(BOUND, "under", m.start(), m.end()))
        for m in self._turns_soon.finditer(text):
            found.append(AgeMention(BOUND, "under", m.start(), m.end()))
        for m in self._under_cjk.finditer(text):
            found.append(AgeMention(BOUND, "under", m.start(), m.end()))
        for m in self._majority.finditer(text):
            before = text[max(0, m.start() - 22) : m.start()]
            after = text[m.end() : m.end() + 25]
            if self._adult_after.match(after) or self._adult_disclaimer.search(before):
                continue
            if self._negation_before.search(before) or self._negation_after.match(after):
                found.append(AgeMention(BOUND, "under", m.start(), m.end()))
        return found


def _kanji_number(text: str) -> int:
    digits = {
        "〇": 0,
        "一": 1,
        "二": 2,
        "两": 2,
        "兩": 2,
        "三": 3,
        "四": 4,
        "五": 5,
        "六": 6,
        "七": 7,
        "八": 8,
        "九": 9,
    }
    if "十" not in text:
        return int("".join(str(digits[ch]) for ch in text)) if text else 99
    tens, _, units = text.partition("十")
    return (digits.get(tens, 1) if tens else 1) * 10 + (digits.get(units, 0) if units else 0)
