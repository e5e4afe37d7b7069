#include "fold.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "mem.h"
#include "utf8.h"

/* Latin letters with their base letters, for U+00A0..U+024F (Latin-1 Supplement, Latin
   Extended-A and -B) and U+1E00..U+1EFF (Latin Extended Additional: ẁ ẃ ẅ ỳ, Irish ḃ ḋ ḟ
   ṁ ṡ ṫ, Vietnamese …). Each entry is what the character folds to:
     "x" / "xy"  a letter, written as these ASCII letters (é→e, ß→ss, þ→th, Ǆ→dz)
     " "         a separator (the Latin-1 punctuation and symbols, × and ÷)
     ""          a letter with no ASCII base (ƿ, ȝ …): kept as it is
   Derived from each character's Unicode compatibility decomposition with the accents
   dropped, and written by hand where there is none: æ→ae, ð→d, ø→o, þ→th, ß→ss, đ→d, ħ→h,
   ı→i, ł→l, ŋ→ng, œ→oe, ŧ→t, ſ→s, ə→e, the stroked and hooked letters of Latin
   Extended-B, ẞ→ss and Middle Welsh ỻ→ll. */
static const char s_latin[0x250 - 0xA0][3] = {
    /* 00A0 · · · · · · · · */ " ",
    " ",
    " ",
    " ",
    " ",
    " ",
    " ",
    " ",
    /* 00A8 · · ª · · · · · */ " ",
    " ",
    "a",
    " ",
    " ",
    " ",
    " ",
    " ",
    /* 00B0 · · ² ³ · µ · · */ " ",
    " ",
    "2",
    "3",
    " ",
    "",
    " ",
    " ",
    /* 00B8 · ¹ º · ¼ ½ ¾ · */ " ",
    "1",
    "o",
    " ",
    " ",
    " ",
    " ",
    " ",
    /* 00C0 À Á Â Ã Ä Å Æ Ç */ "a",
    "a",
    "a",
    "a",
    "a",
    "a",
    "ae",
    "c",
    /* 00C8 È É Ê Ë Ì Í Î Ï */ "e",
    "e",
    "e",
    "e",
    "i",
    "i",
    "i",
    "i",
    /* 00D0 Ð Ñ Ò Ó Ô Õ Ö · */ "d",
    "n",
    "o",
    "o",
    "o",
    "o",
    "o",
    " ",
    /* 00D8 Ø Ù Ú Û Ü Ý Þ ß */ "o",
    "u",
    "u",
    "u",
    "u",
    "y",
    "th",
    "ss",
    /* 00E0 à á â ã ä å æ ç */ "a",
    "a",
    "a",
    "a",
    "a",
    "a",
    "ae",
    "c",
    /* 00E8 è é ê ë ì í î ï */ "e",
    "e",
    "e",
    "e",
    "i",
    "i",
    "i",
    "i",
    /* 00F0 ð ñ ò ó ô õ ö · */ "d",
    "n",
    "o",
    "o",
    "o",
    "o",
    "o",
    " ",
    /* 00F8 ø ù ú û ü ý þ ÿ */ "o",
    "u",
    "u",
    "u",
    "u",
    "y",
    "th",
    "y",
    /* 0100 Ā ā Ă ă Ą ą Ć ć */ "a",
    "a",
    "a",
    "a",
    "a",
    "a",
    "c",
    "c",
    /* 0108 Ĉ ĉ Ċ ċ Č č Ď ď */ "c",
    "c",
    "c",
    "c",
    "c",
    "c",
    "d",
    "d",
    /* 0110 Đ đ Ē ē Ĕ ĕ Ė ė */ "d",
    "d",
    "e",
    "e",
    "e",
    "e",
    "e",
    "e",
    /* 0118 Ę ę Ě ě Ĝ ĝ Ğ ğ */ "e",
    "e",
    "e",
    "e",
    "g",
    "g",
    "g",
    "g",
    /* 0120 Ġ ġ Ģ ģ Ĥ ĥ Ħ ħ */ "g",
    "g",
    "g",
    "g",
    "h",
    "h",
    "h",
    "h",
    /* 0128 Ĩ ĩ Ī ī Ĭ ĭ Į į */ "i",
    "i",
    "i",
    "i",
    "i",
    "i",
    "i",
    "i",
    /* 0130 İ ı Ĳ ĳ Ĵ ĵ Ķ ķ */ "i",
    "i",
    "ij",
    "ij",
    "j",
    "j",
    "k",
    "k",
    /* 0138 ĸ Ĺ ĺ Ļ ļ Ľ ľ Ŀ */ "k",
    "l",
    "l",
    "l",
    "l",
    "l",
    "l",
    "l",
    /* 0140 ŀ Ł ł Ń ń Ņ ņ Ň */ "l",
    "l",
    "l",
    "n",
    "n",
    "n",
    "n",
    "n",
    /* 0148 ň ŉ Ŋ ŋ Ō ō Ŏ ŏ */ "n",
    "n",
    "ng",
    "ng",
    "o",
    "o",
    "o",
    "o",
    /* 0150 Ő ő Œ œ Ŕ ŕ Ŗ ŗ */ "o",
    "o",
    "oe",
    "oe",
    "r",
    "r",
    "r",
    "r",
    /* 0158 Ř ř Ś ś Ŝ ŝ Ş ş */ "r",
    "r",
    "s",
    "s",
    "s",
    "s",
    "s",
    "s",
    /* 0160 Š š Ţ ţ Ť ť Ŧ ŧ */ "s",
    "s",
    "t",
    "t",
    "t",
    "t",
    "t",
    "t",
    /* 0168 Ũ ũ Ū ū Ŭ ŭ Ů ů */ "u",
    "u",
    "u",
    "u",
    "u",
    "u",
    "u",
    "u",
    /* 0170 Ű ű Ų ų Ŵ ŵ Ŷ ŷ */ "u",
    "u",
    "u",
    "u",
    "w",
    "w",
    "y",
    "y",
    /* 0178 Ÿ Ź ź Ż ż Ž ž ſ */ "y",
    "z",
    "z",
    "z",
    "z",
    "z",
    "z",
    "s",
    /* 0180 ƀ Ɓ Ƃ ƃ Ƅ ƅ Ɔ Ƈ */ "b",
    "b",
    "b",
    "b",
    "",
    "",
    "",
    "c",
    /* 0188 ƈ Ɖ Ɗ Ƌ ƌ ƍ Ǝ Ə */ "c",
    "d",
    "d",
    "d",
    "d",
    "",
    "e",
    "e",
    /* 0190 Ɛ Ƒ ƒ Ɠ Ɣ ƕ Ɩ Ɨ */ "e",
    "f",
    "f",
    "g",
    "",
    "",
    "",
    "i",
    /* 0198 Ƙ ƙ ƚ ƛ Ɯ Ɲ ƞ Ɵ */ "k",
    "k",
    "l",
    "",
    "",
    "n",
    "n",
    "o",
    /* 01A0 Ơ ơ Ƣ ƣ Ƥ ƥ Ʀ Ƨ */ "o",
    "o",
    "",
    "",
    "p",
    "p",
    "",
    "",
    /* 01A8 ƨ Ʃ ƪ ƫ Ƭ ƭ Ʈ Ư */ "",
    "",
    "",
    "t",
    "t",
    "t",
    "t",
    "u",
    /* 01B0 ư Ʊ Ʋ Ƴ ƴ Ƶ ƶ Ʒ */ "u",
    "",
    "v",
    "y",
    "y",
    "z",
    "z",
    "",
    /* 01B8 Ƹ ƹ ƺ ƻ Ƽ ƽ ƾ ƿ */ "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    /* 01C0 ǀ ǁ ǂ ǃ Ǆ ǅ ǆ Ǉ */ "",
    "",
    "",
    "",
    "dz",
    "dz",
    "dz",
    "lj",
    /* 01C8 ǈ ǉ Ǌ ǋ ǌ Ǎ ǎ Ǐ */ "lj",
    "lj",
    "nj",
    "nj",
    "nj",
    "a",
    "a",
    "i",
    /* 01D0 ǐ Ǒ ǒ Ǔ ǔ Ǖ ǖ Ǘ */ "i",
    "o",
    "o",
    "u",
    "u",
    "u",
    "u",
    "u",
    /* 01D8 ǘ Ǚ ǚ Ǜ ǜ ǝ Ǟ ǟ */ "u",
    "u",
    "u",
    "u",
    "u",
    "e",
    "a",
    "a",
    /* 01E0 Ǡ ǡ Ǣ ǣ Ǥ ǥ Ǧ ǧ */ "a",
    "a",
    "ae",
    "ae",
    "g",
    "g",
    "g",
    "g",
    /* 01E8 Ǩ ǩ Ǫ ǫ Ǭ ǭ Ǯ ǯ */ "k",
    "k",
    "o",
    "o",
    "o",
    "o",
    "",
    "",
    /* 01F0 ǰ Ǳ ǲ ǳ Ǵ ǵ Ƕ Ƿ */ "j",
    "dz",
    "dz",
    "dz",
    "g",
    "g",
    "",
    "",
    /* 01F8 Ǹ ǹ Ǻ ǻ Ǽ ǽ Ǿ ǿ */ "n",
    "n",
    "a",
    "a",
    "ae",
    "ae",
    "o",
    "o",
    /* 0200 Ȁ ȁ Ȃ ȃ Ȅ ȅ Ȇ ȇ */ "a",
    "a",
    "a",
    "a",
    "e",
    "e",
    "e",
    "e",
    /* 0208 Ȉ ȉ Ȋ ȋ Ȍ ȍ Ȏ ȏ */ "i",
    "i",
    "i",
    "i",
    "o",
    "o",
    "o",
    "o",
    /* 0210 Ȑ ȑ Ȓ ȓ Ȕ ȕ Ȗ ȗ */ "r",
    "r",
    "r",
    "r",
    "u",
    "u",
    "u",
    "u",
    /* 0218 Ș ș Ț ț Ȝ ȝ Ȟ ȟ */ "s",
    "s",
    "t",
    "t",
    "",
    "",
    "h",
    "h",
    /* 0220 Ƞ ȡ Ȣ ȣ Ȥ ȥ Ȧ ȧ */ "",
    "",
    "ou",
    "ou",
    "z",
    "z",
    "a",
    "a",
    /* 0228 Ȩ ȩ Ȫ ȫ Ȭ ȭ Ȯ ȯ */ "e",
    "e",
    "o",
    "o",
    "o",
    "o",
    "o",
    "o",
    /* 0230 Ȱ ȱ Ȳ ȳ ȴ ȵ ȶ ȷ */ "o",
    "o",
    "y",
    "y",
    "l",
    "n",
    "t",
    "j",
    /* 0238 ȸ ȹ Ⱥ Ȼ ȼ Ƚ Ⱦ ȿ */ "",
    "",
    "a",
    "c",
    "c",
    "l",
    "t",
    "",
    /* 0240 ɀ Ɂ ɂ Ƀ Ʉ Ʌ Ɇ ɇ */ "",
    "",
    "",
    "b",
    "u",
    "",
    "e",
    "e",
    /* 0248 Ɉ ɉ Ɋ ɋ Ɍ ɍ Ɏ ɏ */ "j",
    "j",
    "",
    "",
    "r",
    "r",
    "y",
    "y",
};
static const char s_latin_additional[0x1F00 - 0x1E00][3] = {
    /* 1E00 Ḁ ḁ Ḃ ḃ Ḅ ḅ Ḇ ḇ */ "a", "a", "b",  "b",  "b", "b", "b",  "b",
    /* 1E08 Ḉ ḉ Ḋ ḋ Ḍ ḍ Ḏ ḏ */ "c", "c", "d",  "d",  "d", "d", "d",  "d",
    /* 1E10 Ḑ ḑ Ḓ ḓ Ḕ ḕ Ḗ ḗ */ "d", "d", "d",  "d",  "e", "e", "e",  "e",
    /* 1E18 Ḙ ḙ Ḛ ḛ Ḝ ḝ Ḟ ḟ */ "e", "e", "e",  "e",  "e", "e", "f",  "f",
    /* 1E20 Ḡ ḡ Ḣ ḣ Ḥ ḥ Ḧ ḧ */ "g", "g", "h",  "h",  "h", "h", "h",  "h",
    /* 1E28 Ḩ ḩ Ḫ ḫ Ḭ ḭ Ḯ ḯ */ "h", "h", "h",  "h",  "i", "i", "i",  "i",
    /* 1E30 Ḱ ḱ Ḳ ḳ Ḵ ḵ Ḷ ḷ */ "k", "k", "k",  "k",  "k", "k", "l",  "l",
    /* 1E38 Ḹ ḹ Ḻ ḻ Ḽ ḽ Ḿ ḿ */ "l", "l", "l",  "l",  "l", "l", "m",  "m",
    /* 1E40 Ṁ ṁ Ṃ ṃ Ṅ ṅ Ṇ ṇ */ "m", "m", "m",  "m",  "n", "n", "n",  "n",
    /* 1E48 Ṉ ṉ Ṋ ṋ Ṍ ṍ Ṏ ṏ */ "n", "n", "n",  "n",  "o", "o", "o",  "o",
    /* 1E50 Ṑ ṑ Ṓ ṓ Ṕ ṕ Ṗ ṗ */ "o", "o", "o",  "o",  "p", "p", "p",  "p",
    /* 1E58 Ṙ ṙ Ṛ ṛ Ṝ ṝ Ṟ ṟ */ "r", "r", "r",  "r",  "r", "r", "r",  "r",
    /* 1E60 Ṡ ṡ Ṣ ṣ Ṥ ṥ Ṧ ṧ */ "s", "s", "s",  "s",  "s", "s", "s",  "s",
    /* 1E68 Ṩ ṩ Ṫ ṫ Ṭ ṭ Ṯ ṯ */ "s", "s", "t",  "t",  "t", "t", "t",  "t",
    /* 1E70 Ṱ ṱ Ṳ ṳ Ṵ ṵ Ṷ ṷ */ "t", "t", "u",  "u",  "u", "u", "u",  "u",
    /* 1E78 Ṹ ṹ Ṻ ṻ Ṽ ṽ Ṿ ṿ */ "u", "u", "u",  "u",  "v", "v", "v",  "v",
    /* 1E80 Ẁ ẁ Ẃ ẃ Ẅ ẅ Ẇ ẇ */ "w", "w", "w",  "w",  "w", "w", "w",  "w",
    /* 1E88 Ẉ ẉ Ẋ ẋ Ẍ ẍ Ẏ ẏ */ "w", "w", "x",  "x",  "x", "x", "y",  "y",
    /* 1E90 Ẑ ẑ Ẓ ẓ Ẕ ẕ ẖ ẗ */ "z", "z", "z",  "z",  "z", "z", "h",  "t",
    /* 1E98 ẘ ẙ ẚ ẛ ẜ ẝ ẞ ẟ */ "w", "y", "a",  "s",  "s", "s", "ss", "",
    /* 1EA0 Ạ ạ Ả ả Ấ ấ Ầ ầ */ "a", "a", "a",  "a",  "a", "a", "a",  "a",
    /* 1EA8 Ẩ ẩ Ẫ ẫ Ậ ậ Ắ ắ */ "a", "a", "a",  "a",  "a", "a", "a",  "a",
    /* 1EB0 Ằ ằ Ẳ ẳ Ẵ ẵ Ặ ặ */ "a", "a", "a",  "a",  "a", "a", "a",  "a",
    /* 1EB8 Ẹ ẹ Ẻ ẻ Ẽ ẽ Ế ế */ "e", "e", "e",  "e",  "e", "e", "e",  "e",
    /* 1EC0 Ề ề Ể ể Ễ ễ Ệ ệ */ "e", "e", "e",  "e",  "e", "e", "e",  "e",
    /* 1EC8 Ỉ ỉ Ị ị Ọ ọ Ỏ ỏ */ "i", "i", "i",  "i",  "o", "o", "o",  "o",
    /* 1ED0 Ố ố Ồ ồ Ổ ổ Ỗ ỗ */ "o", "o", "o",  "o",  "o", "o", "o",  "o",
    /* 1ED8 Ộ ộ Ớ ớ Ờ ờ Ở ở */ "o", "o", "o",  "o",  "o", "o", "o",  "o",
    /* 1EE0 Ỡ ỡ Ợ ợ Ụ ụ Ủ ủ */ "o", "o", "o",  "o",  "u", "u", "u",  "u",
    /* 1EE8 Ứ ứ Ừ ừ Ử ử Ữ ữ */ "u", "u", "u",  "u",  "u", "u", "u",  "u",
    /* 1EF0 Ự ự Ỳ ỳ Ỵ ỵ Ỷ ỷ */ "u", "u", "y",  "y",  "y", "y", "y",  "y",
    /* 1EF8 Ỹ ỹ Ỻ ỻ Ỽ ỽ Ỿ ỿ */ "y", "y", "ll", "ll", "v", "v", "y",  "y",
};

