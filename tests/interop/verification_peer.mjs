// A matrix-js-sdk party for device verification (SAS, emoji) with its Rust crypto, driven by the line-JSON protocol
// of command_lines.mjs (one command a line on stdin, events a line on stdout; diagnostics on stderr).
//
// Commands: {"cmd": ..., "id": N, ...}, each answered by {"ev":"done","id":N,...} or {"ev":"error",...}:
//   login {homeserver, user, password, device_id?}           -> done {user_id, device_id}
//   answer {sas: "confirm"|"mismatch"|"cancel", start: bool}  how this party answers SAS from now on (default
//                                  confirm; start: also start SAS itself once a request it received is ready)
//   request {user_id, device_id}   requests verification of that device (once js-sdk's crypto knows it: the two
//                                  users share an encrypted room, as with Element)
//   status {user_id, device_id}    -> done {known, locally_verified, cross_signing_verified, signed_by_owner, verified}
//   phase {flow_id}                -> done {phase}: requested, ready, started, cancelled or done, read now
//   join {room_id}
//   quit
// Events: verification {flow_id, phase, initiated_by_me, other_user, other_device} at every phase change;
//   sas {flow_id, emoji: [{symbol, name}], decimals}; verification_done {flow_id, by: "request" | "verifier", phase};
//   verification_cancelled {flow_id, code}.
import { logger } from "matrix-js-sdk/lib/logger.js";
import { CryptoEvent } from "matrix-js-sdk/lib/crypto-api/index.js";
import { VerificationPhase, VerificationRequestEvent, VerifierEvent } from "matrix-js-sdk/lib/crypto-api/verification.js";
import { serveCommands } from "./command_lines.mjs";
import { startCryptoClient } from "./rust_crypto.mjs";

const debug = process.env.MXCALL_INTEROP_JS_LOG === "debug";
// matrix-sdk-crypto-wasm traces at debug level through the console (INFO and below kept only when asked; js-sdk turns tracing on).
const toStderr = (...args) => {
  const text = args.map(String).join(" ");
  if (debug || !/^(DEBUG|TRACE|INFO) /.test(text)) process.stderr.write(text + "\n");
};
console.log = console.info = console.debug = console.warn = console.error = toStderr;
logger.setLevel(process.env.MXCALL_INTEROP_JS_LOG ?? "warn");

const emit = (event) => process.stdout.write(JSON.stringify({ ...event, t: Date.now() }) + "\n");
const phaseNames = {
  [VerificationPhase.Unsent]: "unsent",
  [VerificationPhase.Requested]: "requested",
  [VerificationPhase.Ready]: "ready",
  [VerificationPhase.Started]: "started",
  [VerificationPhase.Cancelled]: "cancelled",
  [VerificationPhase.Done]: "done",
};

let client = null;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// js-sdk's crypto tracks the devices of users it shares an encrypted room with (as Element does); wait until it knows
// this one, rather than fetching keys behind its back (getUserDeviceInfo's download does not reach the OlmMachine).
async function knownDevice(userId, deviceId) {
  const crypto = client.getCrypto();
  for (let i = 0; i < 40; ++i) {
    const devices = (await crypto.getUserDeviceInfo([userId])).get(userId);
    if (devices?.has(deviceId)) return devices.get(deviceId);
    await sleep(250);
  }
  throw new Error(`js-sdk's crypto does not know ${userId}'s device ${deviceId} after 10 s (no shared encrypted room?)`);
}
let policy = { sas: "confirm", start: false };
const verifiers = new WeakSet();
const doneFlows = new Set();
const requests = new Map();  // flow id -> js-sdk's VerificationRequest

function reportDone(request, by) {
  if (doneFlows.has(request.transactionId)) return;
  doneFlows.add(request.transactionId);
  emit({ ev: "verification_done", flow_id: request.transactionId, by, phase: phaseNames[request.phase] ?? null });
}

