//! Interactive device verification (SAS, emoji or decimals) through matrix-sdk-crypto's own verification machine,
//! and the cross-signing bootstrap that lets other users' clients trust this device through its owner.
//!
//! Nothing of the protocol is done here: the library's `VerificationRequest` and `Sas` objects run it. This module
//! finds them by (user, flow id), calls their transitions, describes their state as JSON, and hands back the
//! requests each transition returns, to be sent at once. Messages the machine produces on its own (the key after an
//! accept, the MAC, `done`) come out of `outgoing_requests` with the rest.

use std::collections::BTreeSet;

use matrix_sdk_crypto::{
    types::requests::OutgoingVerificationRequest, CancelInfo, Sas, Verification, VerificationRequest,
    VerificationRequestState,
};
use ruma::{
    events::key::verification::{cancel::CancelCode, VerificationMethod},
    OwnedUserId, TransactionId,
};
use serde_json::{json, Value};

use crate::error::{AbiError, AbiResult};
use crate::machine::{parse_user, str_field, Machine};
use crate::requests;

/// Users whose verification requests the machine is asked about (those we asked, those who asked us). Bounded: a
/// stranger may send requests, but only this many users are remembered; the oldest is forgotten first.
pub const MAX_VERIFICATION_USERS: usize = 32;
/// Flows remembered after the library forgets them (it drops finished ones at the next sync), so their end (done,
/// cancelled with its reason) and the emoji compared can still be read; the oldest is forgotten first.
pub const MAX_TRACKED_FLOWS: usize = 32;
/// A flow id is a transaction id the other side chose; Matrix ids are at most 255 bytes.
const MAX_FLOW_ID_BYTES: usize = 255;

fn sas_only() -> Vec<VerificationMethod> {
    vec![VerificationMethod::SasV1]
}

fn cancel_json(info: &CancelInfo) -> Value {
    json!({"code": info.cancel_code().as_str(), "reason": info.reason(), "by_us": info.cancelled_by_us()})
}

/// A request and the SAS it turned into, kept past the library's garbage collection.
pub struct TrackedFlow {
    request: VerificationRequest,
    sas: Option<Box<Sas>>,
}

impl TrackedFlow {
    fn is(&self, user: &str, flow_id: &str) -> bool {
        self.request.other_user().as_str() == user && self.request.flow_id().as_str() == flow_id
    }
}

fn sas_of(verification: Option<Verification>) -> Option<Box<Sas>> {
    #[allow(unreachable_patterns)]
    match verification? {
        Verification::SasV1(sas) => Some(sas),
        _ => None,
    }
}

fn sas_json(sas: &Sas, flow: &mut Value) -> &'static str {
    if let Some(emoji) = sas.emoji() {
        flow["emoji"] = emoji.iter().map(|e| json!({"symbol": e.symbol, "name": e.description})).collect();
    }
    if let Some((a, b, c)) = sas.decimals() {
        flow["decimals"] = json!([a, b, c]);
    }
    if let Some(info) = sas.cancel_info() {
        flow["cancel"] = cancel_json(&info);
        "cancelled"
    } else if sas.is_done() {
        "done"
    } else if sas.have_we_confirmed() {
        "confirmed"
    } else if sas.can_be_presented() {
        "keys_exchanged"
    } else {
        "started"
    }
}

/// `{"user_id", "device_id", "flow_id", "we_started", "self_verification", "state", "emoji"?, "decimals"?,
/// "cancel"?}`; `state` is one of requested, ready, started, keys_exchanged, confirmed, done, cancelled.
fn flow_json(machine: &Machine, request: &VerificationRequest) -> Value {
    let mut flow = json!({
        "user_id": request.other_user().as_str(),
        "device_id": request.other_device_id().map(|d| d.to_string()),
        "flow_id": request.flow_id().as_str(),
        "we_started": request.we_started(),
        "self_verification": request.is_self_verification(),
    });
    let sas = machine.sas_for(request);
    let state = match request.state() {
        VerificationRequestState::Cancelled(info) => {
            flow["cancel"] = cancel_json(&info);
            "cancelled"
        }
        VerificationRequestState::Created { .. } | VerificationRequestState::Requested { .. } => "requested",
        VerificationRequestState::Ready { .. } => "ready",
        VerificationRequestState::Transitioned { verification, .. } => match sas_of(Some(verification)) {
            Some(sas) => sas_json(&sas, &mut flow),
            None => "started",
        },
        VerificationRequestState::Done => {
            // Keep the emoji the user compared in the final report.
            if let Some(sas) = &sas {
                sas_json(sas, &mut flow);
            }
            "done"
        }
    };
    flow["state"] = json!(state);
    flow
}

fn described(requests: impl IntoIterator<Item = OutgoingVerificationRequest>) -> AbiResult<Vec<Value>> {
    requests.into_iter().map(|r| requests::verification_json(&r)).collect()
}