/* What one code point does to the folded text. */
typedef enum {
    S_LETTERS,   /* append these letters to the current word */
    S_KEEP,      /* a letter outside the table: append its UTF-8 bytes as they are */
    S_SEPARATOR, /* ends the current word */
    S_AND,       /* '&': the word "and", with separators either side */
    S_IGNORE     /* combining marks and variation selectors: as if absent, so a decomposed
                    "e" + U+0301 folds like "é" */
} s_class_t;

typedef struct {
    uint32_t lo, hi;
    s_class_t cls;
} s_range_t;

/* Non-Latin code points that are not letters. Everything else outside ASCII and the tables
   above counts as a letter and is kept, so Greek, Cyrillic, CJK … names still compare.
   Sorted by lo, searched in order (the list is short and most text never gets here). */
static const s_range_t s_ranges[] = {
    { 0x0080, 0x009F, S_SEPARATOR }, /* C1 controls */
    { 0x02B0, 0x02FF, S_SEPARATOR }, /* spacing modifiers: ʼ ʻ ˈ, apostrophe-like */
    { 0x0300, 0x036F, S_IGNORE },    /* combining diacritical marks */
    { 0x037E, 0x037E, S_SEPARATOR }, /* Greek question mark */
    { 0x0387, 0x0387, S_SEPARATOR }, /* Greek ano teleia */
    { 0x1AB0, 0x1AFF, S_IGNORE },    /* combining marks extended */
    { 0x1DC0, 0x1DFF, S_IGNORE },    /* combining marks supplement */
    { 0x2000, 0x206F, S_SEPARATOR }, /* general punctuation: ’ ‘ “ ” – — … zero-width spaces */
    { 0x20A0, 0x20CF, S_SEPARATOR }, /* currency symbols */
    { 0x20D0, 0x20FF, S_IGNORE },    /* combining marks for symbols */
    { 0x2100, 0x2BFF, S_SEPARATOR }, /* letterlike, arrows, maths, boxes, shapes, dingbats */
    { 0x2E00, 0x2E7F, S_SEPARATOR }, /* supplemental punctuation */
    { 0x3000, 0x303F, S_SEPARATOR }, /* CJK symbols and punctuation */
    { 0xFE00, 0xFE0F, S_IGNORE },    /* variation selectors */
    { 0xFE10, 0xFE1F, S_SEPARATOR }, /* vertical forms */
    { 0xFE20, 0xFE2F, S_IGNORE },    /* combining half marks */
    { 0xFE30, 0xFE6F, S_SEPARATOR }, /* CJK compatibility and small forms */
    { 0xFEFF, 0xFEFF, S_SEPARATOR }, /* byte order mark */
    { 0xFF00, 0xFF0F, S_SEPARATOR }, /* fullwidth punctuation */
    { 0xFF1A, 0xFF20, S_SEPARATOR },
    { 0xFF3B, 0xFF40, S_SEPARATOR },
    { 0xFF5B, 0xFF65, S_SEPARATOR },
    { 0xFFF0, 0xFFFF, S_SEPARATOR },   /* specials, including U+FFFD for bad input */
    { 0x1F000, 0x1FAFF, S_SEPARATOR }, /* emoji, mahjong, cards, pictographs */
    { 0xE0000, 0xE007F, S_IGNORE },    /* tags */
};

