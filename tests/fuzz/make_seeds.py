#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/) from the
conformance data in tests/ledger/testdata and a few hand-made entries.
Run from anywhere: python3 tests/fuzz/make_seeds.py. The output is
committed; rerun only when the seeds should change."""
import base64
import glob
import hashlib
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.join(HERE, "..", "ledger", "testdata")


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ------------------------------------------------ protobuf wire encoding
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(num, v):
    return varint(num << 3) + varint(v) if v else b""


def field_bytes(num, v):
    if isinstance(v, str):
        v = v.encode()
    return varint(num << 3 | 2) + varint(len(v)) + v if v else b""


def timestamp(seconds, nanos=0):
    return field_varint(1, seconds) + field_varint(2, nanos)


def entry(seq, stream, version, event_id, type_url, value, occurred=None,
          recorded=None, actor="", prev=b"", correlation="", causation=""):
    """ledger.v1.Entry, fields in number order as the deterministic
    serializer writes them (proto/ledger/v1/ledger.proto)."""
    any_ = field_bytes(1, type_url) + field_bytes(2, value)
    out = field_varint(1, seq) + field_bytes(2, stream)
    out += field_varint(3, version) + field_bytes(4, event_id)
    out += field_bytes(5, any_)
    if occurred is not None:
        out += varint(6 << 3 | 2) + varint(len(occurred)) + occurred
    if recorded is not None:
        out += varint(7 << 3 | 2) + varint(len(recorded)) + recorded
    out += field_bytes(8, actor) + field_bytes(9, prev)
    out += field_bytes(10, correlation) + field_bytes(11, causation)
    return out


# involvement.v1.MeetingHeld {body: BODY_SUAG (1), date {2026,3,2},
# minutes_ref}: field numbers only matter for realism, not validity.
date = field_varint(1, 2026) + field_varint(2, 3) + field_varint(3, 2)
meeting = field_varint(1, 1) + field_bytes(2, date) + field_bytes(3, "SUAG/2026/03")
write("entry", "first_entry", entry(
    0, "body/SUAG", 1, "meeting-2026-03",
    "type.googleapis.com/involvement.v1.MeetingHeld", meeting,
    recorded=timestamp(1772445600, 123000000), actor="local",
    prev=bytes(32)))
write("entry", "chained_entry", entry(
    7, "recommendation/R-2026-014", 2, "0b8f6a52-3c1e-4d7a-9f0e-2b1c3d4e5f60",
    "type.googleapis.com/google.protobuf.Struct",
    field_bytes(1, field_bytes(1, "note") + field_bytes(2, field_bytes(3, "x"))),
    occurred=timestamp(1772445000), recorded=timestamp(1772445600, 5),
    actor="CN=minutes-app", prev=bytes(range(32)), correlation="corr-1",
    causation="cause-1"))

# --------------------------------------------------------- signed notes
note_example = json.load(open(os.path.join(TESTDATA, "signed-note",
                                           "sumdb_note_example.json")))
note = open(os.path.join(TESTDATA, "signed-note",
                         "sumdb_note_example.txt")).read()
vkey = note_example["vkey"]
write("signed_note", "sumdb_note", vkey + "\n" + note)
write("signed_note", "sumdb_note_two_signatures",
      vkey + "\n" + note + "— Other+AAAAAAAA AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n")
write("signed_note", "key_only", vkey + "\n")
write("signed_note", "checkpoint_with_extension",
      "x\nMoon Log\n4027504\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n6086d1a9\nWaxing gibbous\n")
write("signed_note", "checkpoint_note",
      vkey + "\ngo.sum database tree\n123456789012\n"
      "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n\n"
      "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")

# --------------------------------------------------------------- proofs
def b64(s):
    return base64.b64decode(s)


for path in sorted(glob.glob(os.path.join(TESTDATA, "rfc6962", "inclusion", "*", "happy-path.json"))):
    p = json.load(open(path))
    data = bytes([0]) + struct.pack("<QQ", p["leafIdx"], p["treeSize"])
    data += b64(p["leafHash"]) + b64(p["root"])
    data += b"".join(b64(h) for h in p["proof"] or [])
    write("merkle", "inclusion_" + os.path.basename(os.path.dirname(path)), data)
for path in sorted(glob.glob(os.path.join(TESTDATA, "rfc6962", "consistency", "*", "happy-path.json"))):
    p = json.load(open(path))
    data = bytes([1]) + struct.pack("<QQ", p["size1"], p["size2"])
    data += b64(p["root1"]) + b64(p["root2"])
    data += b"".join(b64(h) for h in p["proof"] or [])
    write("merkle", "consistency_" + os.path.basename(os.path.dirname(path)), data)
write("merkle", "real_tree_8", bytes([2, 7, 4, 2, 9, 1]))
write("merkle", "real_tree_100", bytes([2, 99, 63, 17, 200, 3]))

# ------------------------------------------------------------ event JSON
write("event_json", "meeting_line",
      '{"stream":"body/SUAG","type":"involvement.v1.MeetingHeld",'
      '"data":{"body":"BODY_SUAG","date":{"year":2026,"month":3,"day":2},'
      '"minutesRef":"SUAG/2026/03"},"event_id":"meeting-2026-03","expect":1,'
      '"occurred_at":"2026-03-02T10:00:00Z","correlation_id":"c","causation_id":"d"}')
write("event_json", "struct_line",
      '{"stream":"survey/S1","type":"google.protobuf.Struct",'
      '"data":{"score":4,"tags":["a","b"],"ok":true,"none":null},"expect":"none"}')
write("event_json", "type_and_data",
      'involvement.v1.BoardResponseRecorded\n'
      '{"recommendationId":"R-2026-014","decision":"DECISION_ACCEPTED",'
      '"decidedOn":{"year":2026,"month":4,"day":1}}')
write("event_json", "struct_type_and_data",
      'google.protobuf.Struct\n{"a":{"b":[1,2.5,"c",false]}}')
write("event_json", "timestamp_type_and_data",
      'google.protobuf.Timestamp\n"2026-03-01T10:00:00.5+01:00"')

# ------------------------------------------------------- evidence bundle
def sha256(b):
    return hashlib.sha256(b).digest()


def mth(leaves):
    """RFC 6962 Merkle tree hash of leaf hashes."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path(m, leaves):
    """RFC 6962 audit path of leaf m, sibling first."""
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def bundle(subject_kind, subject_id, log, streams, origin="fuzz.example/log"):
    """`log` is every entry's bytes in sequence order; `streams` maps a
    stream name to the sequences of its entries in the bundle."""
    leaves = [sha256(b"\x00" + e) for e in log]
    body = "%s\n%d\n%s\n" % (origin, len(log),
                               base64.b64encode(mth(leaves)).decode())
    out = {
        "format": "involvement-ledger/evidence/1",
        "subject": {"kind": subject_kind, "id": subject_id,
                    "stream": subject_kind + "/" + subject_id},
        "checkpoint": body,
        "origin": origin,
        "tree_size": str(len(log)),
        "key_id": "00000000",
        "streams": [
            {"stream": name, "entries": [
                {"sequence": str(seq),
                 "entry": base64.b64encode(log[seq]).decode(),
                 "proof": [h.hex() for h in path(seq, leaves)]}
                for seq in seqs]}
            for name, seqs in streams.items()],
    }
    return json.dumps(out, indent=1)