impl Machine {
    /// Keeps `request` (and later its SAS) past the library's garbage collection.
    fn track(&self, request: &VerificationRequest) {
        let mut flows = self.tracked_flows();
        if flows.iter().any(|f| f.is(request.other_user().as_str(), request.flow_id().as_str())) {
            return;
        }
        if flows.len() >= MAX_TRACKED_FLOWS {
            flows.remove(0);
        }
        flows.push(TrackedFlow { request: request.clone(), sas: None });
    }

    /// The flow's SAS from the library while it has it, else the one kept when it last did.
    fn sas_for(&self, request: &VerificationRequest) -> Option<Box<Sas>> {
        let (user, flow_id) = (request.other_user().as_str(), request.flow_id().as_str());
        let live = sas_of(self.olm().get_verification(request.other_user(), flow_id));
        let mut flows = self.tracked_flows();
        let tracked = flows.iter_mut().find(|f| f.is(user, flow_id));
        match (live, tracked) {
            (Some(sas), Some(tracked)) => {
                tracked.sas = Some(sas.clone());
                Some(sas)
            }
            (Some(sas), None) => Some(sas),
            (None, Some(tracked)) => tracked.sas.clone(),
            (None, None) => None,
        }
    }

    fn remember(&self, user: &OwnedUserId) {
        let mut users = self.verification_users();
        if users.iter().any(|u| u == user) {
            return;
        }
        if users.len() >= MAX_VERIFICATION_USERS {
            users.remove(0);
        }
        users.push(user.clone());
    }

    /// Notes the senders of verification requests in one sync's to-device events, so `list` can find requests
    /// nobody asked about by name (someone starting a verification from Element).
    pub fn note_verification_senders(&self, to_device: &Value) {
        let Some(events) = to_device.as_array() else { return };
        let senders: BTreeSet<&str> = events
            .iter()
            .filter(|e| e.get("type").and_then(Value::as_str) == Some("m.key.verification.request"))
            .filter_map(|e| e.get("sender").and_then(Value::as_str))
            .collect();
        for sender in senders {
            if let Ok(user) = parse_user(sender) {
                self.remember(&user);
            }
        }
    }

    fn find_request(&self, input: &Value) -> AbiResult<VerificationRequest> {
        let user = parse_user(str_field(input, "user_id")?)?;
        let flow_id = str_field(input, "flow_id")?;
        if flow_id.is_empty() || flow_id.len() > MAX_FLOW_ID_BYTES {
            return Err(AbiError::bad_argument(format!("'flow_id' is empty or longer than {MAX_FLOW_ID_BYTES} bytes")));
        }
        let request = self
            .olm()
            .get_verification_request(&user, flow_id)
            .or_else(|| self.tracked_flows().iter().find(|f| f.is(user.as_str(), flow_id)).map(|f| f.request.clone()));
        let request = request.ok_or_else(|| {
            AbiError::new("unknown_flow", format!("no verification {flow_id} with {user} (it may have timed out)"))
        })?;
        self.track(&request);
        Ok(request)
    }

    fn sas_of_request(&self, request: &VerificationRequest) -> AbiResult<Box<Sas>> {
        self.sas_for(request).ok_or_else(|| {
            AbiError::new("wrong_state", format!("verification {} has no SAS flow yet", request.flow_id().as_str()))
        })
    }

    /// `{"action": ..., ...}`; every answer is `{"flow"?: {...}, "flows"?: [...], "requests": [...]}`. The requests
    /// are to be sent now (then marked as sent). An answer without "flow" to "request" means: the user's devices are
    /// being fetched; send the requests and ask again.
    pub fn verification(&self, input: &Value) -> AbiResult<Value> {
        // Verification objects hold store handles, which must be dropped inside the runtime (an evicted flow, say).
        let _context = self.runtime().enter();
        let action = str_field(input, "action")?;
        match action {
            "request" => self.request_verification(input),
            "watch" => {
                let user = parse_user(str_field(input, "user_id")?)?;
                self.runtime().block_on(self.olm().update_tracked_users([user.as_ref()])).map_err(AbiError::store)?;
                self.remember(&user);
                Ok(self.pending_key_queries()?.unwrap_or_else(|| json!({"flow": null, "requests": []})))
            }
            "list" => {
                // Our own user always: another of our devices (Element) may ask at any time.
                let mut users = self.verification_users().clone();
                if !users.iter().any(|u| u.as_str() == self.olm().user_id().as_str()) {
                    users.push(self.olm().user_id().to_owned());
                }
                for request in users.iter().flat_map(|u| self.olm().get_verification_requests(u)) {
                    self.track(&request);
                }
                let requests: Vec<VerificationRequest> =
                    self.tracked_flows().iter().map(|f| f.request.clone()).collect();
                let flows: Vec<Value> = requests.iter().map(|r| flow_json(self, r)).collect();
                Ok(json!({"flows": flows, "requests": []}))
            }
            "state" => {
                let request = self.find_request(input)?;
                Ok(json!({"flow": flow_json(self, &request), "requests": []}))
            }
            "accept" => {
                let request = self.find_request(input)?;
                let out = request.accept_with_methods(sas_only());
                self.answer(&request, out)
            }
            "start_sas" => {
                let request = self.find_request(input)?;
                let started = self.runtime().block_on(request.start_sas()).map_err(AbiError::store)?;
                let (_, out) = started.ok_or_else(|| {
                    AbiError::new("wrong_state", "SAS can start only once the request is ready (accepted by both)")
                })?;
                self.answer(&request, Some(out))
            }
            "accept_sas" => {
                let request = self.find_request(input)?;
                let sas = self.sas_of_request(&request)?;
                self.answer(&request, sas.accept())
            }
            "confirm" => {
                let request = self.find_request(input)?;
                let sas = self.sas_of_request(&request)?;
                if !sas.can_be_presented() {
                    return Err(AbiError::new("wrong_state", "the short authentication string is not there yet"));
                }
                let (messages, signatures) = self.runtime().block_on(sas.confirm()).map_err(AbiError::store)?;
                let mut out = described(messages)?;
                if let Some(signatures) = signatures {
                    out.push(requests::signature_upload_json(TransactionId::new().as_str(), &signatures)?);
                }
                Ok(json!({"flow": flow_json(self, &request), "requests": out}))
            }
            "mismatch" => {
                let request = self.find_request(input)?;
                let sas = self.sas_of_request(&request)?;
                self.answer(&request, sas.cancel_with_code(CancelCode::MismatchedSas))
            }
            "cancel" => {
                let request = self.find_request(input)?;
                let out = match self.sas_for(&request) {
                    Some(sas) => sas.cancel(),
                    None => request.cancel(),
                };
                self.answer(&request, out)
            }
            other => Err(AbiError::bad_argument(format!("unknown verification action '{other}'"))),
        }
    }

