// matrix-js-sdk with its Rust crypto (matrix-sdk-crypto-wasm, as Element Web runs it) in Node: log in, start the
// crypto in memory (no IndexedDB in Node), sync until the first sync is done. Only what the verification peer needs.
import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";

export async function startCryptoClient({ homeserver, user, password, device_id: deviceId }) {
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
  await client.initRustCrypto({ useIndexedDB: false });
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
