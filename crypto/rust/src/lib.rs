//! mxcall's end-to-end encryption: one matrix-sdk-crypto `OlmMachine` per handle behind a small C ABI of JSON
//! strings (declared in crypto/include/mxcall/crypto/mxcall_crypto.h, which documents every function).
//!
//! Rules every function keeps: a result is always a JSON object, `{"ok": value}` or
//! `{"error": {"code", "message", "retryable"}}`, returned as a string the caller frees with `mxc_string_free`;
//! a null or non-UTF-8 argument is an error, never undefined behaviour; a panic never crosses the ABI
//! (`catch_unwind`, reported as code `panic`); calls on one handle are serialised by its mutex.

mod cross_signing;
mod error;
mod machine;
mod requests;
mod verification;

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use serde_json::{json, Value};

use error::{AbiError, AbiResult};
use machine::Machine;

/// The opaque handle of the C ABI.
pub struct MxcMachine {
    inner: Mutex<Machine>,
}

fn to_c_string(value: Value) -> *mut c_char {
    // serde_json escapes U+0000 inside strings, so the text never holds an interior NUL.
    match CString::new(value.to_string()) {
        Ok(text) => text.into_raw(),
        Err(_) => CString::new(r#"{"error":{"code":"internal","message":"result held a NUL byte","retryable":false}}"#)
            .map(CString::into_raw)
            .unwrap_or(std::ptr::null_mut()),
    }
}

fn guarded(call: impl FnOnce() -> AbiResult<Value>) -> *mut c_char {
    let outcome = catch_unwind(AssertUnwindSafe(call));
    let value = match outcome {
        Ok(Ok(value)) => json!({ "ok": value }),
        Ok(Err(error)) => error.to_json(),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            AbiError::new("panic", format!("the crypto library failed internally: {what}")).to_json()
        }
    };
    to_c_string(value)
}

/// # Safety
/// `text` is null or a NUL-terminated string valid for the duration of the call.
unsafe fn arg<'a>(text: *const c_char, name: &str) -> AbiResult<&'a str> {
    if text.is_null() {
        return Err(AbiError::bad_argument(format!("'{name}' is null")));
    }
    CStr::from_ptr(text).to_str().map_err(|_| AbiError::bad_argument(format!("'{name}' is not UTF-8")))
}

unsafe fn json_arg(text: *const c_char, name: &str) -> AbiResult<Value> {
    let text = arg(text, name)?;
    serde_json::from_str(text).map_err(|e| AbiError::bad_json(&format!("'{name}'"), e))
}

unsafe fn with_machine(handle: *const MxcMachine, call: impl FnOnce(&Machine) -> AbiResult<Value>) -> AbiResult<Value> {
    let handle = handle.as_ref().ok_or_else(|| AbiError::bad_argument("the machine handle is null"))?;
    // A panic inside an earlier call poisons the mutex; the store is transactional, so the machine is still usable.
    let machine = handle.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    call(&machine)
}

/// # Safety
/// See mxcall_crypto.h.
#[no_mangle]
pub unsafe extern "C" fn mxc_open(options_json: *const c_char, out: *mut *mut MxcMachine) -> *mut c_char {
    guarded(|| {
        if out.is_null() {
            return Err(AbiError::bad_argument("the output handle pointer is null"));
        }
        *out = std::ptr::null_mut();
        let options = json_arg(options_json, "options")?;
        let machine = Machine::open(&options)?;
        let identity = machine.identity();
        *out = Box::into_raw(Box::new(MxcMachine { inner: Mutex::new(machine) }));
        Ok(identity)
    })
}

/// # Safety
/// `handle` is null or came from `mxc_open` and is not used again.
#[no_mangle]
pub unsafe extern "C" fn mxc_close(handle: *mut MxcMachine) {
    if !handle.is_null() {
        let _ = catch_unwind(AssertUnwindSafe(|| drop(Box::from_raw(handle))));
    }
}

/// # Safety
/// See mxcall_crypto.h.
#[no_mangle]
pub unsafe extern "C" fn mxc_identity(handle: *const MxcMachine) -> *mut c_char {
    guarded(|| with_machine(handle, |m| Ok(m.identity())))
}

/// # Safety
/// See mxcall_crypto.h.
#[no_mangle]
pub unsafe extern "C" fn mxc_receive_sync_changes(
    handle: *const MxcMachine,
    changes_json: *const c_char,
) -> *mut c_char {
    guarded(|| {
        let changes = json_arg(changes_json, "changes")?;
        with_machine(handle, |m| m.receive_sync_changes(&changes))
    })
}

/// # Safety
/// See mxcall_crypto.h.
#[no_mangle]
pub unsafe extern "C" fn mxc_outgoing_requests(handle: *const MxcMachine) -> *mut c_char {
    guarded(|| with_machine(handle, |m| m.outgoing_requests()))
}

/// # Safety
/// See mxcall_crypto.h.
#[no_mangle]
pub unsafe extern "C" fn mxc_mark_request_sent(
    handle: *const MxcMachine,
    request_id: *const c_char,
    kind: *const c_char,
    response_json: *const c_char,
) -> *mut c_char {
    guarded(|| {
        let id = arg(request_id, "request_id")?;
        let kind = arg(kind, "kind")?;
        let body = arg(response_json, "response")?;
        with_machine(handle, |m| m.mark_request_sent(id, kind, body))
    })
}

/// # Safety
/// See mxcall_crypto.h.
#[no_mangle]
pub unsafe extern "C" fn mxc_encrypt(handle: *const MxcMachine, input_json: *const c_char) -> *mut c_char {
    guarded(|| {
        let input = json_arg(input_json, "input")?;
        with_machine(handle, |m| m.encrypt(&input))
    })
}

