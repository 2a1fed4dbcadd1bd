// End-to-end encryption for a matrix-js-sdk party in Node: matrix-js-sdk's Rust crypto (`initRustCrypto`, the
// matrix-sdk-crypto crate compiled to WebAssembly: @matrix-org/matrix-sdk-crypto-wasm, the version the pinned
// matrix-js-sdk depends on), as Element Web runs it. Node needs no shim: the WASM package's "node" export reads its
// .wasm file with fs, and Node 20 has WebCrypto as globalThis.crypto. Node has no IndexedDB, so the store is the
// in-memory one (`useIndexedDB: false`): keys live as long as the process, which is what a test device needs.
import * as sdk from "matrix-js-sdk";
import { AllDevicesIsolationMode, OnlySignedDevicesIsolationMode } from "matrix-js-sdk/lib/crypto-api/index.js";
import { logger } from "matrix-js-sdk/lib/logger.js";

// What Element sends by default: room keys go to every device of every member, verified or not (its setting "Never
// send encrypted messages to unverified sessions" is off, and "exclude insecure devices" is a labs option). These are
// matrix-js-sdk 37.5.0's defaults too; they are set here so that a change of default cannot silently make the js-sdk
// party refuse to send to mxcall's (unverified) device.
function sendLikeElement(crypto) {
  crypto.globalBlacklistUnverifiedDevices = false;
  crypto.setDeviceIsolationMode(new AllDevicesIsolationMode(false));
}

// Element's "exclude insecure devices" (MSC4153): room keys go only to devices their owner cross-signed, and events
// are decrypted only from such devices (js-sdk's trust requirement CrossSignedOrLegacy).
export function excludeInsecureDevices(crypto) {
  crypto.setDeviceIsolationMode(new OnlySignedDevicesIsolationMode());
}

// Turns Rust crypto on for `client` (made with userId and deviceId, not started yet). `emit` reports decryption
// failures as {"ev": "undecryptable", ...}: an event the party could not read is otherwise silently not a call event.
export async function enableRustCrypto(client, emit) {
  await client.initRustCrypto({ useIndexedDB: false });
  // initRustCrypto turns the crate's own tracing on at debug level (hundreds of lines a call, on stderr): the party's
  // log level decides instead (MXCALL_INTEROP_JS_LOG, peer.mjs).
  // Imported here, not at the top: the plain parties never load the WASM package.
  if (process.env.MXCALL_INTEROP_JS_LOG !== "debug") {
    const { LoggerLevel, Tracing } = await import("@matrix-org/matrix-sdk-crypto-wasm");
    new Tracing(LoggerLevel.Warn).turnOn();
  }
  const crypto = client.getCrypto();
  if (!crypto) throw new Error("initRustCrypto left the client without crypto");
  sendLikeElement(crypto);
  client.on(sdk.MatrixEventEvent.Decrypted, (event, error) => {
    if (error || event.isDecryptionFailure()) {
      emit({ ev: "undecryptable", event_id: event.getId(), room_id: event.getRoomId(), sender: event.getSender(),
             reason: String(error?.code ?? event.decryptionFailureReason ?? error) });
    }
  });
}

// The initial state Element puts in a new direct chat: Megolm encryption from the first event on.
export const encryptionState = { type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } };

// Waits until the homeserver holds the identity keys of `deviceId` of `userId` (asked with /keys/query every 200 ms,
// at most `timeoutMs`): a peer can encrypt to a device only once its keys are there.
export async function awaitDeviceKeys(client, userId, deviceId, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await client.http.authedRequest(sdk.Method.Post, "/keys/query", undefined, { device_keys: { [userId]: [] } });
    const keys = reply.device_keys?.[userId]?.[deviceId];
    if (keys?.keys?.[`curve25519:${deviceId}`]) return { curve25519: keys.keys[`curve25519:${deviceId}`], ed25519: keys.keys[`ed25519:${deviceId}`] };
    if (Date.now() >= deadline) throw new Error(`the keys of ${userId}'s device ${deviceId} are not on the homeserver after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// A logged-in client with Rust crypto on, after its first sync (the verification peer: no calls, no party).
export async function startCryptoClient({ homeserver, user, password, device_id: deviceId }, emit) {
  const login = sdk.createClient({ baseUrl: homeserver });
  const session = await login.loginRequest({
    type: "m.login.password",
    identifier: { type: "m.id.user", user },
    password,
    ...(deviceId ? { device_id: deviceId } : {}),
    initial_device_display_name: "js-sdk verification peer",
  });
  login.stopClient();
  const client = sdk.createClient({
    baseUrl: homeserver,
    userId: session.user_id,
    deviceId: session.device_id,
    accessToken: session.access_token,
    logger,
  });
  await enableRustCrypto(client, emit);
  const synced = new Promise((resolve, reject) => {
    client.on(sdk.ClientEvent.Sync, (state) => {
      if (state === "PREPARED" || state === "SYNCING") resolve();
      if (state === "ERROR") reject(new Error("the first sync failed"));
    });
  });
  await client.startClient({ initialSyncLimit: 1 });
  await synced;
  return client;
}
