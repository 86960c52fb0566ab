"""A small Python client for the Involvement Ledger.

LedgerClient appends typed involvement.v1 events and reads entries back
(ledger.v1.LedgerService); QueryClient reads the involvement views
(involvement.v1.QueryService). Errors from the server come back as
LedgerError, carrying the gRPC status code and the server's message.

The protobuf and gRPC modules are generated at build time (never committed)
into build/clients/python/gen/. This module looks for them in, first, the
directory named by the LEDGER_PYTHON_GEN environment variable and otherwise
../../build/clients/python/gen relative to this file. Debian 12's packages
python3-grpcio, python3-protobuf (and python3-grpc-tools, to generate) are
installed for /usr/bin/python3.
"""

import collections
import datetime
import os
import sys
import uuid

GEN_ENV = "LEDGER_PYTHON_GEN"
DEFAULT_GEN_DIR = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)),
                 "..", "..", "build", "clients", "python", "gen"))


def generated_dir():
    """The directory the generated *_pb2 modules are imported from."""
    return os.environ.get(GEN_ENV) or DEFAULT_GEN_DIR


_GEN_DIR = generated_dir()
if _GEN_DIR not in sys.path:
    sys.path.insert(0, _GEN_DIR)

try:
    import grpc
    from google.protobuf import any_pb2
except ImportError as e:
    raise ImportError(
        f"{e}: {sys.executable} lacks gRPC or protobuf; on Debian 12 run "
        "apt-get install -y python3-grpcio python3-protobuf "
        "(they are for /usr/bin/python3)") from e

try:
    from involvement.v1 import events_pb2, views_pb2, views_pb2_grpc
    from ledger.v1 import ledger_pb2, ledger_pb2_grpc
except ImportError as e:
    raise ImportError(
        f"{e}: the generated modules are not in {_GEN_DIR}; build the project "
        f"(cmake --build build) or set {GEN_ENV} to the generated directory") from e

TYPE_URL_PREFIX = "type.googleapis.com/"
DEFAULT_TIMEOUT = 60.0  # seconds, for each unary call (reads have none)


class LedgerError(Exception):
    """A failed call: `code` is the grpc.StatusCode, `details` the message."""

    def __init__(self, code, details):
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details

    @classmethod
    def from_rpc_error(cls, error):
        return cls(error.code(), error.details())

    @classmethod
    def from_code(cls, code, details):
        """From a numeric gRPC status code (as AppendStream answers carry)."""
        return cls(_STATUS_CODES.get(code, grpc.StatusCode.UNKNOWN), details)


_STATUS_CODES = {c.value[0]: c for c in grpc.StatusCode}


AppendResult = collections.namedtuple(
    "AppendResult", ["sequence", "stream_version", "duplicate"])


def to_date(value):
    """An involvement.v1.Date from a datetime.date, "YYYY-MM-DD" or a Date."""
    if isinstance(value, events_pb2.Date):
        return value
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value)
    return events_pb2.Date(year=value.year, month=value.month, day=value.day)


def pack(event_message):
    """Packs an involvement.v1 message into Any with the type.googleapis.com
    type URL the ledger expects."""
    payload = any_pb2.Any()
    payload.Pack(event_message, type_url_prefix=TYPE_URL_PREFIX)
    return payload


def unpack(entry):
    """The typed involvement.v1 event of a ledger.v1.Entry, or None when its
    type is not one of involvement.v1's messages."""
    type_name = entry.payload.type_url.rsplit("/", 1)[-1]
    package, _, name = type_name.rpartition(".")
    cls = getattr(events_pb2, name, None) if package == "involvement.v1" else None
    if cls is None:
        return None
    event = cls()
    entry.payload.Unpack(event)
    return event


def _expected_version(expected):
    """None: any; an int: that exact version (0: no stream); or one of the
    strings "any", "no_stream", "stream_exists"."""
    if expected is None:
        return None
    if isinstance(expected, bool) or not isinstance(expected, (int, str)):
        raise TypeError(f"expected_version: {expected!r}")
    if isinstance(expected, int):
        return ledger_pb2.ExpectedVersion(exact=expected)
    if expected not in ("any", "no_stream", "stream_exists"):
        raise ValueError(f"expected_version: {expected!r}")
    version = ledger_pb2.ExpectedVersion()
    getattr(version, expected).SetInParent()
    return version


def _append_request(stream, event_message, event_id, expected_version):
    """An AppendRequest of one event; event_id None means a fresh UUID."""
    request = ledger_pb2.AppendRequest(stream=stream)
    version = _expected_version(expected_version)
    if version is not None:
        request.expected_version.CopyFrom(version)
    request.events.add(event_id=event_id or str(uuid.uuid4()),
                       payload=pack(event_message))
    return request


