//! The OlmMachine's outgoing requests as plain HTTP descriptions (method, path, JSON body) for the C++ homeserver
//! client to send, and the homeserver's answers turned back into the typed responses the machine expects.

use matrix_sdk_crypto::types::requests::{
    AnyOutgoingRequest, KeysQueryRequest, OutgoingRequest, OutgoingVerificationRequest, RoomMessageRequest,
    ToDeviceRequest, UploadSigningKeysRequest,
};
use ruma::api::{
    client::{
        keys::{claim_keys, get_keys, upload_keys, upload_signatures, upload_signing_keys},
        message::send_message_event,
        to_device::send_event_to_device,
    },
    IncomingResponse,
};
use serde_json::{json, Value};

use crate::error::{AbiError, AbiResult};

const API: &str = "/_matrix/client/v3";

/// Percent-encodes one path segment (everything but RFC 3986's unreserved characters).
fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn to_value(what: &str, value: impl serde::Serialize) -> AbiResult<Value> {
    serde_json::to_value(value).map_err(|e| AbiError::new("internal", format!("could not serialise {what}: {e}")))
}

fn describe(id: &str, kind: &str, method: &str, path: String, body: Value) -> Value {
    json!({"id": id, "kind": kind, "method": method, "path": path, "body": body})
}

pub fn to_device_json(request: &ToDeviceRequest) -> AbiResult<Value> {
    let path =
        format!("{API}/sendToDevice/{}/{}", segment(&request.event_type.to_string()), segment(request.txn_id.as_str()));
    Ok(describe(
        request.txn_id.as_str(),
        "to_device",
        "PUT",
        path,
        json!({"messages": to_value("messages", &request.messages)?}),
    ))
}

pub fn outgoing_json(request: &OutgoingRequest) -> AbiResult<Value> {
    let id = request.request_id().as_str();
    match request.request() {
        AnyOutgoingRequest::KeysUpload(r) => {
            let mut body = serde_json::Map::new();
            if let Some(keys) = &r.device_keys {
                body.insert("device_keys".into(), to_value("device keys", keys)?);
            }
            if !r.one_time_keys.is_empty() {
                body.insert("one_time_keys".into(), to_value("one-time keys", &r.one_time_keys)?);
            }
            if !r.fallback_keys.is_empty() {
                body.insert("fallback_keys".into(), to_value("fallback keys", &r.fallback_keys)?);
            }
            Ok(describe(id, "keys_upload", "POST", format!("{API}/keys/upload"), Value::Object(body)))
        }
        AnyOutgoingRequest::KeysQuery(r) => keys_query_json(id, r),
        AnyOutgoingRequest::KeysClaim(r) => Ok(claim_json(id, r)?),
        AnyOutgoingRequest::ToDeviceRequest(r) => {
            let mut value = to_device_json(r)?;
            value["id"] = json!(id);
            Ok(value)
        }
        AnyOutgoingRequest::SignatureUpload(r) => signature_upload_json(id, r),
        AnyOutgoingRequest::RoomMessage(r) => room_message_json(id, r),
    }
}

fn room_message_json(id: &str, r: &RoomMessageRequest) -> AbiResult<Value> {
    let event_type = ruma::events::MessageLikeEventContent::event_type(r.content.as_ref()).to_string();
    let path = format!(
        "{API}/rooms/{}/send/{}/{}",
        segment(r.room_id.as_str()),
        segment(&event_type),
        segment(r.txn_id.as_str())
    );
    Ok(describe(id, "room_message", "PUT", path, to_value("room message", &r.content)?))
}

pub fn signature_upload_json(id: &str, r: &upload_signatures::v3::Request) -> AbiResult<Value> {
    Ok(describe(
        id,
        "signature_upload",
        "POST",
        format!("{API}/keys/signatures/upload"),
        to_value("signatures", &r.signed_keys)?,
    ))
}

