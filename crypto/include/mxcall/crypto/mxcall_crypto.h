/* mxcall's end-to-end encryption library (crypto/rust): one matrix-sdk-crypto OlmMachine per handle, with its
 * SQLite store, behind eleven C functions that take and return JSON text.
 *
 * Every function that returns `char*` returns a JSON object, never NULL (short of memory exhaustion):
 *   {"ok": <value>}                                                   on success,
 *   {"error": {"code": "...", "message": "...", "retryable": bool}}   on failure.
 * The caller frees it with mxc_string_free (and with nothing else). `message` is one line for people; `code` is
 * stable for programs. Codes: bad_argument, bad_json, store_missing, store_unavailable, store_unreadable,
 * store_mismatch, wrong_passphrase, store_error, sync_changes_failed, response_rejected, room_key_not_shared,
 * encrypt_failed, missing_room_key (retryable), unknown_message_index (retryable), room_key_withheld,
 * undecryptable, unknown_flow, wrong_state, unknown_device, several_devices, cross_signing_exists, internal, panic. A
 * NULL or non-UTF-8 argument is an error (bad_argument), never undefined behaviour; a panic inside the library is
 * caught and reported (panic). Calls on one handle are serialised by the handle (any thread may call); different
 * handles are independent. The homeserver's requests are described, never sent: the caller sends them and reports each
 * answer with mxc_mark_request_sent.
 *
 * A request (in the arrays below) is {"id", "kind", "method", "path", "body"}: send `body` (JSON) with `method` to
 * the homeserver's base URL + `path` (already escaped), and pass the 2xx answer body back. Kinds: keys_upload,
 * keys_query, keys_claim, to_device, signature_upload, room_message, signing_keys_upload (the cross-signing keys:
 * the homeserver may ask for user-interactive auth, which the caller adds to the body as "auth"). A failed request is
 * simply not marked: the machine asks for it again (to_device ones are re-issued by the next mxc_encrypt of that room).
 */
#ifndef MXCALL_CRYPTO_H
#define MXCALL_CRYPTO_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct MxcMachine MxcMachine;

/* Opens (or with "create": true, creates) the store and the machine of one device.
 * options: {"user_id", "device_id", "store_path" (a folder, made 0700; its files are 0600),
 *           "passphrase" (optional: encrypts the store's secrets), "create" (optional, default false)}.
 * A store that does not exist is store_missing unless "create" is true: a device whose keys are lost must say so.
 * On success *out is the handle and the value is the identity (as mxc_identity); on failure *out is NULL. */
char* mxc_open(const char* options_json, MxcMachine** out);

/* Closes the handle (NULL is ignored). The store stays on disk. */
void mxc_close(MxcMachine* handle);

/* {"user_id", "device_id", "ed25519", "curve25519", "store_path"}: this device's identity keys (base64). */
char* mxc_identity(const MxcMachine* handle);

/* One /sync's encryption changes: {"to_device": [events], "device_lists": {"changed": [...], "left": [...]},
 * "one_time_key_counts": {...}, "unused_fallback_key_types": [...] (optional), "next_batch": "..."}.
 * Value: {"room_keys": [{"room_id", "session_id", "sender_key"}], "to_device_events": n}: the room keys that
 * arrived, so events that could not be decrypted can be tried again. Call before decrypting that sync's timeline. */
char* mxc_receive_sync_changes(const MxcMachine* handle, const char* changes_json);

/* Value: the array of requests the machine wants sent now (keys upload, key queries, ...). */
char* mxc_outgoing_requests(const MxcMachine* handle);

/* The homeserver answered request `request_id` of `kind` with 2xx and this body. Value: {}. */
char* mxc_mark_request_sent(const MxcMachine* handle, const char* request_id, const char* kind,
                            const char* response_json);

/* input: {"room_id", "type", "content": {...}, "members": [user ids joined to the room],
 *         "call_start": bool (optional: the first event of a call; a room key with fewer than 50 of its 100
 *                             messages left, or expired, is replaced now rather than in the middle of the call)}.
 * Value: {"content": {...}} is the m.room.encrypted content to send; or {"requests": [...]}: send and mark those
 * (key queries, then one-time-key claims, then the room key to every device of every member), then call again
 * (call_start may stay set: a fresh key is not replaced again). Once the key is shared, an event costs no request. */
char* mxc_encrypt(const MxcMachine* handle, const char* input_json);

/* event_json: an m.room.encrypted event from the timeline of room_id. Value: {"event": {...the decrypted event},
 * "sender", "sender_device", "verification"}. Errors missing_room_key and unknown_message_index are retryable: try
 * again when mxc_receive_sync_changes reports a room key for that room. */
char* mxc_decrypt(const MxcMachine* handle, const char* room_id, const char* event_json);

/* Interactive verification with another device (SAS: emoji or decimals), by matrix-sdk-crypto's verification machine.
 * command: {"action", ...}; every value is {"flow"?: flow, "flows"?: [flow], "requests": [...]}: send the requests
 * at once (they carry this step's verification messages) and mark them as sent. Actions:
 *   request {user_id, device_id?}   to-device m.key.verification.request (SAS only) to that device; without one, to
 *                                   the user's only other device, or to all our own other devices (own user with a
 *                                   cross-signing identity); several devices of another user: several_devices.
 *                                   A value without "flow": the user's devices are being fetched; send the requests
 *                                   and ask again. Also use it to fetch a user's devices before waiting for theirs.
 *   watch {user_id}                 fetch that user's devices (requests arrive only from devices we know); the same
 *                                   "send and ask again" until the value has "flow": null.
 *   list                            every flow with the users we asked or who asked us (at most 32 users)
 *   state / accept / start_sas / accept_sas / confirm / mismatch / cancel  {user_id, flow_id}
 * A flow: {"user_id", "device_id", "flow_id", "we_started", "self_verification", "state", "emoji"?: [{"symbol",
 * "name"}] (7), "decimals"?: [3 numbers], "cancel"?: {"code", "reason", "by_us"}}; state is requested, ready,
 * started, keys_exchanged (compare the emoji now), confirmed, done or cancelled. Messages the machine makes on its
 * own (the key, the MAC, done) come from mxc_outgoing_requests. Errors: unknown_flow, wrong_state, unknown_device,
 * several_devices. */
char* mxc_verification(const MxcMachine* handle, const char* command_json);

/* Cross-signing of our own device. command: {"action": "status"} or {"action": "bootstrap"}. Value: {"status":
 * {"has_master", "has_self_signing", "has_user_signing" (private keys in this store), "identity_on_server",
 * "device_signed" (our self-signing key signed this device)}, "requests": [...]}: for bootstrap, keys_upload (if the
 * device keys are not up yet), signing_keys_upload, signature_upload, keys_query (our own keys read back, so that
 * device_signed says what the server holds), to send in that order; none when the device is already signed. A value
 * with "requests" alone: our own keys are being fetched; send them and ask again. An identity on the server whose
 * private keys this store lacks is never replaced: cross_signing_exists. */
char* mxc_cross_signing(const MxcMachine* handle, const char* command_json);

/* Frees a string returned by any function above (NULL is ignored). */
void mxc_string_free(char* text);

#ifdef __cplusplus
}
#endif

#endif /* MXCALL_CRYPTO_H */