/* Classifies cp; for S_LETTERS, *letters points at the ASCII letters to append. */
static s_class_t
s_classify (uint32_t cp, const char **letters)
{
    static const char ascii_lower[128][2] = {
#define L(c) [c] = { (char)((c) | 0x20), 0 }
#define D(c) [c] = { (char)(c), 0 }
        D ('0'), D ('1'), D ('2'), D ('3'), D ('4'), D ('5'), D ('6'), D ('7'), D ('8'),
        D ('9'), L ('A'), L ('B'), L ('C'), L ('D'), L ('E'), L ('F'), L ('G'), L ('H'),
        L ('I'), L ('J'), L ('K'), L ('L'), L ('M'), L ('N'), L ('O'), L ('P'), L ('Q'),
        L ('R'), L ('S'), L ('T'), L ('U'), L ('V'), L ('W'), L ('X'), L ('Y'), L ('Z'),
        L ('a'), L ('b'), L ('c'), L ('d'), L ('e'), L ('f'), L ('g'), L ('h'), L ('i'),
        L ('j'), L ('k'), L ('l'), L ('m'), L ('n'), L ('o'), L ('p'), L ('q'), L ('r'),
        L ('s'), L ('t'), L ('u'), L ('v'), L ('w'), L ('x'), L ('y'), L ('z'),
#undef L
#undef D
    };
    if (cp < 0x80) {
        if (cp == '&')
            return S_AND;
        *letters = ascii_lower[cp];
        return **letters ? S_LETTERS : S_SEPARATOR;
    }
    const char *entry = NULL;
    if (cp >= 0xA0 && cp < 0x250)
        entry = s_latin[cp - 0xA0];
    else if (cp >= 0x1E00 && cp < 0x1F00)
        entry = s_latin_additional[cp - 0x1E00];
    if (entry) {
        if (entry[0] == ' ')
            return S_SEPARATOR;
        *letters = entry;
        return entry[0] ? S_LETTERS : S_KEEP;
    }
    for (size_t i = 0; i < sizeof s_ranges / sizeof s_ranges[0] && cp >= s_ranges[i].lo; i++)
        if (cp <= s_ranges[i].hi)
            return s_ranges[i].cls;
    return S_KEEP;
}

