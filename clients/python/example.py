#!/usr/bin/python3
"""Records a SUAG recommendation to the Board and shows how the
recommendations view tracks it.

    python3 example.py --server HOST:PORT [--as-of YYYY-MM-DD] [--id R-PY-1]
                       [--gen DIR]

Appends an involvement.v1.RecommendationMade to stream recommendation/<id>
(id R-PY-<random> unless given), then reads the recommendations view as of
the date given (default: the server's current UTC date) and prints the
recommendation's row as JSON on stdout. Exit 0 on success; 1 when a call
fails (one line on stderr with the gRPC code and message), the row is
missing or the modules cannot be imported; 2 on a usage error.

The generated modules are found in --gen DIR, else $LEDGER_PYTHON_GEN, else
../../build/clients/python/gen relative to this file.
"""

import argparse
import datetime
import os
import secrets
import sys


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", required=True, help="ledgerd's HOST:PORT")
    parser.add_argument("--as-of", type=datetime.date.fromisoformat,
                        help="view date YYYY-MM-DD; also the date the "
                             "recommendation is made (default: today, UTC)")
    parser.add_argument("--id", help="recommendation id (default R-PY-<random>)")
    parser.add_argument("--gen", help="directory of the generated *_pb2 modules")
    return parser.parse_args()


def main():
    args = parse_args()
    if args.gen:
        os.environ["LEDGER_PYTHON_GEN"] = args.gen
    # Imported after the flags: the import finds the generated modules.
    # No __pycache__ beside the sources (the repository ignores only build/).
    sys.dont_write_bytecode = True
    try:
        import involvement_client as ic
    except ImportError as e:
        print(f"example.py: {e}", file=sys.stderr)
        return 1
    from google.protobuf import json_format
    from involvement.v1 import events_pb2

    rec_id = args.id or "R-PY-" + secrets.token_hex(4).upper()
    made_on = args.as_of or datetime.datetime.now(datetime.timezone.utc).date()
    event = events_pb2.RecommendationMade(
        recommendation_id=rec_id,
        from_body=events_pb2.BODY_SUAG,
        to=events_pb2.ADDRESSEE_BOARD,
        text="Publish repair response times in the newsletter",
        evidence_refs=["survey/2026-repairs"],
        made_on=ic.to_date(made_on))
    try:
        with ic.LedgerClient(args.server) as ledger:
            # A fixed event id makes a re-run with the same --id (and date)
            # an idempotent retry rather than a second recommendation.
            result = ledger.append(f"recommendation/{rec_id}", event,
                                   event_id=f"{rec_id}/made",
                                   expected_version="no_stream")
        print(f"example.py: recommendation/{rec_id}: sequence {result.sequence}, "
              f"stream version {result.stream_version}"
              f"{' (already recorded)' if result.duplicate else ''}",
              file=sys.stderr)
        with ic.QueryClient(args.server) as query:
            view = query.recommendations(as_of=args.as_of, id=rec_id)
    except ic.LedgerError as e:
        print(f"example.py: {e}", file=sys.stderr)
        return 1

    rows = [r for r in view.rows if r.recommendation_id == rec_id]
    if not rows:
        print(f"example.py: no row for {rec_id} in the recommendations view",
              file=sys.stderr)
        return 1
    print(json_format.MessageToJson(rows[0], preserving_proto_field_name=True,
                                    including_default_value_fields=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