def rec_made(rid, feedback_ids):
    d = field_varint(1, 2026) + field_varint(2, 3) + field_varint(3, 2)
    due = field_varint(1, 2026) + field_varint(2, 6) + field_varint(3, 2)
    out = field_bytes(1, rid) + field_varint(2, 1) + field_varint(3, 1)
    out += field_bytes(4, "Publish repair times")
    for f in feedback_ids:
        out += field_bytes(5, f)
    return out + field_bytes(7, d) + field_bytes(8, due)


log = []
prev = bytes(32)
for seq, (stream, version, type_, value) in enumerate([
        ("body/SUAG", 1, "involvement.v1.MeetingHeld", meeting),
        ("recommendation/R-2026-001", 1, "involvement.v1.RecommendationMade",
         rec_made("R-2026-001", [])),
        ("survey/S-1", 1, "google.protobuf.Struct", field_bytes(1, b"")),
        ("recommendation/R-2026-002", 1, "involvement.v1.RecommendationMade",
         rec_made("R-2026-002", ["F-9"]))]):
    e = entry(seq, stream, version, "ev-%d" % seq,
              "type.googleapis.com/" + type_, value,
              recorded=timestamp(1772445600 + seq), actor="local", prev=prev)
    log.append(e)
    prev = sha256(b"\x00" + e)
