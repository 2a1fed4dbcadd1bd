#!/usr/bin/env python3
"""Writes the two replay scripts docs/security.md measures (they are large, so they are made, not kept):
  invite_flood.jsonl  100,000 invites within one second, each from its own sender in its own room, lifetime 2^53-1
  early_flood.jsonl   32 call ids x 32 m.call.negotiate events of 60 KB whose invite never comes
Usage: make_flood_scripts.py OUTPUT_DIR; then `mxcall replay OUTPUT_DIR/invite_flood.jsonl` under /usr/bin/time -v."""
import json
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "."
me = {"t": 0, "me": {"user_id": "@me:x", "device_id": "ME"}}
sdp = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" + "a=x-filler:0123456789abcdef\r\n" * 60

with open(os.path.join(out, "invite_flood.jsonl"), "w") as f:
    f.write(json.dumps(me) + "\n")
    n = 0
    for line in range(100):
        events = []
        for _ in range(1000):
            events.append({"type": "m.call.invite", "room_id": "!r%d:x" % n, "sender": "@s%d:x" % n,
                           "event_id": "$i%d" % n, "origin_server_ts": 1, "unsigned": {"age": 0},
                           "content": {"call_id": "c%d" % n, "party_id": "P", "version": "1",
                                       "lifetime": 9007199254740991, "offer": {"type": "offer", "sdp": sdp}}})
            n += 1
        f.write(json.dumps({"t": 1 + line * 10, "sync": events}) + "\n")

big = "v=0\r\n" + "a=x-filler:" + "x" * 60000 + "\r\n"
with open(os.path.join(out, "early_flood.jsonl"), "w") as f:
    f.write(json.dumps(me) + "\n")
    for c in range(32):
        events = []
        for k in range(32):
            events.append({"type": "m.call.negotiate", "room_id": "!r:x", "sender": "@s:x",
                           "event_id": "$n%d_%d" % (c, k), "origin_server_ts": 1, "unsigned": {"age": 0},
                           "content": {"call_id": "early%d" % c, "party_id": "P", "version": "1", "lifetime": 30000,
                                       "description": {"type": "offer", "sdp": big}}})
        f.write(json.dumps({"t": 1 + c, "sync": events}) + "\n")
