#!/usr/bin/python3
"""Runs one group of frame-level cases against a Strata server on 127.0.0.1.

    run.py <defences|conformance|drain> <port> <server pid> [case ...]

Prints "PASS <case>" or "FAIL <case>: <why>" per case, then "ran <n>". After each case but
the drain, a new client must still be served (h2lib.healthy). Exit status 1 if any failed.
"""
import sys
import traceback

import conformance
import defences
import drain
from h2lib import healthy

GROUPS = {"defences": defences.CASES, "conformance": conformance.CASES, "drain": drain.CASES}


def main():
    group, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    only = set(sys.argv[4:])
    failed = ran = 0
    for case in GROUPS[group]:
        if only and case.__name__ not in only:
            continue
        ran += 1
        try:
            case(port, pid)
            if group != "drain":
                healthy(port)
            print("PASS", case.__name__, flush=True)
        except Exception as e:  # a failed assertion or a socket error: both fail the case
            failed += 1
            detail = str(e) if isinstance(e, AssertionError) else traceback.format_exc(limit=3)
            print("FAIL %s: %s" % (case.__name__, detail.replace("\n", " | ")), flush=True)
    print("ran", ran, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
