"""deploy/config/*.conf.example (issue 11): each parses with --check-config as shipped and
with every commented key uncommented (so the values it shows are accepted), and names every
key its program takes from a file (every long option of --help that a config file may give),
so a new option cannot be left out of the example."""
# ctest-timeout: 120

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import fail  # noqa: E402


def check_config(program, path):
    return subprocess.run([program, "--config", path, "--check-config"], capture_output=True,
                          text=True, timeout=30, stdin=subprocess.DEVNULL)


def file_keys(h, program, name):
    """The long options of --help that a config file accepts as keys."""
    help_text = subprocess.run([program, "--help"], capture_output=True, text=True,
                               timeout=30).stdout
    keys = []
    found = set(re.findall(r"^\s+(?:-\w, )?--([a-z][a-z-]*)", help_text, re.M))
    for opt in sorted(found - {"help", "version"}):  # built in, never keys
        probe = h.path("probe-%s-%s.conf" % (name, opt))
        with open(probe, "w") as f:
            f.write("%s = x\n" % opt)
        err = check_config(program, probe).stderr
        if "unknown key" in err:
            fail("--%s is in --help but not a key:\n%s" % (opt, err))
        if "can only be given on the command line" not in err:
            keys.append(opt)
    return keys


def check_example(h, program, name):
    example = os.path.join(harness.SOURCE_DIR, "deploy", "config", "%s.conf.example" % name)
    out = check_config(program, example)
    if out.returncode != 0 or "configuration ok" not in out.stdout:
        fail("%s as shipped: exit %d\n%s%s" % (example, out.returncode, out.stdout, out.stderr))
    with open(example) as f:
        text = f.read()
    # Every commented "#key = value" line uncommented: the values shown are accepted.
    opened = re.sub(r"^#([a-z][a-z-]* = )", r"\1", text, flags=re.M)
    path = h.path("%s-all.conf" % name)
    with open(path, "w") as f:
        f.write(opened)
    out = check_config(program, path)
    if out.returncode != 0:
        fail("%s with every key uncommented: exit %d\n%s" % (example, out.returncode, out.stderr))
    named = set(re.findall(r"^#?([a-z][a-z-]*) = ", text, re.M))
    keys = file_keys(h, program, name)
    missing = [k for k in keys if k not in named]
    if missing:
        fail("%s does not show the keys %s" % (example, ", ".join(missing)))
    print("%s: %d keys, all shown" % (example, len(keys)))


def test_agent_example_parses_and_shows_every_key(h):
    check_example(h, h.agent, "agent")


def test_collector_example_parses_and_shows_every_key(h):
    check_example(h, h.collector, "collector")


if __name__ == "__main__":
    harness.main(globals())
