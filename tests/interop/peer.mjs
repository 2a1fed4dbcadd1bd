// A matrix-js-sdk party in Node (MatrixCall on @roamhq/wrtc), driven by a line-JSON protocol: one command a line on
// stdin, one event a line on stdout. Diagnostics go to stderr.
//
// Commands: {"cmd": ..., "id": N, ...}; each is answered by {"ev":"done","id":N,...} or {"ev":"error","id":N,"error"}.
//   login {homeserver, user, password, device_id?, tone_hz?, auto_join?, auto_answer?}   then {"ev":"ready",...}
//                                 after the first sync; auto_answer answers every call as it rings
//   tone {hz}                     the frequency every new microphone track sends
//   (login's crypto: true turns on js-sdk's Rust crypto (rust_crypto.mjs) and waits until its keys are uploaded;
//    done then carries keys {curve25519, ed25519}; event undecryptable: an event it could not decrypt)
//   create_room {invite:[user], encrypted?}  a direct chat with the invitees (encrypted: as Element makes one)
//                                 -> done {room_id}
//   room_encrypted {room_id}      -> done {encrypted}   await_device_keys {user_id, device_id} -> done {keys}
//   join {room_id}
//   call {room_id, video?}        places a call                          -> done {call_id}
//   answer {call_id, video?}   reject {call_id}   hangup {call_id, reason?}
//   hold {call_id, on}            js-sdk's setRemoteOnHold (a=sendonly) / resume
//   mute {call_id, audio, video}  upgrade {call_id}  (adds video to a voice call)
//   transfer {call_id, target}    js-sdk's transfer(target)   transfer_to_call {call_id, target_call_id}
//   (login's supports_call_transfer advertises m.call.transferee; event asserted_identity: the peer asserted one)
//   report {call_id}              -> done {state, audio:{frames,loud_frames,rms,freq}, video:{frames,...}, holds}
//   quit
// Events: ready, member, incoming, state, hangup, voip (an m.call.* event received; encrypted: it came as
// m.room.encrypted), sent (one we sent), ice, dtls,
// first_audio, peer_mute, remote_hold (we held them), local_hold (they held us), call_error. Each carries "t", the
// wall clock in ms, for the setup benchmark.
import { media, wrtc } from "./wrtc_shims.mjs";  // first: matrix-js-sdk looks for WebRTC when it loads
import { logger } from "matrix-js-sdk/lib/logger.js";
import { serveCommands } from "./command_lines.mjs";
import { createParty } from "./party.mjs";
import { AudioListener, VideoListener } from "./listener.mjs";
import { enableRustCrypto } from "./rust_crypto.mjs";

// stdout carries the protocol alone: everything the SDK prints goes to stderr.
const toStderr = (...args) => process.stderr.write(args.map(String).join(" ") + "\n");
console.log = console.info = console.debug = console.warn = console.error = toStderr;
logger.setLevel(process.env.MXCALL_INTEROP_JS_LOG ?? "warn");
// js-sdk sets each child logger (one per room's encryptor, ...) to debug whatever its parent's level: make children
// take their parent's level, so that the level above holds for them too.
function childrenFollowLevel(parent) {
  const makeChild = parent.getChild;
  parent.getChild = (prefix) => {
    const child = makeChild.call(parent, prefix);
    child.setLevel(parent.getLevel(), false);
    if (!child.followsParentLevel) {
      child.followsParentLevel = true;
      childrenFollowLevel(child);
    }
    return child;
  };
}
childrenFollowLevel(logger);

const party = createParty({
  emit: (event) => process.stdout.write(JSON.stringify(event) + "\n"),
  listenAudio: (track, onFirstAudio) => new AudioListener(track, wrtc, onFirstAudio),
  listenVideo: (track) => new VideoListener(track, wrtc),
  setTone: (hz) => {
    media.toneHz = hz;
  },
  stopMedia: () => {
    for (const timer of media.liveSources) clearInterval(timer);
  },
  exit: () => process.exit(0),
  crypto: { enable: enableRustCrypto },
});

// The driver closing stdin (or dying) ends the peer: no orphan keeps a call open.
serveCommands({ run: (command) => party.run(command), emit: party.emit, onClose: () => party.run({ cmd: "quit" }) });
