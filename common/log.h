/* One line per event, logfmt, on stderr:
     ts=2026-03-01T10:00:00.123Z level=warn comp=db msg="database unreachable, retrying" attempt=3
   msg stays constant so it can be grepped and counted; everything variable goes into the
   key=value pairs given by the printf-style tail. The level is checked before formatting. */
#ifndef PARLEY_LOG_H
#define PARLEY_LOG_H
#include "parley.h"

typedef enum { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR } log_level_t;

extern log_level_t log_threshold;

/* "debug", "info", "warn", "error", then NULL: the names of the levels, indexed by
   log_level_t (the choices of the --log-level option). */
extern const char *const log_level_names[];

/* Sets the level from "debug", "info", "warn" or "error"; returns -1 for anything else. */
int log_set_level (const char *name) PARLEY_MUST_CHECK;
/* Names the program in every line (prog=...). */
void log_set_program (const char *name);

void log_write (log_level_t level, const char *comp, const char *msg, const char *kv_format, ...)
  PARLEY_PRINTF (4, 5);

#define log_debug(comp, msg, ...)                                                                  \
    do {                                                                                           \
        if (log_threshold <= LOG_LEVEL_DEBUG)                                                      \
            log_write (LOG_LEVEL_DEBUG, comp, msg, __VA_ARGS__);                                   \
    } while (0)
#define log_info(comp, msg, ...)                                                                   \
    do {                                                                                           \
        if (log_threshold <= LOG_LEVEL_INFO)                                                       \
            log_write (LOG_LEVEL_INFO, comp, msg, __VA_ARGS__);                                    \
    } while (0)
#define log_warn(comp, msg, ...)                                                                   \
    do {                                                                                           \
        if (log_threshold <= LOG_LEVEL_WARN)                                                       \
            log_write (LOG_LEVEL_WARN, comp, msg, __VA_ARGS__);                                    \
    } while (0)
#define log_error(comp, msg, ...) log_write (LOG_LEVEL_ERROR, comp, msg, __VA_ARGS__)

#endif
