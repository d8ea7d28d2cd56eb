#!/usr/bin/env bash
# Replays the README's "Try it" section against a fresh server on a free port and a fresh
# database, the way a new user would type it, and compares each command's output with what the
# README shows: status lines and bodies, with the parts that differ on every machine (timestamps,
# tokens, ETags, request ids, cursors, webhook secrets, event ids, the port) set aside, and `...`
# standing for anything. The shell runs in a scratch directory that has the checkout's `Tests/`
# (for the fixtures the README names) and the binary's directory on PATH (for `relieflog ...`).
#
# Usage: scripts/readme-examples.sh [RELIEFLOG_BINARY]   (default: .build/debug/relieflog)
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-${RELIEFLOG_BINARY:-$PWD/.build/debug/relieflog}}"
[ -x "$binary" ] || { echo "readme-examples: no binary at $binary (swift build first)" >&2; exit 1; }
exec python3 - "$binary" README.md <<'PYTHON'
import os, re, signal, socket, subprocess, sys, tempfile, time

binary, readme = sys.argv[1], sys.argv[2]

def section(text):
    """The fenced `sh` blocks of the "Try it" section (up to the next level-2 heading)."""
    start = text.index("\n## Try it\n")
    end = text.find("\n## ", start + 1)
    body = text[start:end if end >= 0 else None]
    return re.findall(r"```sh\n(.*?)```", body, re.S)

HEREDOC = re.compile(r"(?<!<)<<(?!<)(-?)\s*(['\"]?)(\w+)\2")

def commands(block):
    """(command, expected output lines) pairs; a command may continue with trailing backslashes
    or a trailing `|`, `&&` or `||`, and a here-document (`cat > f.csv <<'CSV'`) takes the
    lines up to its delimiter with it."""
    result, lines, i = [], block.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("$ "):
            i += 1
            continue
        command = line[2:]
        while True:
            current = command.splitlines()[-1]
            heredoc = HEREDOC.search(current)
            if heredoc:
                # bash reads the document's lines itself, up to the delimiter (tabs stripped for <<-)
                while i + 1 < len(lines):
                    i += 1
                    command = command + "\n" + lines[i]
                    body = lines[i].lstrip("\t") if heredoc.group(1) else lines[i]
                    if body == heredoc.group(3):
                        break
                continue_line = False
            else:
                code = re.sub(r"\s+#.*$", "", current).rstrip()
                continue_line = current.endswith("\\") or code.endswith(("|", "&&"))
            if not continue_line or i + 1 >= len(lines):
                break
            i += 1
            command = command + "\n" + lines[i]  # bash joins a backslash-newline itself
        i += 1
        expected = []
        while i < len(lines) and not lines[i].startswith("$ "):
            if lines[i].strip():
                expected.append(lines[i])
            i += 1
        result.append((command, expected))
    return result

VOLATILE = [
    (re.compile(r'"(createdAt|updatedAt|at|transactionTime|nextAttemptAt)":"[^"]*"'), r'"\1":"<time>"'),
    (re.compile(r"rlg_[0-9a-f]{16}(_[A-Za-z0-9_-]{43})?"), "<token>"),
    (re.compile(r'"[0-9a-f]{16}"'), '"<etag>"'),
    (re.compile(r'"requestId":"[^"]*"'), '"requestId":"<id>"'),
    (re.compile(r'"nextCursor":"[^"]*"'), '"nextCursor":"<cursor>"'),
    (re.compile(r"whsec_[A-Za-z0-9+/]+=*"), "whsec_<secret>"),  # a webhook's signing secret
    (re.compile(r"evt_[A-Za-z0-9_-]{22}"), "evt_<id>"),  # an event's random public id
    (re.compile(r"^Date: .*"), "Date: <date>"),
    # an export's file name carries today's date; a CSV row ends with its createdAt,updatedAt
    (re.compile(r'(filename="[a-z]+-)\d{4}-\d\d-\d\d(\.[a-z]+")'), r"\1<date>\2"),
    (re.compile(r",\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"), ",<time>,<time>"),
]

PORT = None  # the replay's server port; the README shows 8080

