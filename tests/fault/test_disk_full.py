# ctest-timeout: 300
"""Fault 7: the disk under the agent's spool fills up. The spool directory is on a small
tmpfs (8 MiB) while the feeds hold about 30 MB of events and no collector is there yet, so
the spool, not --spool-max (1 GiB), runs out of room: the agent must say so (an error naming
ENOSPC), pause its input, keep what it has, and once a collector is started and its
acknowledgements free whole segments, carry on to the end with exact views.

Rejected lines the agent could not append to the full disk's rejected.jsonl are logged at
once and written to the file once it takes them again: at the end rejected.jsonl alone must
name every invalid line and conflict, each once, with no torn line.

Needs root to mount the tmpfs; elsewhere it is skipped (exit 77) with a message."""

import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import fail, harness, log  # noqa: E402

DISK = "8m"


def mount_tmpfs(path):
    os.makedirs(path, exist_ok=True)
    if os.geteuid() != 0:
        return "not root"
    try:
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % DISK, "parley-disk-full", path],
                           capture_output=True, text=True)
    except OSError as e:  # no mount(8) here
        return str(e)
    return None if p.returncode == 0 else (p.stderr.strip() or "mount exited %d" % p.returncode)


def test_spool_disk_fills_up(h):
    mnt = h.path("disk")
    why = mount_tmpfs(mnt)
    if why:
        raise harness.Skip("cannot mount a tmpfs for the spool (%s)" % why)
    try:
        seed = faultlib.pick_seed(h)
        rng = random.Random(seed)
        stream = faultlib.Stream(h, "df", seed, conversations=19000, min_events=30000)
        db = h.create_database("fault_disk_full")
        port = harness.free_port()
        spool = os.path.join(mnt, "spool")
        agent = h.start_agent("tcp://127.0.0.1:%d" % port, spool, stream.paths)
        harness.wait_for(lambda: faultlib.log_lines(agent, "could not append to the spool, input paused")
                         or not agent.alive(), 60, "the agent to find the disk full")
        if not agent.alive():
            fail("the agent exited on a full disk (status %s):\n%s" % (agent.rc, agent.tail()))
        said = faultlib.log_lines(agent, "could not append to the spool, input paused")[0]
        if "No space left on device" not in said:
            fail("the disk-full error does not name the cause: %s" % said)
        st = os.statvfs(mnt)
        log("disk full: %d KiB free of %s; the agent said: %s" % (st.f_bavail * st.f_frsize // 1024, DISK, said))
        _, pending, _, _, _ = faultlib.read_spool(spool)
        time.sleep(rng.uniform(1.0, 3.0))
        _, still, _, _, _ = faultlib.read_spool(spool)
        if len(still) != len(pending):
            fail("the spool changed from %d to %d records while the disk was full and no collector there"
                 % (len(pending), len(still)))
        if not agent.alive():
            fail("the agent exited while the disk was full (status %s):\n%s" % (agent.rc, agent.tail()))
        log("paused with %d records spooled; starting the collector" % len(pending))
        col = h.start_collector(db, port=port)
        run = h.finish_agent(agent, timeout=240)
        if not faultlib.log_lines(agent, "spool has room again, input resumed"):
            fail("the agent never said its input resumed")
        failed = len(faultlib.log_lines(agent, "could not append to rejected.jsonl"))
        later = faultlib.log_lines(agent, "rejected lines written to rejected.jsonl after all")
        log("%d rejected line(s) could not be written while the disk was full; written later: %s"
            % (failed, ", ".join(l.split("lines=")[1] for l in later) or "none"))
        if failed and not later:
            fail("rejected lines waited for a full disk and were never written")
        faultlib.finish(h, db, stream, run, spool, [col])
        entries = harness.read_rejected(os.path.join(spool, "rejected.jsonl"))
        keys = [(source, line) for source, line, _ in entries]
        if len(keys) != len(set(keys)):
            fail("rejected.jsonl names %d line(s) more than once" % (len(keys) - len(set(keys))))
    finally:
        h.kill_all()
        subprocess.run(["umount", "-l", mnt], capture_output=True)


if __name__ == "__main__":
    harness.main(globals())
