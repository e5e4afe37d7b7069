"""What the Python benchmarks share: a private PostgreSQL cluster of their own, with the
durability asked for (benchmarks never run with fsync off unless told to), started before
the test harness is imported so that the harness finds it in the environment."""
import atexit
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PG_PRIVATE = os.path.join(HERE, "..", "deploy", "scripts", "pg-private")


def start_private_pg(fsync="on"):
    """Starts a throwaway cluster (destroyed at exit) and exports PGHOST, PGPORT and PGUSER
    for it. Exits the benchmark with the reason when it cannot start."""
    pg_dir = tempfile.mkdtemp(prefix="parley-bench-pg-")
    os.chmod(pg_dir, 0o755)
    atexit.register(lambda: (subprocess.run([PG_PRIVATE, "destroy", pg_dir], capture_output=True),
                             shutil.rmtree(pg_dir, ignore_errors=True)))
    out = subprocess.run([PG_PRIVATE, "start", pg_dir, "--fsync", fsync],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("could not start PostgreSQL: " + out.stderr)
    env = subprocess.run([PG_PRIVATE, "env", pg_dir], capture_output=True, text=True).stdout
    for k, v in re.findall(r"^export (\w+)=(.*)$", env, re.M):
        os.environ[k] = shlex.split(v)[0]
    os.environ.pop("PARLEY_PG_DIR", None)
    return pg_dir
