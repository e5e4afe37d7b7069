#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

log_level_t log_threshold = LOG_LEVEL_INFO;
static const char *s_program = "parley";
const char *const log_level_names[] = { "debug", "info", "warn", "error", NULL };

int
log_set_level (const char *name)
{
    for (int i = 0; log_level_names[i]; i++)
        if (strcmp (name, log_level_names[i]) == 0) {
            log_threshold = (log_level_t)i;
            return 0;
        }
    return -1;
}

void
log_set_program (const char *name)
{
    s_program = name;
}

void
log_write (log_level_t level, const char *comp, const char *msg, const char *kv_format, ...)
{
    struct timeval tv;
    gettimeofday (&tv, NULL);
    struct tm tm;
    gmtime_r (&tv.tv_sec, &tm);
    char line[4096];
    int n = snprintf (line,
                      sizeof line,
                      "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s prog=%s comp=%s msg=\"%s\"",
                      tm.tm_year + 1900,
                      tm.tm_mon + 1,
                      tm.tm_mday,
                      tm.tm_hour,
                      tm.tm_min,
                      tm.tm_sec,
                      (int)(tv.tv_usec / 1000),
                      log_level_names[level],
                      s_program,
                      comp,
                      msg);
    if (n > 0 && (size_t)n < sizeof line - 2 && kv_format && *kv_format) {
        line[n++] = ' ';
        va_list ap;
        va_start (ap, kv_format);
        int m = vsnprintf (line + n, sizeof line - (size_t)n - 1, kv_format, ap);
        va_end (ap);
        if (m > 0)
            n += m;
        if ((size_t)n > sizeof line - 2)
            n = (int)sizeof line - 2;
    }
    if (n < 0)
        return;
    line[n++] = '\n';
    /* One write per line so lines from several threads never interleave. */
    fwrite (line, 1, (size_t)n, stderr);
}