function followVerifier(request, verifier) {
  if (verifiers.has(verifier)) return;
  verifiers.add(verifier);
  const flowId = request.transactionId;
  verifier.on(VerifierEvent.ShowSas, async (callbacks) => {
    const emoji = (callbacks.sas.emoji ?? []).map(([symbol, name]) => ({ symbol, name }));
    emit({ ev: "sas", flow_id: flowId, emoji, decimals: callbacks.sas.decimal ?? null });
    if (policy.sas === "confirm") await callbacks.confirm();
    else if (policy.sas === "mismatch") callbacks.mismatch();
    else callbacks.cancel();
  });
  // verify() resolves once both MACs are checked and done is exchanged. js-sdk does not always emit a request change
  // for that last step (seen when the other device is cross-signed), so this reports done as well, once per flow.
  verifier
    .verify()
    .then(() => reportDone(request, "verifier"))
    .catch((error) => toStderr(`verifier of ${flowId} ended: ${error?.message ?? error}`));
}

function follow(request) {
  requests.set(request.transactionId, request);
  let last = null;
  const update = async () => {
    const flowId = request.transactionId;
    if (request.phase !== last) {
      last = request.phase;
      emit({
        ev: "verification",
        flow_id: flowId,
        phase: phaseNames[request.phase] ?? String(request.phase),
        initiated_by_me: request.initiatedByMe,
        other_user: request.otherUserId,
        other_device: request.otherDeviceId ?? null,
      });
      if (request.phase === VerificationPhase.Done) reportDone(request, "request");
      if (request.phase === VerificationPhase.Cancelled) {
        emit({ ev: "verification_cancelled", flow_id: flowId, code: request.cancellationCode });
      }
      const startsSas = request.initiatedByMe || policy.start;
      if (request.phase === VerificationPhase.Ready && startsSas && !request.verifier) {
        followVerifier(request, await request.startVerification("m.sas.v1"));
      }
    }
    if (request.verifier) followVerifier(request, request.verifier);
  };
  request.on(VerificationRequestEvent.Change, () => update().catch((e) => toStderr(`verification: ${e?.message ?? e}`)));
  update().catch((e) => toStderr(`verification: ${e?.message ?? e}`));
}

async function run(command) {
  switch (command.cmd) {
    case "login": {
      client = await startCryptoClient(command, emit);
      client.on(CryptoEvent.VerificationRequestReceived, (request) => {
        follow(request);
        request.accept().catch((e) => toStderr(`accept: ${e?.message ?? e}`));
      });
      return { user_id: client.getUserId(), device_id: client.getDeviceId() };
    }
    case "answer":
      policy = { sas: command.sas ?? "confirm", start: Boolean(command.start) };
      return {};
    case "request": {
      await knownDevice(command.user_id, command.device_id);
      const request = await client.getCrypto().requestDeviceVerification(command.user_id, command.device_id);
      follow(request);
      return { flow_id: request.transactionId };
    }
    case "status": {
      await knownDevice(command.user_id, command.device_id);
      const status = await client.getCrypto().getDeviceVerificationStatus(command.user_id, command.device_id);
      if (!status) return { known: false };
      return {
        known: true,
        locally_verified: status.localVerified,
        cross_signing_verified: status.crossSigningVerified,
        signed_by_owner: status.signedByOwner,
        verified: status.isVerified(),
      };
    }
    case "phase": {
      // The request's phase now, read rather than waited for: js-sdk does not always emit a change for the last step.
      const request = requests.get(command.flow_id);
      if (!request) throw new Error(`no verification ${command.flow_id}`);
      return { phase: phaseNames[request.phase] ?? String(request.phase) };
    }
    case "join":
      await client.joinRoom(command.room_id);
      return {};
    case "quit":
      client?.stopClient();
      setTimeout(() => process.exit(0), 10);
      return {};
    default:
      throw new Error(`unknown command ${command.cmd}`);
  }
}

serveCommands({ run, emit, onClose: () => run({ cmd: "quit" }) });