def normal(line):
    if PORT is not None:
        line = re.sub(rf"\b(localhost|127\.0\.0\.1):{PORT}\b", r"\1:8080", line)
    for pattern, replacement in VOLATILE:
        line = pattern.sub(replacement, line)
    return line.rstrip()

def matches(expected, actual):
    """`...` in an expected line stands for anything; the rest must be equal."""
    parts = [re.escape(part) for part in normal(expected).split("...")]
    return re.fullmatch(".*".join(parts), normal(actual)) is not None

def compare(expected, actual):
    """The expected lines must appear in order (headers the README leaves out may sit between
    them); the first must be the first line of the output (status line or body)."""
    if not expected:
        return None
    if not actual or not matches(expected[0], actual[0]):
        return f"first line\n    expected: {expected[0]}\n    actual:   {actual[0] if actual else '(nothing)'}"
    position = 1
    for line in expected[1:]:
        if line.strip() == "...":
            continue
        while position < len(actual) and not matches(line, actual[position]):
            position += 1
        if position == len(actual):
            return f"missing line\n    expected: {line}\n    output:   " + "\n              ".join(actual)
        position += 1
    return None

blocks = section(open(readme, encoding="utf-8").read())
steps = [step for block in blocks for step in commands(block)]
work = tempfile.mkdtemp(prefix="relieflog-readme-")
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
PORT = port
# The README's commands run in a checkout: the repository's files (test fixtures) are at hand,
# and `relieflog` is the binary just built.
os.symlink(os.path.join(os.getcwd(), "Tests"), os.path.join(work, "Tests"))
environment = dict(os.environ, PATH=os.path.dirname(os.path.abspath(binary)) + os.pathsep + os.environ.get("PATH", ""))
server = subprocess.Popen(
    [binary, "serve", "--port", str(port), "--db", os.path.join(work, "data/relieflog.sqlite")],
    cwd=work, stdout=subprocess.PIPE, stderr=open(os.path.join(work, "stderr.log"), "wb"), text=True)
failures, ran = [], 0
try:
    listening = server.stdout.readline()
    if "listening on" not in listening:
        sys.exit(f"readme-examples: the server did not start: {open(os.path.join(work, 'stderr.log')).read()}")
    deadline = time.time() + 10
    while True:
        tokens = re.findall(r"rlg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", open(os.path.join(work, "stderr.log")).read())
        if tokens or time.time() > deadline:
            break
        time.sleep(0.05)
    if not tokens:
        sys.exit("readme-examples: the first start printed no admin token")
    last_token = tokens[0]
    shell = subprocess.Popen(
        ["bash", "--norc", "--noprofile"], cwd=work, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, bufsize=1, env=environment)
    shell.stdin.write("shopt -s expand_aliases\nexec 2>&1\n")
    for number, (command, expected) in enumerate(steps, 1):
        if re.match(r"swift run relieflog serve|relieflog serve", command):
            continue  # started above, on a free port
        # A token the README shows in an assignment is whatever token was printed last.
        command = re.sub(r"^(export )?(\w+)=rlg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}",
                         lambda m: f"{m.group(1) or ''}{m.group(2)}={last_token}", command)
        command = command.replace("localhost:8080", f"localhost:{port}")
        marker = f"@@readme-step-{number}@@"
        # Alias definitions take effect from the next line bash reads.
        shell.stdin.write(command + "\n" + f"echo; echo '{marker}'\n")
        shell.stdin.flush()
        output = []
        while True:
            line = shell.stdout.readline()
            if not line or line.rstrip("\n") == marker:
                break
            output.append(line.rstrip("\n"))
        actual = [line for line in output if line.strip()]
        found = re.findall(r"rlg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", "\n".join(actual))
        if found:
            last_token = found[-1]
        ran += 1
        problem = compare(expected, actual)
        if problem:
            failures.append(f"$ {command.splitlines()[0]}\n  {problem}")
    shell.stdin.close()
    shell.wait(timeout=10)
finally:
    server.send_signal(signal.SIGTERM)
    status = server.wait(timeout=30)
if status != 0:
    failures.append(f"the server exited with status {status} on SIGTERM")
for failure in failures:
    print("readme-examples: " + failure, file=sys.stderr)
print(f"readme-examples: {ran} commands replayed, {len(failures)} mismatches", file=sys.stderr)
sys.exit(1 if failures else 0)
PYTHON
