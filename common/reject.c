#include "reject.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mem.h"
#include "utf8.h"

/* Cuts text back before its first invalid byte: vsnprintf may stop in the middle of a
   multi-byte character, and a reason must stay valid UTF-8 to go into JSON. */
static void
s_trim_utf8 (char *text)
{
    size_t len = strlen (text);
    size_t ok = utf8_invalid_offset (text, len);
    text[ok] = '\0';
}

void
reject_set (reject_t *why, const char *field, const char *format, ...)
{
    snprintf (why->field, sizeof why->field, "%s", field);
    va_list ap;
    va_start (ap, format);
    int n = vsnprintf (why->reason, sizeof why->reason, format, ap);
    va_end (ap);
    if (n < 0)
        why->reason[0] = '\0';
    /* Always, not only when truncated: a reason can quote text cut short elsewhere
       (jansson's error text keeps 160 bytes). */
    s_trim_utf8 (why->reason);
}

/* A JSON string of text, with any byte that is not valid UTF-8 shown as '?': a file name
   can be any bytes, and the line saying where a problem is must still be written. */
static json_t *
s_string_lossy (const char *text)
{
    size_t len = strlen (text);
    if (utf8_is_valid (text, len))
        return json_string (text);
    char *copy = xstrdup (text);
    for (size_t at = 0; (at = utf8_invalid_offset (copy, len)) < len;)
        copy[at] = '?';
    json_t *s = json_string (copy);
    free (copy);
    return s;
}

char *
reject_to_json (const reject_t *why,
                const char *source,
                uint64_t line,
                const char *input,
                size_t input_len)
{
    json_t *obj = json_object ();
    json_object_set_new (obj, "source", source ? s_string_lossy (source) : json_null ());
    json_object_set_new (obj, "line", json_integer ((json_int_t)line));
    json_object_set_new (obj, "field", s_string_lossy (why->field));
    json_object_set_new (obj, "reason", s_string_lossy (why->reason));
    /* json_stringn refuses invalid UTF-8 (returns NULL): then the input is left out. */
    if (input && utf8_is_valid (input, input_len))
        json_object_set_new (obj, "input", json_stringn (input, input_len));
    char *text = json_dumps (obj, JSON_COMPACT);
    json_decref (obj);
    if (!text)
        abort ();
    return text;
}