class _Client:
    def __init__(self, address, timeout=DEFAULT_TIMEOUT):
        self.address = address
        self.timeout = timeout
        self._channel = grpc.insecure_channel(address)

    def close(self):
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class LedgerClient(_Client):
    """ledger.v1.LedgerService at `address` (HOST:PORT), without TLS."""

    def __init__(self, address, timeout=DEFAULT_TIMEOUT):
        super().__init__(address, timeout)
        self._stub = ledger_pb2_grpc.LedgerServiceStub(self._channel)

    def append(self, stream, event_message, event_id=None, expected_version=None):
        """Appends one event to `stream` durably; returns AppendResult.

        event_id: unique for ever; a retry with the same id and content
        returns the original position with duplicate=True. A fresh UUID when
        None (then a retry is a new event: pass an id to retry safely).
        expected_version: see _expected_version.
        """
        request = _append_request(stream, event_message, event_id,
                                  expected_version)
        try:
            response = self._stub.Append(request, timeout=self.timeout)
        except grpc.RpcError as e:
            raise LedgerError.from_rpc_error(e) from None
        appended = response.events[0]
        return AppendResult(appended.sequence, appended.stream_version,
                            response.duplicate)

    def append_stream(self, appends):
        """Appends many events on one AppendStream call, without waiting for
        each answer; each is still its own atomic, durable append.

        appends: an iterable of (stream, event_message, event_id,
        expected_version) tuples (event_id and expected_version as for
        append; event_id None means a fresh UUID). It is consumed on a gRPC
        thread as the call goes, so it may be a generator.
        Yields, in the same order, an AppendResult for each recorded event
        (duplicate=True for a retry) or a LedgerError for each refused one:
        a refusal is yielded, not raised, and the appends after it go on.
        A failure of the call itself raises LedgerError; the appends not
        answered then may or may not be recorded (retry them with the same
        event ids).
        """
        requests = (_append_request(*a) for a in appends)
        try:
            for answer in self._stub.AppendStream(requests):
                if answer.code != 0:
                    yield LedgerError.from_code(answer.code, answer.message)
                    continue
                appended = answer.response.events[0]
                yield AppendResult(appended.sequence, appended.stream_version,
                                   answer.response.duplicate)
        except grpc.RpcError as e:
            raise LedgerError.from_rpc_error(e) from None

    def read(self, stream=None, start=0, limit=0):
        """Yields ledger.v1.Entry messages: from sequence `start` of the whole
        log, or from stream version `start` of `stream`; `limit` 0 means all.
        """
        request = ledger_pb2.ReadRequest(limit=limit, stream=stream or "")
        setattr(request, "from", start)  # `from` is a Python keyword
        try:
            for response in self._stub.Read(request):
                yield response.entry
        except grpc.RpcError as e:
            raise LedgerError.from_rpc_error(e) from None


class QueryClient(_Client):
    """involvement.v1.QueryService at `address` (HOST:PORT), without TLS.

    Each view takes as_of (a datetime.date, "YYYY-MM-DD" or None for the
    server's current UTC date) and returns the view message of views.proto.
    """

    def __init__(self, address, timeout=DEFAULT_TIMEOUT):
        super().__init__(address, timeout)
        self._stub = views_pb2_grpc.QueryServiceStub(self._channel)

    def _call(self, rpc, as_of, **fields):
        request = views_pb2.ViewRequest(**fields)
        if as_of is not None:
            request.as_of.CopyFrom(to_date(as_of))
        try:
            return rpc(request, timeout=self.timeout)
        except grpc.RpcError as e:
            raise LedgerError.from_rpc_error(e) from None

    def recommendations(self, as_of=None, id="", open_only=False):
        return self._call(self._stub.Recommendations, as_of, id=id,
                          open_only=open_only)

    def you_said_we_did(self, as_of=None, id="", open_only=False):
        return self._call(self._stub.YouSaidWeDid, as_of, id=id,
                          open_only=open_only)

    def bodies(self, as_of=None, body=None):
        """body: an involvement.v1.Body value or name ("SUAG", "BODY_SUAG")."""
        if isinstance(body, str):
            name = body if body.startswith("BODY_") else "BODY_" + body
            body = events_pb2.Body.Value(name)
        return self._call(self._stub.Bodies, as_of, body=body or 0)

    def complaints(self, as_of=None, id="", open_only=False):
        return self._call(self._stub.Complaints, as_of, id=id,
                          open_only=open_only)

    def compliance(self, as_of=None):
        return self._call(self._stub.Compliance, as_of)

    def recruitment(self, as_of=None):
        return self._call(self._stub.Recruitment, as_of)

    def indicators(self, as_of=None, year=0):
        return self._call(self._stub.Indicators, as_of, year=year)
