/* A program's subcommands: `parley-collector migrate …` or `parley-agent keygen …` runs
   that command's own main instead of the daemon. The table is the program's (its main.c),
   ended by an entry whose name is NULL; the daemon's options are never parsed for a
   subcommand, which parses its own argv (argv[0] is the subcommand's name). */
#ifndef PARLEY_SUBCOMMAND_H
#define PARLEY_SUBCOMMAND_H
#include <stdbool.h>
#include <stdio.h>

typedef struct {
    const char *name; /* NULL ends the table */
    int (*run) (int argc, char **argv);
    const char *summary; /* one line for --help */
} subcommand_t;

/* The entry named by argv[1], or NULL when argv[1] is absent, starts with '-' or names no
   entry (then the daemon's own options parse argv as before). */
const subcommand_t *subcommand_find (const subcommand_t *table, int argc, char **argv);

/* Prints "Commands:" and one line per entry, for --help (nothing for an empty table). */
void subcommand_print_help (const subcommand_t *table, FILE *out);

/* Whether argv (as given, before getopt reorders it) asks for --help or -h before any
   "--": after the daemon's own --help, its main then lists the commands too. */
bool subcommand_help_asked (int argc, char *const *argv);

#endif
