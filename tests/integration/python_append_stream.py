"""Drives involvement_client.LedgerClient.append_stream for
python_client_test: appends COUNT google.protobuf.Struct notes to one
stream on one AppendStream call, each expecting the stream's exact version,
with the expectation of the append at index BAD wrong, and prints one line
per answer, in order: "ok SEQUENCE VERSION" (with " duplicate" for a retry)
or "refused CODE". Exit status 0 once every answer is printed, 1 if the call
itself failed.

usage: python_append_stream.py --server HOST:PORT --gen DIR --client-dir DIR
                               --stream S --count N --bad I
"""

import argparse
import os
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--gen", required=True)
    parser.add_argument("--client-dir", required=True)
    parser.add_argument("--stream", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--bad", type=int, required=True)
    args = parser.parse_args()
    os.environ["LEDGER_PYTHON_GEN"] = args.gen
    sys.dont_write_bytecode = True
    sys.path.insert(0, args.client_dir)
    import involvement_client as ic
    from google.protobuf import struct_pb2

    def appends():
        version = 0
        for i in range(args.count):
            note = struct_pb2.Struct()
            note.update({"n": i})
            expect = version + 5 if i == args.bad else version
            yield (args.stream, note, f"{args.stream}/{i}", expect)
            if i != args.bad:
                version += 1

    try:
        with ic.LedgerClient(args.server) as ledger:
            for answer in ledger.append_stream(appends()):
                if isinstance(answer, ic.LedgerError):
                    print(f"refused {answer.code.name}")
                else:
                    print(f"ok {answer.sequence} {answer.stream_version}"
                          f"{' duplicate' if answer.duplicate else ''}")
    except ic.LedgerError as e:
        print(f"python_append_stream.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
