//! One OlmMachine on its SQLite store, driven by a current-thread tokio runtime. Every method takes and returns
//! serde_json values; the C ABI (lib.rs) serialises calls and turns these into strings.

use std::collections::BTreeMap;
use std::mem::ManuallyDrop;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use matrix_sdk_crypto::{
    types::{
        events::room::encrypted::EncryptedEvent,
        requests::{AnyIncomingResponse, AnyOutgoingRequest},
    },
    CryptoStoreError, DecryptionSettings, EncryptionSettings, EncryptionSyncChanges, MegolmError, OlmMachine,
    TrustRequirement,
};
use matrix_sdk_sqlite::{OpenStoreError, SqliteCryptoStore};
use ruma::{
    api::client::sync::sync_events::DeviceLists,
    events::{AnyMessageLikeEventContent, AnyToDeviceEvent},
    serde::Raw,
    DeviceId, OneTimeKeyAlgorithm, OwnedTransactionId, OwnedUserId, RoomId, UInt, UserId,
};
use serde_json::{json, Value};

use crate::error::{AbiError, AbiResult};
use crate::requests;

/// Files of the SQLite store inside the store directory (matrix-sdk-sqlite's name, and SQLite's WAL companions).
const DATABASE_FILE: &str = "matrix-sdk-crypto.sqlite3";
const DATABASE_FILES: [&str; 3] =
    ["matrix-sdk-crypto.sqlite3", "matrix-sdk-crypto.sqlite3-wal", "matrix-sdk-crypto.sqlite3-shm"];

/// Bounds on what the homeserver or a room member chooses (Synapse sends at most 100 to-device events per sync;
/// a Matrix event is at most 64 KiB).
const MAX_TO_DEVICE_EVENTS: usize = 1000;
const MAX_EVENT_BYTES: usize = 65536;
const MAX_ROOM_MEMBERS: usize = 5000;
/// The messages one side of a call may send (invite or answer, select_answer, negotiations, candidate batches,
/// hangup): js-sdk sends a few candidate batches, mxcall one per gathering burst; 50 leaves room for long calls.
const CALL_MESSAGES: u64 = 50;

pub struct Machine {
    // Dropped by hand inside the runtime's context (the store's connection pool hands its connections to tokio's
    // blocking pool when it closes), and before the runtime itself.
    olm: ManuallyDrop<OlmMachine>,
    runtime: tokio::runtime::Runtime,
    store_dir: PathBuf,
    /// See verification::MAX_VERIFICATION_USERS.
    verification_users: Mutex<Vec<OwnedUserId>>,
    /// See verification::MAX_TRACKED_FLOWS.
    tracked_flows: Mutex<Vec<crate::verification::TrackedFlow>>,
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _context = self.runtime.enter();
        // The kept verification objects hold store handles too.
        self.tracked_flows().clear();
        // SAFETY: dropped once, here, and never used afterwards.
        unsafe { ManuallyDrop::drop(&mut self.olm) };
    }
}

pub(crate) fn str_field<'a>(value: &'a Value, key: &str) -> AbiResult<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| AbiError::bad_argument(format!("'{key}' is missing or not a string")))
}

pub(crate) fn parse_user(text: &str) -> AbiResult<OwnedUserId> {
    UserId::parse(text).map_err(|e| AbiError::bad_argument(format!("'{text}' is not a Matrix user id: {e}")))
}

fn parse_room(text: &str) -> AbiResult<&RoomId> {
    <&RoomId>::try_from(text).map_err(|e| AbiError::bad_argument(format!("'{text}' is not a Matrix room id: {e}")))
}

fn decryption_settings() -> DecryptionSettings {
    // Element's default: decrypt from every device and report how far it is trusted; the C++ side passes the
    // verification state on, and verification itself comes later (docs/crypto.md says what this leaves open).
    DecryptionSettings { sender_device_trust_requirement: TrustRequirement::Untrusted }
}