    fn answer(&self, request: &VerificationRequest, out: Option<OutgoingVerificationRequest>) -> AbiResult<Value> {
        Ok(json!({"flow": flow_json(self, request), "requests": described(out)?}))
    }

    /// `{"user_id", "device_id"?}`: a to-device `m.key.verification.request` (SAS only) to that device; without a
    /// device, to the user's only other device, or, for our own user with a cross-signing identity, to all our other
    /// devices. Several devices of another user and none named is an error that lists them.
    fn request_verification(&self, input: &Value) -> AbiResult<Value> {
        let user = parse_user(str_field(input, "user_id")?)?;
        let device = match input.get("device_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(d)) if !d.is_empty() && d.len() <= MAX_FLOW_ID_BYTES => Some(d.clone()),
            Some(_) => return Err(AbiError::bad_argument("'device_id' is not a non-empty string")),
        };
        let olm = self.olm();
        self.runtime().block_on(olm.update_tracked_users([user.as_ref()])).map_err(AbiError::store)?;
        if let Some(pending) = self.pending_key_queries()? {
            return Ok(pending);
        }
        let devices = self.runtime().block_on(olm.get_user_devices(&user, None)).map_err(AbiError::store)?;
        let others: Vec<String> = devices
            .keys()
            .filter(|d| !(user.as_str() == olm.user_id().as_str() && *d == olm.device_id()))
            .map(|d| d.to_string())
            .collect();
        let chosen = match device {
            Some(d) if user.as_str() == olm.user_id().as_str() && d == olm.device_id().as_str() => {
                return Err(AbiError::bad_argument("that is this device: name another one"));
            }
            Some(d) if others.contains(&d) => d,
            Some(d) => {
                return Err(AbiError::new(
                    "unknown_device",
                    format!("{user} has no device {d} with encryption keys (devices: {})", list_or_none(&others)),
                ))
            }
            None if others.len() == 1 => others[0].clone(),
            None if others.is_empty() => {
                return Err(AbiError::new("unknown_device", format!("{user} has no other device with encryption keys")))
            }
            None if user.as_str() == olm.user_id().as_str() => return self.request_self_verification(&user, &others),
            None => {
                return Err(AbiError::new(
                    "several_devices",
                    format!("{user} has several devices; name one of: {}", others.join(", ")),
                ))
            }
        };
        let device = devices.get(chosen.as_str().into()).ok_or_else(|| {
            AbiError::new("unknown_device", format!("{user} has no device {chosen} with encryption keys"))
        })?;
        let (request, out) = device.request_verification_with_methods(sas_only());
        self.remember(&user);
        self.track(&request);
        self.answer(&request, Some(out))
    }

    fn request_self_verification(&self, user: &OwnedUserId, others: &[String]) -> AbiResult<Value> {
        let identity = self.runtime().block_on(self.olm().get_identity(user, None)).map_err(AbiError::store)?;
        let own = identity.and_then(|i| i.own()).ok_or_else(|| {
            AbiError::new(
                "several_devices",
                format!(
                    "{user} has several devices and no cross-signing identity to reach them all; name one of: {}",
                    others.join(", ")
                ),
            )
        })?;
        let (request, out) =
            self.runtime().block_on(own.request_verification_with_methods(sas_only())).map_err(AbiError::store)?;
        self.remember(user);
        self.answer(&request, Some(out))
    }
}

fn list_or_none(devices: &[String]) -> String {
    if devices.is_empty() {
        "none".into()
    } else {
        devices.join(", ")
    }
}
