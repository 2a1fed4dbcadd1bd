//! Cross-signing for our own device: a master key, a self-signing key that signs this device, and a user-signing key
//! for other users' identities, made and uploaded by matrix-sdk-crypto's `bootstrap_cross_signing`. With it, another
//! user who verified us (or our own Element session that holds the keys) trusts this device through its owner.

use serde_json::{json, Value};

use crate::error::{AbiError, AbiResult};
use crate::machine::{str_field, Machine};
use crate::requests;

impl Machine {
    /// `{"has_master", "has_self_signing", "has_user_signing"}`: private keys held in this store;
    /// `"identity_on_server"`: our user has a master key on the homeserver (as last queried);
    /// `"device_signed"`: that identity's self-signing key has signed this device.
    fn cross_signing_status(&self) -> AbiResult<Value> {
        let olm = self.olm();
        let status = self.runtime().block_on(olm.cross_signing_status());
        let identity = self.runtime().block_on(olm.get_identity(olm.user_id(), None)).map_err(AbiError::store)?;
        let own = identity.and_then(|i| i.own());
        let device_signed = match &own {
            Some(own) => self.runtime().block_on(own.trusts_our_own_device()).map_err(AbiError::store)?,
            None => false,
        };
        Ok(json!({
            "has_master": status.has_master,
            "has_self_signing": status.has_self_signing,
            "has_user_signing": status.has_user_signing,
            "identity_on_server": own.is_some(),
            "device_signed": device_signed,
        }))
    }

    /// Our own user's keys, queried when the store does not know them yet: the caller sends these and asks again.
    fn own_keys_pending(&self) -> AbiResult<Option<Value>> {
        let olm = self.olm();
        self.runtime().block_on(olm.update_tracked_users([olm.user_id()])).map_err(AbiError::store)?;
        self.pending_key_queries()
    }

    /// `{"action": "status"}` → `{"status": {...}, "requests": []}`;
    /// `{"action": "bootstrap"}` → `{"status": {...}, "requests": [keys_upload?, signing_keys_upload,
    /// signature_upload, keys_query (our own, to read the signature back)]}`, to be sent in that order (the signing keys upload may need user-interactive auth).
    /// Either may answer `{"requests": [...]}` alone first: our own keys are being queried; send and ask again.
    /// A cross-signing identity on the server whose private keys this store lacks is never replaced
    /// (`cross_signing_exists`): that would reset the trust every other device and user has in this account.
    pub fn cross_signing(&self, input: &Value) -> AbiResult<Value> {
        let action = str_field(input, "action")?;
        if action != "status" && action != "bootstrap" {
            return Err(AbiError::bad_argument(format!("unknown cross-signing action '{action}'")));
        }
        if let Some(pending) = self.own_keys_pending()? {
            return Ok(pending);
        }
        let status = self.cross_signing_status()?;
        if action == "status" {
            return Ok(json!({"status": status, "requests": []}));
        }
        let holds_keys = status["has_master"] == json!(true);
        if status["identity_on_server"] == json!(true) && !holds_keys {
            return Err(AbiError::new(
                "cross_signing_exists",
                format!(
                    "{} already has cross-signing keys that this device does not hold; verify this device from a session \
                     that has them (for example Element: mxcall verify --wait) instead of replacing them",
                    self.olm().user_id()
                ),
            ));
        }
        if holds_keys && status["device_signed"] == json!(true) {
            return Ok(json!({"status": status, "requests": []}));
        }
        let bootstrap = self.runtime().block_on(self.olm().bootstrap_cross_signing(false)).map_err(AbiError::store)?;
        let mut out = Vec::new();
        if let Some(upload) = &bootstrap.upload_keys_req {
            out.push(requests::outgoing_json(upload)?);
        }
        let id = ruma::TransactionId::new();
        out.push(requests::signing_keys_upload_json(id.as_str(), &bootstrap.upload_signing_keys_req)?);
        let id = ruma::TransactionId::new();
        out.push(requests::signature_upload_json(id.as_str(), &bootstrap.upload_signatures_req)?);
        // Our own keys again, last: the stored copy of this device then carries the new signature, which is what
        // "device_signed" reads (from the server, not from what we meant to upload).
        let (id, query) = self.olm().query_keys_for_users([self.olm().user_id()]);
        out.push(requests::keys_query_json(id.as_str(), &query)?);
        Ok(json!({"status": status, "requests": out}))
    }
}
