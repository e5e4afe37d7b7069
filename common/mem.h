/* Allocation that never returns NULL: out of memory is not handled case by case; it
   aborts with the size asked for (as redis's zmalloc does). */
#ifndef PARLEY_MEM_H
#define PARLEY_MEM_H
#include <stddef.h>
#include "parley.h"

void *xmalloc (size_t size);
void *xcalloc (size_t count, size_t size);
void *xrealloc (void *ptr, size_t size);
char *xstrdup (const char *text);
char *xstrndup (const char *text, size_t len);
/* Formats into a new string; caller owns it. */
char *xasprintf (const char *format, ...) PARLEY_PRINTF (1, 2);

#endif