write("evidence_bundle", "recommendation",
      bundle("recommendation", "R-2026-001", log,
             {"recommendation/R-2026-001": [1]}))
write("evidence_bundle", "recommendation_citing_missing_feedback",
      bundle("recommendation", "R-2026-002", log,
             {"recommendation/R-2026-002": [3]}))
write("evidence_bundle", "two_streams",
      bundle("recommendation", "R-2026-001", log,
             {"recommendation/R-2026-001": [1], "body/SUAG": [0]}))

# ---------------------------------------------- folded entries (bundle_fold)
def date_(y, m, d):
    return field_varint(1, y) + field_varint(2, m) + field_varint(3, d)


def records(events):
    """Length-prefixed entries, sequences from 0, versions per stream."""
    out = b""
    versions = {}
    for seq, (stream, type_, value) in enumerate(events):
        versions[stream] = versions.get(stream, 0) + 1
        e = entry(seq, stream, versions[stream], "ev-%d" % seq,
                  "type.googleapis.com/involvement.v1." + type_, value,
                  recorded=timestamp(1772445600 + 86400 * seq), actor="local")
        out += struct.pack("<H", len(e)) + e
    return out


action = field_bytes(1, "A-1") + field_bytes(2, "Publish times") + \
    field_bytes(3, "Repairs lead") + field_bytes(4, date_(2026, 9, 1))
write("bundle_fold", "recommendation_lifecycle", records([
    ("recommendation/R-2026-001", "RecommendationMade", rec_made("R-2026-001", ["F-1"])),
    ("feedback/F-1", "FeedbackReceived",
     field_bytes(1, "F-1") + field_varint(2, 1) + field_bytes(3, date_(2026, 2, 1)) +
     field_bytes(6, "Repairs are slow") + field_varint(8, 1)),
    ("recommendation/R-2026-001", "BoardResponseRecorded",
     field_bytes(1, "R-2026-001") + field_varint(2, 1) + field_bytes(3, "Agreed") +
     field_bytes(4, action) + field_bytes(6, date_(2026, 4, 1))),
    ("recommendation/R-2026-001", "ActionUpdated",
     field_bytes(1, "A-1") + field_bytes(2, date_(2026, 8, 1)) + field_bytes(4, date_(2026, 10, 1))),
    ("recommendation/R-2026-001", "ActionCompleted",
     field_bytes(1, "A-1") + field_bytes(2, date_(2026, 9, 20))),
    ("feedback/F-1", "FeedbackResponded",
     field_bytes(1, "F-1") + field_bytes(2, date_(2026, 9, 21)) + field_bytes(3, "Done") +
     field_varint(4, 1)),
]))
write("bundle_fold", "complaint", records([
    ("complaint/C-1", "ComplaintReceived",
     field_bytes(1, "C-1") + field_bytes(2, date_(2026, 3, 2)) + field_varint(3, 1) +
     field_bytes(6, "damp") + field_bytes(7, "Damp in flat")),
    ("complaint/C-1", "ComplaintAcknowledged", field_varint(1, 1) + field_bytes(2, date_(2026, 3, 4))),
    ("complaint/C-1", "ComplaintOutcome",
     field_varint(1, 1) + field_varint(2, 1) + field_bytes(3, date_(2026, 3, 20)) +
     field_bytes(4, "Repaired") + field_bytes(6, action)),
]))
write("bundle_fold", "meeting", records([
    ("body/SUAG", "MeetingHeld", meeting),
]))
