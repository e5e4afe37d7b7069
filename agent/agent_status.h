/* agent_status: `parley-agent status --spool DIR`, the backlog a spool holds, read from its
   files without a running agent (spool_status.h: read-only, no lock taken). Prints one
   logfmt-style line on stdout:

     events=120 bytes=48230 oldest_id=881 oldest=2025-03-01T10:00:00Z
       oldest_source="/var/log/crm.jsonl" oldest_line=77 floor=880 segments=1 damaged_bytes=0

   (oldest is the oldest pending event's reported_at, "-" when nothing is pending). Exit
   status 0, 1 when the spool cannot be read, 2 on bad usage. */
#ifndef PARLEY_AGENT_STATUS_H
#define PARLEY_AGENT_STATUS_H

/* The subcommand's main (argv[0] is "status"). */
int agent_status_run (int argc, char **argv);

#endif
