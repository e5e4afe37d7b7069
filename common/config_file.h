/* config_file: a daemon's INI config file read into its options table (issue 11). Every
   key is a long option name of the table (common/options.h), its value the option's
   argument, checked exactly as on the command line; a repeatable option is given once per
   line ("input = /srv/feeds/a b.jsonl" twice gives two inputs, spaces and all). The file
   has no sections; '#' or ';' starts a comment line, and " ;" an inline comment (inih's
   rules: https://github.com/benhoyt/inih); the spaces around a value are dropped, those
   inside it kept, and quotes are part of the value. A flag takes true/false, yes/no,
   on/off or 1/0. The command line wins over the file (options_parse reads the file
   between the defaults and argv).

   Refused, with one line naming the file, the line and the key: an unknown key, a key the
   command line alone may give (--once, --config ...), a bad value, a [section], a line
   that is neither "key = value", a comment nor blank, a line longer than inih reads whole,
   a file that is not UTF-8, and a file that cannot be read. */
#ifndef PARLEY_CONFIG_FILE_H
#define PARLEY_CONFIG_FILE_H
#include <stddef.h>
#include <stdio.h>

#include "options.h"
#include "parley.h"

/* Sets the options of spec in opts from the INI text of source (a name for messages);
   the values are copied into opts (options_keep: spec->owned_at must be set). Returns 0,
   or -1 with "SOURCE line N: key \"K\": WHY" in why. Values set before the error stay
   set. */
int config_file_parse (const options_spec_t *spec,
                       void *opts,
                       const char *text,
                       const char *source,
                       char *why,
                       size_t whylen) PARLEY_MUST_CHECK;

/* config_file_parse on the file at path (an options_config_load_t: the spec's config_load).
   Returns 0, or -1 with "PROGRAM: SOURCE line N: ..." printed on err. */
int config_file_load (const options_spec_t *spec, void *opts, const char *path, FILE *err)
  PARLEY_MUST_CHECK;

#endif
