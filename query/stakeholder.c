/* Stances as words (see stakeholder.h). */
#include "stakeholder.h"

#include <stddef.h>
#include <strings.h>

#include "number.h"

const char *
stakeholder_stance_word (int stance)
{
    static const char *const words[] = {
        "opposed", "sceptical", "neutral", "supportive", "champion"
    };
    return stance >= -2 && stance <= 2 ? words[stance + 2] : NULL;
}

int
stakeholder_parse_stance (const char *text, int *stance, bool *unknown)
{
    *unknown = false;
    for (int s = -2; s <= 2; s++)
        if (strcasecmp (text, stakeholder_stance_word (s)) == 0) {
            *stance = s;
            return 0;
        }
    if (strcasecmp (text, "unknown") == 0) {
        *unknown = true;
        return 0;
    }
    return number_parse_int (text, -2, 2, stance);
}
