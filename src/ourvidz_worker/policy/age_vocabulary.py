"""The regex vocabulary of `ages`: helpers, age units, duration and past-time words, negations.

Plain strings (regex alternations over the normalised text) and small helpers shared by the pattern
builders (`age_patterns`, `age_levels`) and `ages.AgeFinder`. Add a word for a language here; the
patterns that use it are built once, when an `AgeFinder` is constructed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .normalise import pattern_form

ADULT = 18
BOUND = 17  # the age recorded for a school level or an "under 18" statement


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
    "id": r"tahun|thn|(?<=\s)th\b",
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
    # "after 13 years of marriage", "shaadi ke 13 saal", "evliliğin 13 yılı": a marriage word before the years
    r"|marriage|matrimonio|casamento|mariage|ehe|huwelijk|malzenstwa|брака|шлюбу|evlilik\w*|pernikahan|perkahwinan"
    r"|pagsasama|hon\s+nhan|زواج|الزواج|shaadi|shadi|shaadi\s+ke|शादी|शादी\s+के|vivah|विवाह"
)
_DURATION_AFTER = (
    r"ago|later|before|back|of\s+marriage|married|together|atras|despues|mas\s+tarde|de\s+casados|de\s+matrimonio"
    r"|de\s+casamento|depois|mais\s+tarde|juntos|plus\s+tard|de\s+mariage|fa|dopo|piu\s+tardi|di\s+matrimonio"
    r"|spater|her|verheiratet|zusammen|geleden|getrouwd|samen|temu|po\s+slubie|razem|назад|спустя|тому|вместе|разом"
    r"|once|sonra|evli\w*|lalu|yang\s+lalu|kemudian|menikah|kahwin|nakaraan|nang\s+kasal|na\s+ang\s+nakalipas"
    r"|nakalipas|truoc|sau|ที่แล้ว|مضت|الماضيه|पहले|बाद|हुए|hue|পরে|আগে|iliyopita|in\s+urma|sedan|zpet|ezelott"
    # "13 років у шлюбі", "13 лет в браке", "13 Jahre Ehe", "13 tahun pernikahan": the years of a marriage
    r"|in\s+marriage|of\s+(?:being\s+)?married|of\s+dating|in\s+a\s+relationship|ehe|der\s+ehe|verheiratet|di\s+matrimonio"
    r"|de\s+casados|de\s+casamento|de\s+mariage|de\s+vie\s+commune|getrouwd|huwelijk|malzenstwa|w\s+malzenstwie"
    r"|в\s+браке|брака|в\s+супружестве|у\s+шлюбі|в\s+шлюбі|шлюбу|разом|evli\w*|evlilik\w*|pernikahan|perkahwinan"
    r"|menikah|berkahwin|bersama|ng\s+kasal|ng\s+pagsasama|kasal|ket\s+hon|chung\s+song|من\s+الزواج|زواج|शादी"
    r"|की\s+शादी|ki\s+shaadi|shaadi|বিবাহ|বিয়ে"
)
_NOW = (
    r"now|today|nowadays|these\s+days|years\s+later|decades\s+later|later|ahora|hoy|hoy\s+en\s+dia|agora|hoje"
    r"|maintenant|aujourd'?hui|desormais|ora|oggi|adesso|jetzt|heute|inzwischen|nu|tegenwoordig|teraz|dzis|dzisiaj"
    r"|сейчас|теперь|тепер|зараз|нынче|simdi|artik|sekarang|kini|ngayon|bay\s+gio|gio|hien\s+tai|ตอนนี้|ปัจจุบัน"
    r"|今は|今|現在|现在|如今|이제|지금|अब|ab|এখন|الان|اليوم|حاليا|اکنون|اكنون|الان|most|acum|τωρα|עכשיו|sasa|ted"
)
# After a "now": words that say the people are adults without an age ("heute verheiratet", "now married
# with kids", "ahora casados", "今は結婚して"): what precedes that "now" is the past.
_NOW_ADULT = (
    r"(?:\w+\s+){0,3}?(?:married(?!\s+(?:to|off)\b)|a\s+married\s+couple|husband\s+and\s+wife|(?:a\s+)?(?:mother|father|mom|dad|parents)\s+of"
    r"|grown[\s-]+ups?|all\s+grown|adults|casad[oa]s?|esposos|mariee?s|epoux|verheiratet|eheleute|sposati|marito\s+e\s+moglie"
    r"|getrouwd|malzenstwem|malzonkowie|женаты|супруги|одружені|подружжя|evli|menikah|suami\s+istri|kahwin|berkahwin"
    r"|mag-asawa|kasal\s+na|vo\s+chong|da\s+ket\s+hon|แต่งงานแล้ว|結婚|夫婦|已婚|结婚|結了婚|결혼|부부|متزوج\w*|زوجان"
    r"|शादीशुदा|shaadishuda|विवाहित|বিবাহিত)(?![^\W\d_])"
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

# Tens stems of the decade words ("in their thirties", "la trentaine", "in den Dreißigern") -> the tens digit.
_DECADE_TENS = {
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


# Between a "now" and an adult age: the age is a partner's ("now married to a 40-year-old", "now with a man of 30").
_PARTNER_LINK = re.compile(
    r"(?<![^\W\d_])(?:to|with|and|by|for|con|com|avec|mit|met|z|с|з|ile|dengan|kay|voi|と|和|과|와|مع|से)(?![^\W\d_])"
)


# "half my age", "la mitad de mi edad", "halb so alt wie ich", "вдвое младше меня", "半分の年齢": a minor when the
# speaker (or the person compared with) is stated to be under 36.
_HALF_AGE = re.compile(
    pattern_form(
        r"(?<![^\W\d_])(?:half|a\s+third\s+of)\s+(?:my|his|her|your|their|our)\s+age|la\s+mitad\s+de\s+(?:mi|su|tu)\s+edad"
        r"|metade\s+da\s+(?:minha|sua|tua)\s+idade|la\s+moitie\s+de\s+(?:mon|son|ton)\s+age|halb\s+so\s+alt\s+wie"
        r"|meta\s+dei\s+(?:miei|suoi|tuoi)\s+anni|half\s+zo\s+oud\s+als|o\s+polowe\s+mlodsz\w*|вдвое\s+младше"
        r"|в\s+два\s+раза\s+младше|вдвічі\s+молодш\w*|yari\s+yasimda|yari\s+yasinda|setengah\s+umur\w*"
        r"|separuh\s+umur\w*|kalahati\s+ng\s+edad|nua\s+tuoi|อายุครึ่งหนึ่ง|半分の年齢|一半的年龄|一半的年齡|나이의\s*절반"
        r"|نصف\s+عمر\w*|आधी\s+उम्र|aadhi\s+umar|আধা\s+বয়স|অর্ধেক\s+বয়স"
    )
)
# The speaker's own age: "I am 26", "I'm 30", "tengo 28", "j'ai 30 ans", "ich bin 30", "мне 30".
_SPEAKER_AGE = re.compile(
    r"(?<![^\W\d_])(?:i\s+am|i'm|im|i\s+turned|tengo|eu\s+tenho|j'ai|ich\s+bin|io\s+ho|ik\s+ben|mam|мне|мені|aku|ako\s+ay)"
    r"\s+(\d{2})(?!\d)"
)
