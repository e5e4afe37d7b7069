#include "subcommand.h"

#include <string.h>

const subcommand_t *
subcommand_find (const subcommand_t *table, int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-')
        return NULL;
    for (const subcommand_t *entry = table; entry->name; entry++)
        if (strcmp (entry->name, argv[1]) == 0)
            return entry;
    return NULL;
}

void
subcommand_print_help (const subcommand_t *table, FILE *out)
{
    if (!table->name)
        return;
    fprintf (out, "Commands:\n");
    for (const subcommand_t *entry = table; entry->name; entry++)
        fprintf (out, "  %-20s %s\n", entry->name, entry->summary);
    fprintf (out, "\n");
}

bool
subcommand_help_asked (int argc, char *const *argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--") == 0)
            return false;
        if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
            return true;
    }
    return false;
}