/* The folded text being written: words joined by single spaces. */
typedef struct {
    char *out;
    size_t len;
    bool gap; /* a separator was seen since the last letter */
} s_folder_t;

static void
s_append (s_folder_t *f, const char *bytes, size_t n)
{
    if (f->gap && f->len > 0)
        f->out[f->len++] = ' ';
    f->gap = false;
    memcpy (f->out + f->len, bytes, n);
    f->len += n;
}

/* Folds text[0..len) into out, which must hold 5 * len + 1 bytes (the worst case is
   "&&&…", each '&' becoming "and" plus a space). Returns the folded length. */
static size_t
s_fold (const char *text, size_t len, char *out)
{
    s_folder_t f = { out, 0, false };
    size_t pos = 0;
    while (pos < len) {
        size_t start = pos;
        uint32_t cp = utf8_next (text, len, &pos);
        const char *letters = NULL;
        switch (s_classify (cp, &letters)) {
            case S_LETTERS:
                s_append (&f, letters, letters[1] ? 2 : 1);
                break;
            case S_KEEP:
                s_append (&f, text + start, pos - start);
                break;
            case S_AND:
                f.gap = true;
                s_append (&f, "and", 3);
                f.gap = true;
                break;
            case S_SEPARATOR:
                f.gap = true;
                break;
            case S_IGNORE:
                break;
        }
    }
    out[f.len] = '\0';
    return f.len;
}

