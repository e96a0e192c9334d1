"""procmon-parser (the only other open PML reader) iterating every event of a capture.
    python3 benches/procmon_parser_count.py FILE.pml [--lean]
--lean skips stack traces and details (its fastest mode)."""
import sys
from procmon_parser import ProcmonLogsReader

lean = "--lean" in sys.argv
reader = ProcmonLogsReader(open(sys.argv[1], "rb"), should_get_stacktrace=not lean, should_get_details=not lean)
denied = sum(1 for e in reader if e.result in (0xC0000022, 0xC00000A2))
print(denied)