/// # Safety
/// See mxcall_crypto.h.
#[no_mangle]
pub unsafe extern "C" fn mxc_decrypt(
    handle: *const MxcMachine,
    room_id: *const c_char,
    event_json: *const c_char,
) -> *mut c_char {
    guarded(|| {
        let room = arg(room_id, "room_id")?;
        let event = arg(event_json, "event")?;
        with_machine(handle, |m| m.decrypt(room, event))
    })
}

/// # Safety
/// See mxcall_crypto.h.
#[no_mangle]
pub unsafe extern "C" fn mxc_verification(handle: *const MxcMachine, command_json: *const c_char) -> *mut c_char {
    guarded(|| {
        let command = json_arg(command_json, "command")?;
        with_machine(handle, |m| m.verification(&command))
    })
}

/// # Safety
/// See mxcall_crypto.h.
#[no_mangle]
pub unsafe extern "C" fn mxc_cross_signing(handle: *const MxcMachine, command_json: *const c_char) -> *mut c_char {
    guarded(|| {
        let command = json_arg(command_json, "command")?;
        with_machine(handle, |m| m.cross_signing(&command))
    })
}

/// # Safety
/// `text` is null or a string returned by a `mxc_` function, freed once.
#[no_mangle]
pub unsafe extern "C" fn mxc_string_free(text: *mut c_char) {
    if !text.is_null() {
        drop(CString::from_raw(text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(text: *mut c_char) -> Value {
        let value = serde_json::from_str(unsafe { CStr::from_ptr(text) }.to_str().unwrap()).unwrap();
        unsafe { mxc_string_free(text) };
        value
    }

    #[test]
    fn null_arguments_are_errors_not_crashes() {
        let mut handle = std::ptr::null_mut();
        let result = take(unsafe { mxc_open(std::ptr::null(), &mut handle) });
        assert_eq!(result["error"]["code"], "bad_argument");
        assert!(handle.is_null());
        let result = take(unsafe { mxc_outgoing_requests(std::ptr::null()) });
        assert_eq!(result["error"]["code"], "bad_argument");
    }

    fn open_temp(name: &str) -> (*mut MxcMachine, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("mxcall-crypto-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let options = json!({"user_id": "@a:example.org", "device_id": "DEV", "store_path": dir, "create": true});
        let options = CString::new(options.to_string()).unwrap();
        let mut handle = std::ptr::null_mut();
        let result = take(unsafe { mxc_open(options.as_ptr(), &mut handle) });
        assert!(result.get("ok").is_some(), "{result}");
        (handle, dir)
    }

    fn call(
        f: unsafe extern "C" fn(*const MxcMachine, *const c_char) -> *mut c_char,
        h: *mut MxcMachine,
        text: &str,
    ) -> Value {
        let text = CString::new(text).unwrap();
        take(unsafe { f(h, text.as_ptr()) })
    }

    #[test]
    fn verification_commands_are_checked() {
        let (handle, dir) = open_temp("verify");
        assert_eq!(call(mxc_verification, handle, "not json")["error"]["code"], "bad_json");
        assert_eq!(call(mxc_verification, handle, r#"{"action": "dance"}"#)["error"]["code"], "bad_argument");
        assert_eq!(
            call(mxc_verification, handle, r#"{"action": "accept", "user_id": "nobody"}"#)["error"]["code"],
            "bad_argument"
        );
        let unknown =
            call(mxc_verification, handle, r#"{"action": "confirm", "user_id": "@b:example.org", "flow_id": "f1"}"#);
        assert_eq!(unknown["error"]["code"], "unknown_flow");
        let long = format!(r#"{{"action": "state", "user_id": "@b:example.org", "flow_id": "{}"}}"#, "x".repeat(300));
        assert_eq!(call(mxc_verification, handle, &long)["error"]["code"], "bad_argument");
        let list = call(mxc_verification, handle, r#"{"action": "list"}"#);
        assert_eq!(list["ok"]["flows"], json!([]));
        // A user whose devices are not known yet: the answer is the key query to send first.
        let first = call(mxc_verification, handle, r#"{"action": "request", "user_id": "@b:example.org"}"#);
        let kinds: Vec<&str> =
            first["ok"]["requests"].as_array().unwrap().iter().filter_map(|r| r["kind"].as_str()).collect();
        assert!(kinds.contains(&"keys_query"), "{first}");
        assert!(first["ok"].get("flow").is_none());
        assert_eq!(call(mxc_cross_signing, handle, r#"{"action": "reset"}"#)["error"]["code"], "bad_argument");
        assert_eq!(
            call(mxc_cross_signing, std::ptr::null_mut(), r#"{"action": "status"}"#)["error"]["code"],
            "bad_argument"
        );
        unsafe { mxc_close(handle) };
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn many_requesting_strangers_are_bounded() {
        let (handle, dir) = open_temp("strangers");
        let events: Vec<Value> = (0..100)
            .map(|i| json!({"type": "m.key.verification.request", "sender": format!("@s{i}:example.org"), "content": {}}))
            .collect();
        let changes = json!({"to_device": events}).to_string();
        let _ = call(mxc_receive_sync_changes, handle, &changes);
        let machine = unsafe { handle.as_ref() }.unwrap().inner.lock().unwrap();
        assert_eq!(machine.verification_users().len(), verification::MAX_VERIFICATION_USERS);
        drop(machine);
        unsafe { mxc_close(handle) };
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn panics_are_caught() {
        let result = take(guarded(|| panic!("boom")));
        assert_eq!(result["error"]["code"], "panic");
        assert!(result["error"]["message"].as_str().unwrap().contains("boom"));
    }
}