char *
fold_name (const char *text)
{
    size_t len = strlen (text);
    char *out = xmalloc (5 * len + 1);
    s_fold (text, len, out);
    return out;
}

/* Titles and post-nominals that person keys leave out, wherever they stand. */
static bool
s_is_title (const char *word, size_t n)
{
    static const char *const titles[] = {
        "rt",   "hon",       "the",  "mp",  "msp", "ms",   "mla",  "cllr",  "councillor", "dr",
        "mr",   "mrs",       "miss", "mx",  "sir", "dame", "lord", "lady",  "baroness",   "baron",
        "prof", "professor", "obe",  "mbe", "cbe", "kc",   "qc",   "mayor",
    };
    for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++)
        if (strncmp (titles[i], word, n) == 0 && titles[i][n] == '\0')
            return true;
    return false;
}

char *
fold_person_key (const char *name)
{
    size_t len = strlen (name);
    char *out = xmalloc (5 * len + 1);
    size_t n = s_fold (name, len, out);
    /* Filter the words in place: the write position never passes the read position. */
    size_t w = 0;
    for (size_t r = 0; r < n;) {
        size_t end = r;
        while (end < n && out[end] != ' ')
            end++;
        if (!s_is_title (out + r, end - r)) {
            if (w > 0)
                out[w++] = ' ';
            memmove (out + w, out + r, end - r);
            w += end - r;
        }
        r = end + 1;
    }
    out[w] = '\0';
    return out;
}