/// The cross-signing keys; the homeserver may answer 401 asking for user-interactive auth, which the caller adds as
/// `auth` to this body.
pub fn signing_keys_upload_json(id: &str, r: &UploadSigningKeysRequest) -> AbiResult<Value> {
    let mut body = serde_json::Map::new();
    for (name, key) in [
        ("master_key", &r.master_key),
        ("self_signing_key", &r.self_signing_key),
        ("user_signing_key", &r.user_signing_key),
    ] {
        if let Some(key) = key {
            body.insert(name.into(), to_value(name, key)?);
        }
    }
    Ok(describe(id, "signing_keys_upload", "POST", format!("{API}/keys/device_signing/upload"), Value::Object(body)))
}

/// A verification message (request, ready, start, accept, key, mac, done, cancel) to send at once.
pub fn verification_json(request: &OutgoingVerificationRequest) -> AbiResult<Value> {
    match request {
        OutgoingVerificationRequest::ToDevice(r) => to_device_json(r),
        OutgoingVerificationRequest::InRoom(r) => room_message_json(r.txn_id.as_str(), r),
    }
}

pub fn keys_query_json(id: &str, r: &KeysQueryRequest) -> AbiResult<Value> {
    let mut body = json!({"device_keys": to_value("device list", &r.device_keys)?});
    if let Some(timeout) = r.timeout {
        body["timeout"] = json!(timeout.as_millis() as u64);
    }
    Ok(describe(id, "keys_query", "POST", format!("{API}/keys/query"), body))
}

pub fn claim_json(id: &str, request: &claim_keys::v3::Request) -> AbiResult<Value> {
    let mut body = json!({"one_time_keys": to_value("key claim", &request.one_time_keys)?});
    if let Some(timeout) = request.timeout {
        body["timeout"] = json!(timeout.as_millis() as u64);
    }
    Ok(describe(id, "keys_claim", "POST", format!("{API}/keys/claim"), body))
}

/// A typed response parsed from the homeserver's 2xx answer body.
pub enum Response {
    KeysUpload(upload_keys::v3::Response),
    KeysQuery(get_keys::v3::Response),
    KeysClaim(claim_keys::v3::Response),
    ToDevice(send_event_to_device::v3::Response),
    SignatureUpload(upload_signatures::v3::Response),
    RoomMessage(send_message_event::v3::Response),
    SigningKeysUpload(upload_signing_keys::v3::Response),
}

fn parse<R: IncomingResponse>(kind: &str, body: &str) -> AbiResult<R> {
    let response = http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .map_err(|e| AbiError::new("internal", format!("could not build the {kind} response: {e}")))?;
    R::try_from_http_response(response).map_err(|e| AbiError::bad_json(&format!("the {kind} response"), e))
}

pub fn parse_response(kind: &str, body: &str) -> AbiResult<Response> {
    Ok(match kind {
        "keys_upload" => Response::KeysUpload(parse(kind, body)?),
        "keys_query" => Response::KeysQuery(parse(kind, body)?),
        "keys_claim" => Response::KeysClaim(parse(kind, body)?),
        "to_device" => Response::ToDevice(parse(kind, body)?),
        "signature_upload" => Response::SignatureUpload(parse(kind, body)?),
        "room_message" => Response::RoomMessage(parse(kind, body)?),
        "signing_keys_upload" => Response::SigningKeysUpload(parse(kind, body)?),
        other => return Err(AbiError::bad_argument(format!("unknown request kind '{other}'"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(segment("m.room.encrypted"), "m.room.encrypted");
        assert_eq!(segment("!a:b/c d"), "%21a%3Ab%2Fc%20d");
    }

    #[test]
    fn unknown_kind_and_bad_body_are_errors() {
        assert_eq!(parse_response("nope", "{}").err().unwrap().code, "bad_argument");
        assert_eq!(parse_response("keys_upload", "not json").err().unwrap().code, "bad_json");
        assert!(parse_response("to_device", "{}").is_ok());
    }
}
