#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_out_of_memory (size_t size)
{
    fprintf (stderr, "parley: out of memory allocating %zu bytes\n", size);
    abort ();
}

void *
xmalloc (size_t size)
{
    void *p = malloc (size ? size : 1);
    if (!p)
        s_out_of_memory (size);
    return p;
}

void *
xcalloc (size_t count, size_t size)
{
    void *p = calloc (count ? count : 1, size ? size : 1);
    if (!p)
        s_out_of_memory (count * size);
    return p;
}

void *
xrealloc (void *ptr, size_t size)
{
    void *p = realloc (ptr, size ? size : 1);
    if (!p)
        s_out_of_memory (size);
    return p;
}

char *
xstrdup (const char *text)
{
    return xstrndup (text, strlen (text));
}

char *
xstrndup (const char *text, size_t len)
{
    char *p = xmalloc (len + 1);
    memcpy (p, text, len);
    p[len] = '\0';
    return p;
}

char *
xasprintf (const char *format, ...)
{
    va_list ap;
    va_start (ap, format);
    char *p = NULL;
    int n = vasprintf (&p, format, ap);
    va_end (ap);
    if (n < 0)
        s_out_of_memory (strlen (format));
    return p;
}