fn restrict(path: &Path, mode: u32) {
    // Best effort: a file the umask made wider is narrowed; one we cannot chmod is left to the open that follows.
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

fn open_error(error: OpenStoreError, dir: &Path) -> AbiError {
    match error {
        OpenStoreError::InitCipher(e) => AbiError::new(
            "wrong_passphrase",
            format!("the encryption store {} does not open with this passphrase ({e}); give the passphrase it was created with", dir.display()),
        ),
        OpenStoreError::CreateDir(e) => AbiError::new(
            "store_unavailable",
            format!("cannot create the encryption store folder {} ({e}); check the path and its permissions", dir.display()),
        ),
        other => AbiError::new(
            "store_unavailable",
            format!("cannot open the encryption store {} ({other}); check the file and its permissions", dir.display()),
        ),
    }
}

fn machine_error(error: CryptoStoreError, dir: &Path, passphrase: bool) -> AbiError {
    match error {
        CryptoStoreError::MismatchedAccount { expected, got } => AbiError::new(
            "store_mismatch",
            format!(
                "the encryption store {} belongs to {} device {}, not {} device {}; use that device's session, or another store path",
                dir.display(), expected.0, expected.1, got.0, got.1
            ),
        ),
        other => AbiError::new(
            "store_unreadable",
            format!(
                "the encryption store {} cannot be read ({other}); {}",
                dir.display(),
                if passphrase { "is it the passphrase it was created with?" } else { "was it created with a passphrase?" }
            ),
        ),
    }
}

impl Machine {
    /// `{"user_id", "device_id", "store_path", "passphrase"?, "create"?}`. Without `create`, a store that does not
    /// exist yet is an error (`store_missing`): a device whose keys were lost cannot decrypt, and must say so.
    pub fn open(options: &Value) -> AbiResult<Machine> {
        let user = parse_user(str_field(options, "user_id")?)?;
        let device = str_field(options, "device_id")?;
        if device.is_empty() {
            return Err(AbiError::bad_argument("'device_id' is empty"));
        }
        let device: &DeviceId = device.into();
        let store_dir = PathBuf::from(str_field(options, "store_path")?);
        if store_dir.as_os_str().is_empty() {
            return Err(AbiError::bad_argument("'store_path' is empty"));
        }
        let passphrase = match options.get("passphrase") {
            None | Some(Value::Null) => None,
            Some(Value::String(p)) if p.is_empty() => None,
            Some(Value::String(p)) => Some(p.clone()),
            Some(_) => return Err(AbiError::bad_argument("'passphrase' is not a string")),
        };
        let create = options.get("create").and_then(Value::as_bool).unwrap_or(false);

        let exists = store_dir.join(DATABASE_FILE).exists();
        if !exists && !create {
            return Err(AbiError::new(
                "store_missing",
                format!(
                    "the encryption store {} is missing, so this device's keys are lost; log in again (a new device) to use encrypted rooms",
                    store_dir.display()
                ),
            ));
        }
        if !exists {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&store_dir).map_err(|e| {
                AbiError::new(
                    "store_unavailable",
                    format!(
                        "cannot create the encryption store folder {} ({e}); check the path and its permissions",
                        store_dir.display()
                    ),
                )
            })?;
        }
        restrict(&store_dir, 0o700);

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .map_err(|e| AbiError::new("internal", format!("cannot start the crypto runtime: {e}")))?;
        let store = runtime
            .block_on(SqliteCryptoStore::open(&store_dir, passphrase.as_deref()))
            .map_err(|e| open_error(e, &store_dir))?;
        for file in DATABASE_FILES {
            restrict(&store_dir.join(file), 0o600);
        }
        let olm = runtime
            .block_on(OlmMachine::with_store(&user, device, store, None))
            .map_err(|e| machine_error(e, &store_dir, passphrase.is_some()))?;
        Ok(Machine {
            olm: ManuallyDrop::new(olm),
            runtime,
            store_dir,
            verification_users: Mutex::new(Vec::new()),
            tracked_flows: Mutex::new(Vec::new()),
        })
    }

    pub(crate) fn olm(&self) -> &OlmMachine {
        &self.olm
    }

    pub(crate) fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }

    pub(crate) fn verification_users(&self) -> MutexGuard<'_, Vec<OwnedUserId>> {
        self.verification_users.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn tracked_flows(&self) -> MutexGuard<'_, Vec<crate::verification::TrackedFlow>> {
        self.tracked_flows.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whatever the machine has queued, when it holds a key query (a user's devices being fetched): the caller sends
    /// these and asks again, so the answer that follows is about known devices.
    pub(crate) fn pending_key_queries(&self) -> AbiResult<Option<Value>> {
        let pending = self.runtime.block_on(self.olm.outgoing_requests()).map_err(AbiError::store)?;
        if !pending.iter().any(|r| matches!(r.request(), AnyOutgoingRequest::KeysQuery(_))) {
            return Ok(None);
        }
        let described: AbiResult<Vec<Value>> = pending.iter().map(requests::outgoing_json).collect();
        Ok(Some(json!({"requests": described?})))
    }

    pub fn identity(&self) -> Value {
        let keys = self.olm.identity_keys();
        json!({
            "user_id": self.olm.user_id().as_str(),
            "device_id": self.olm.device_id().as_str(),
            "ed25519": keys.ed25519.to_base64(),
            "curve25519": keys.curve25519.to_base64(),
            "store_path": self.store_dir.display().to_string(),
        })
    }

    /// `{"to_device": [...], "device_lists": {"changed", "left"}, "one_time_key_counts": {...},
    /// "unused_fallback_key_types": [...]?, "next_batch": "..."}` from one /sync. Returns the room keys that arrived.
    pub fn receive_sync_changes(&self, changes: &Value) -> AbiResult<Value> {
        let to_device: Vec<Raw<AnyToDeviceEvent>> = match changes.get("to_device") {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| AbiError::bad_json("'to_device'", e))?,
        };
        if to_device.len() > MAX_TO_DEVICE_EVENTS {
            return Err(AbiError::bad_argument(format!(
                "{} to-device events in one sync (at most {MAX_TO_DEVICE_EVENTS})",
                to_device.len()
            )));
        }
        let device_lists: DeviceLists = match changes.get("device_lists") {
            None | Some(Value::Null) => DeviceLists::default(),
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| AbiError::bad_json("'device_lists'", e))?,
        };
        let counts: BTreeMap<OneTimeKeyAlgorithm, UInt> = match changes.get("one_time_key_counts") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(v) => serde_json::from_value(v.clone()).map_err(|e| AbiError::bad_json("'one_time_key_counts'", e))?,
        };
        let fallback: Option<Vec<OneTimeKeyAlgorithm>> = match changes.get("unused_fallback_key_types") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                serde_json::from_value(v.clone()).map_err(|e| AbiError::bad_json("'unused_fallback_key_types'", e))?,
            ),
        };
        if let Some(events) = changes.get("to_device") {
            self.note_verification_senders(events);
        }
        let next_batch = changes.get("next_batch").and_then(Value::as_str).map(str::to_owned);
        let received = to_device.len();
        let sync_changes = EncryptionSyncChanges {
            to_device_events: to_device,
            changed_devices: &device_lists,
            one_time_keys_counts: &counts,
            unused_fallback_keys: fallback.as_deref(),
            next_batch_token: next_batch,
        };
        let (_events, room_keys) =
            self.runtime.block_on(self.olm.receive_sync_changes(sync_changes, &decryption_settings())).map_err(
                |e| AbiError::new("sync_changes_failed", format!("the sync's encryption changes were not taken: {e}")),
            )?;
        let keys: Vec<Value> = room_keys
            .iter()
            .map(|k| json!({"room_id": k.room_id.as_str(), "session_id": k.session_id, "sender_key": k.sender_key.to_base64()}))
            .collect();
        Ok(json!({"room_keys": keys, "to_device_events": received}))
    }

    pub fn outgoing_requests(&self) -> AbiResult<Value> {
        let requests = self.runtime.block_on(self.olm.outgoing_requests()).map_err(AbiError::store)?;
        let described: AbiResult<Vec<Value>> = requests.iter().map(requests::outgoing_json).collect();
        Ok(Value::Array(described?))
    }

    /// The homeserver's 2xx answer to a request this machine asked for.
    pub fn mark_request_sent(&self, id: &str, kind: &str, body: &str) -> AbiResult<Value> {
        if id.is_empty() {
            return Err(AbiError::bad_argument("the request id is empty"));
        }
        let response = requests::parse_response(kind, body)?;
        let id: OwnedTransactionId = id.into();
        use requests::Response as R;
        let result = self.runtime.block_on(async {
            match &response {
                R::KeysUpload(r) => self.olm.mark_request_as_sent(&id, r).await,
                R::KeysQuery(r) => self.olm.mark_request_as_sent(&id, r).await,
                R::KeysClaim(r) => self.olm.mark_request_as_sent(&id, r).await,
                R::ToDevice(r) => self.olm.mark_request_as_sent(&id, r).await,
                R::SignatureUpload(r) => self.olm.mark_request_as_sent(&id, r).await,
                R::RoomMessage(r) => self.olm.mark_request_as_sent(&id, r).await,
                R::SigningKeysUpload(r) => {
                    self.olm.mark_request_as_sent(&id, AnyIncomingResponse::SigningKeysUpload(r)).await
                }
            }
        });
        result.map_err(|e| AbiError::new("response_rejected", format!("the {kind} response was not taken: {e}")))?;
        Ok(json!({}))
    }

    /// `{"room_id", "type", "content", "members": [...], "call_start"?: bool}`. Returns `{"content": {...}}` (the
    /// m.room.encrypted content) once the room key is shared with every device of `members`, or `{"requests": [...]}`
    /// to send (and mark as sent) before calling again: key queries first, then one-time-key claims, then the room
    /// key itself. An event after the first of a call costs no request at all.
    pub fn encrypt(&self, input: &Value) -> AbiResult<Value> {
        let room = parse_room(str_field(input, "room_id")?)?;
        let event_type = str_field(input, "type")?;
        let content = input
            .get("content")
            .filter(|c| c.is_object())
            .ok_or_else(|| AbiError::bad_argument("'content' is missing or not an object"))?;
        let members = input
            .get("members")
            .and_then(Value::as_array)
            .ok_or_else(|| AbiError::bad_argument("'members' is missing or not an array"))?;
        if members.len() > MAX_ROOM_MEMBERS {
            return Err(AbiError::bad_argument(format!("{} room members (at most {MAX_ROOM_MEMBERS})", members.len())));
        }
        let members: Vec<OwnedUserId> = members
            .iter()
            .map(|m| m.as_str().ok_or_else(|| AbiError::bad_argument("a member is not a string")).and_then(parse_user))
            .collect::<AbiResult<_>>()?;
        let call_start = input.get("call_start").and_then(Value::as_bool).unwrap_or(false);
        let raw_content: Raw<AnyMessageLikeEventContent> =
            Raw::new(content).map_err(|e| AbiError::bad_json("'content'", e))?.cast_unchecked();

        self.runtime.block_on(async {
            if call_start && self.key_runs_out_during_a_call(room).await? {
                self.olm.discard_room_key(room).await.map_err(AbiError::store)?;
            }
            self.olm.update_tracked_users(members.iter().map(|m| m.as_ref())).await.map_err(AbiError::store)?;
            let pending = self.olm.outgoing_requests().await.map_err(AbiError::store)?;
            if !pending.is_empty() {
                let described: AbiResult<Vec<Value>> = pending.iter().map(requests::outgoing_json).collect();
                return Ok(json!({"requests": described?}));
            }
            let claim =
                self.olm.get_missing_sessions(members.iter().map(|m| m.as_ref())).await.map_err(AbiError::store)?;
            if let Some((id, request)) = claim {
                return Ok(json!({"requests": [requests::claim_json(id.as_str(), &request)?]}));
            }
            let shares = self
                .olm
                .share_room_key(room, members.iter().map(|m| m.as_ref()), EncryptionSettings::default())
                .await
                .map_err(|e| {
                    AbiError::new("room_key_not_shared", format!("the room key of {room} could not be shared: {e}"))
                })?;
            if !shares.is_empty() {
                let described: AbiResult<Vec<Value>> = shares.iter().map(|r| requests::to_device_json(r)).collect();
                return Ok(json!({"requests": described?}));
            }
            let sealed = self.olm.encrypt_room_event_raw(room, event_type, &raw_content).await.map_err(|e| {
                AbiError::new("encrypt_failed", format!("{event_type} for {room} could not be encrypted: {e}"))
            })?;
            let content: Value = serde_json::from_str(sealed.content.json().get())
                .map_err(|e| AbiError::bad_json("the encrypted content", e))?;
            Ok(json!({"content": content}))
        })
    }

    /// Whether the room's current outbound Megolm session could reach its rotation limit during a call (fewer than
    /// CALL_MESSAGES messages left, or expired): then the first event of the call starts a new one, so the key
    /// sharing falls on that event and never on a candidate batch in the middle of the call.
    async fn key_runs_out_during_a_call(&self, room: &RoomId) -> AbiResult<bool> {
        let Some(session) = self.olm.store().get_outbound_group_session(room).await.map_err(AbiError::store)? else {
            return Ok(false); // none yet: the share that follows makes one
        };
        let used = u64::from(session.message_index().await);
        let limit = EncryptionSettings::default().rotation_period_msgs;
        Ok(session.expired() || used + CALL_MESSAGES >= limit)
    }

    /// `event_json` is an m.room.encrypted event as the timeline gave it. Returns `{"event": {...},
    /// "sender_device", "verification"}`, or an error whose `retryable` says whether a later room key may help.
    pub fn decrypt(&self, room_id: &str, event_json: &str) -> AbiResult<Value> {
        let room = parse_room(room_id)?;
        if event_json.len() > MAX_EVENT_BYTES {
            return Err(AbiError::bad_argument(format!(
                "the event is {} bytes (a Matrix event is at most {MAX_EVENT_BYTES})",
                event_json.len()
            )));
        }
        let raw: Raw<EncryptedEvent> =
            serde_json::from_str(event_json).map_err(|e| AbiError::bad_json("the event", e))?;
        // The envelope is checked here, so a malformed event is told apart from one that does not decrypt.
        raw.deserialize().map_err(|e| AbiError::bad_json("the encrypted event", e))?;
        let result = self.runtime.block_on(self.olm.decrypt_room_event(&raw, room, &decryption_settings()));
        match result {
            Ok(decrypted) => {
                let event: Value = serde_json::from_str(decrypted.event.json().get())
                    .map_err(|e| AbiError::bad_json("the decrypted event", e))?;
                let info = &decrypted.encryption_info;
                Ok(json!({
                    "event": event,
                    "sender": info.sender.as_str(),
                    "sender_device": info.sender_device.as_ref().map(|d| d.as_str()),
                    "verification": format!("{:?}", info.verification_state),
                }))
            }
            Err(MegolmError::MissingRoomKey(None)) => Err(AbiError::retryable(
                "missing_room_key",
                "the room key for this event has not arrived (yet) from the sender's device",
            )),
            Err(MegolmError::MissingRoomKey(Some(code))) => Err(AbiError::new(
                "room_key_withheld",
                format!("the sender's device withheld the room key for this event ({code})"),
            )),
            Err(MegolmError::Decryption(
                e @ matrix_sdk_crypto::vodozemac::megolm::DecryptionError::UnknownMessageIndex(..),
            )) => Err(AbiError::retryable(
                "unknown_message_index",
                format!("the room key we hold starts after this event ({e})"),
            )),
            Err(MegolmError::Store(e)) => Err(AbiError::store(e)),
            Err(e) => Err(AbiError::new("undecryptable", format!("the event cannot be decrypted: {e}"))),
        }
    }
}
