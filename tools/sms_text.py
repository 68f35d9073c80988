"""Reading customers' SMS replies: words and digits in any script we serve."""

import re
import unicodedata

# Persian and Arabic-Indic digits, as phones type them.
DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
# Turkish dotless and dotted i fold to a plain i, so EVET/HAYIR/hayır match.
TURKISH_I = str.maketrans({"ı": "i", "İ": "i", "I": "i"})
# Persian and Arabic letter variants that keyboards mix up.
ARABIC_VARIANTS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه"})
TOKEN = re.compile(r"[\w]+", re.UNICODE)


def normalize_word(word):
    """The comparable form of one word: lower case, no accents, no tatweel."""
    word = word.translate(DIGITS).translate(TURKISH_I).translate(ARABIC_VARIANTS)
    word = word.replace("\u0640", "").casefold()
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def tokenize(text):
    """The normalized words of ``text``, in order."""
    return [normalize_word(token) for token in TOKEN.findall(text or "")]
