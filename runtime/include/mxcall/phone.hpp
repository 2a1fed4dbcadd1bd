// mxcall's public API: one Phone per logged-in party (a Matrix user on one device), driven by one Runtime loop.
//
//   mxcall::Runtime runtime;                                   // the GLib loop every Phone of the process runs on
//   auto phone = mxcall::Phone::connect(runtime, config).value();  // a homeserver session (see PhoneConfig)
//   phone->set_observer(&my_observer);                         // incoming calls, states, peer state, stats
//   auto call = phone->call("@bob:example.org", {.video = false});
//   runtime.run();                                             // until runtime.quit()
//
// Threading: every observer callback runs on the runtime's loop thread. Every Phone method may be called from any
// thread, including from inside a callback; actions are carried out on the loop thread in the order they were made.
// Outcomes of actions (a refused action, a call that ends) arrive as callbacks, never as exceptions. The Runtime must
// outlive its phones and rooms.
//
// This header is the contract between the runtime (runtime/) and its users (tools/mxcall, examples/, tests). The
// protocol, homeserver and media layers stay behind it; their value types are re-exported below where the API needs
// them, so an application includes this header alone.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mxcall/matrix/client.hpp"
#include "mxcall/matrix/error.hpp"
#include "mxcall/media/gst_media_engine.hpp"
#include "mxcall/phone_features.hpp"
#include "mxcall/protocol/engine.hpp"

namespace mxcall {

// --- vocabulary, re-exported from the layers below
using matrix::Error;
using matrix::ErrorCode;
using protocol::CallRef;    // {room_id, call_id}: call ids are unique within a room
using protocol::CallState;  // create_offer, invite_sent, ringing, ringing_silent, create_answer, connecting, ...
using protocol::Timeouts;
template <typename T>
using Result = matrix::Result<T>;
namespace audio_source = media::audio_source;  // Tone, WavFile, Device
namespace video_source = media::video_source;  // TestPattern, V4l2
namespace audio_sink = media::audio_sink;      // Null, WavFile, Device
using media::AudioSink;
using media::AudioSource;
using media::VideoSink;
using media::VideoSource;

// Where a call's media comes from and goes to. Chosen per call (placing or answering).
struct MediaChoice {
  AudioSource audio_source = audio_source::Tone{};
  AudioSink audio_sink = audio_sink::Null{};
  VideoSource video_source = video_source::TestPattern{};  // used only in a video call; monostate: receive only
  VideoSink video_sink = VideoSink::null;
  VideoSink screenshare_sink = VideoSink::null;  // the peer's screen share, apart from its camera
  VideoSource screenshare_source = video_source::TestPattern{640, 360, 10};  // what share_screen sends
};

struct CallOptions {
  bool video = false;
  MediaChoice media;
};

struct AnswerOptions {
  bool video = false;  // answer a video call with our video too (an audio-only answer to a video offer is allowed)
  MediaChoice media;
};

struct IncomingCall {
  CallRef call;
  std::string caller;        // the caller's user id
  std::string caller_party;  // the caller's party (device) id
  bool video = false;        // the offer has video
  bool silent = false;       // rings without alerting (public room, rule 25)
};

struct CallStateChange {
  CallRef call;
  CallState state;
  std::string reason;  // on `ended`: the hangup reason sent or received, or protocol::kEnded* (rejected, ...)
  bool local = false;  // on `ended`: we ended it (our hangup, reject, timeout); false: the peer or the homeserver did
};

struct PeerMediaState {
  CallRef call;
  bool audio_muted = false;  // from the peer's sdp_stream_metadata (rule 68)
  bool video_muted = false;
  bool on_hold = false;  // the peer holds us: every media section of its last offer is sendonly or inactive (rule 56)
};

// A DTMF digit the peer sent in band (RFC 4733 telephone-event), for IVRs: reported when the peer released it.
struct DtmfReceived {
  CallRef call;
  char digit = '0';               // 0-9 * # A-D
  std::uint32_t duration_ms = 0;  // how long the peer held it
};

// The peer's screen share (a stream of its own, sdp_stream_metadata purpose m.screenshare): started, or ended while
// the call goes on. Its frames go to MediaChoice::screenshare_sink; CallStats::screenshare_frames_received counts them.
struct PeerScreenshare {
  CallRef call;
  std::string stream_id;
  bool active = false;
};

// How send_dtmf plays digits (W3C RTCDTMFSender's bounds: 40-6000 ms tones, gaps of at least 30 ms). The GStreamer
// engine's rtpdtmfsrc holds every tone for at least 250 ms.
struct DtmfOptions {
  std::uint32_t tone_ms = 100;
  std::uint32_t gap_ms = 70;
};

// One direction of a call's audio, for level meters and summaries.
struct AudioFlow {
  std::uint64_t packets = 0;  // audio RTP packets (the GStreamer engine's own counters)
  std::uint64_t bytes = 0;    // every RTP stream of this direction, video included (webrtcbin's statistics)
  // 0..1 from the RMS of the last 200 ms: received, after decoding; sent, of the source before the mute valve (a
  // meter then shows a muted microphone still picking up speech)
  std::optional<double> level;
};

struct CallStats {
  CallRef call;
  AudioFlow sent;
  AudioFlow received;
  std::uint64_t audio_samples_decoded = 0;  // 48 kHz samples out of our decoder: the peer's audio really plays
  std::uint64_t video_frames_received = 0;
  std::uint64_t screenshare_frames_received = 0;  // decoded frames of the peer's screen share
  std::optional<double> round_trip_ms;
  std::string candidate_pair;  // "local -> remote (type)" once connected
};

// Everything signalling-level a party does or sees, for logs, --verbose and --json. Not needed to use a Phone.
struct SignallingTrace {
  enum class Direction : std::uint8_t { sent, received, ignored };
  Direction direction;
  std::string room_id;
  std::string type;     // m.call.invite, ...
  std::string call_id;  // empty when unknown
  std::string detail;   // for `ignored`: why (names the rule); for sends that failed: the error
  std::chrono::system_clock::time_point at;
};

class PhoneObserver {
 public:
  virtual ~PhoneObserver() = default;
  // A call is ringing here. Answer it with Phone::answer (now or later), reject it, or leave it ringing.
  virtual void on_incoming_call(const IncomingCall& /*call*/) {}
  virtual void on_call_state(const CallStateChange& /*change*/) {}
  virtual void on_peer_media_state(const PeerMediaState& /*state*/) {}
  // The peer pressed a key (in-band DTMF); digits arrive in the order pressed.
  virtual void on_dtmf(const DtmfReceived& /*digit*/) {}
  virtual void on_peer_screenshare(const PeerScreenshare& /*share*/) {}
  // Every `stats_interval` of PhoneConfig while a call has media.
  virtual void on_stats(const CallStats& /*stats*/) {}
  // An action could not be carried out (no such call, wrong state, ...): `why` says what to do instead.
  virtual void on_action_refused(const CallRef& /*call*/, const std::string& /*why*/) {}
  virtual void on_signalling(const SignallingTrace& /*trace*/) {}
  // The phone cannot go on (token revoked, homeserver gone past the retry budget): every call has ended.
  virtual void on_fatal_error(const Error& /*error*/) {}
  // Something the user should know that changes nothing by itself (an encrypted room we cannot read, a room joined).
  virtual void on_notice(const std::string& /*message*/) {}

  // Call features (phone_features.hpp). The peer's capabilities, once per call (rule T10).
  virtual void on_peer_capabilities(const PeerCapabilities& /*capabilities*/) {}
  // The peer says who is on the line (MSC3086): show it as "transferred to ...", never as verified (rule A3).
  virtual void on_peer_identity(const PeerIdentity& /*identity*/) {}
  // The peer asks to transfer us. With TransferPolicy::ask, answer with Phone::accept_transfer or decline_transfer
  // (now or later; the call goes on meanwhile, rule T6); with the other policies it is only news.
  virtual void on_transfer_request(const TransferRequest& /*request*/) {}
  // How a transfer goes, either way: ours sent or refused by the peer; theirs declined, placing, completed, failed.
  virtual void on_transfer_update(const TransferUpdate& /*update*/) {}
};

// The loop. One per process is the normal case; it owns a GLib main context and (with run()) its thread.
class Runtime {
 public:
  Runtime();
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Runs the loop on the calling thread until quit(). Callbacks run on this thread.
  void run();
  // Runs the loop on the calling thread until `done()` holds, quit() is called or `timeout` passes; returns `done()`.
  // `done` runs on the loop thread between iterations (at least every 20 ms). For tests, the demo and scripts.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);
  // From any thread (not from a signal handler: use a self-pipe, as the CLI does). A quit() before run() makes the
  // next run() return at once.
  void quit();
  // Runs `fn` on the loop thread (soon, in order with other posts).
  void post(std::function<void()> fn);
  // Runs `fn` on the loop thread after `delay`.
  void post_after(std::chrono::milliseconds delay, std::function<void()> fn);

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// End-to-end encryption (docs/crypto.md; only when mxcall is built with crypto/, i.e. with Rust). The device's keys
// live in a store beside the session file, so calls in encrypted rooms work and keep working across restarts.
struct EncryptionConfig {
  bool enabled = true;
  // The store folder (0700, files 0600). Empty: "<session_path>.crypto". With neither, encryption is off (a store
  // that does not outlive the process would lose the device's keys): encrypted rooms are reported via on_notice.
  std::string store_path;
  // Encrypts the store's secrets at rest; the same one must be given every time (empty: not encrypted).
  std::string passphrase;
  // Replace a room key that could run out during a call at the call's first event (docs/crypto.md).
  bool new_room_key_per_call = true;
  // An encrypted event whose room key has not come waits this long for it, then is reported once via on_notice.
  std::chrono::milliseconds undecryptable_wait{60000};
};

// This device's end-to-end encryption identity, for a person to compare with what another client shows.
struct DeviceIdentity {
  std::string ed25519;     // the fingerprint clients show for a session (base64)
  std::string curve25519;  // the key other devices encrypt to (base64)
  std::string store_path;
};

struct PhoneConfig {
  // The homeserver session: base URL plus one of a saved session file, an access token, or a user and password.
  std::string homeserver;
  std::string session_path;  // read to resume and written after login and each sync (0600)
  std::string access_token;
  std::string user;  // with password: logs in (and saves to session_path when set)
  std::string password;
  // A plain http:// homeserver that is not loopback is refused (the password and token would cross the network in
  // clear text) unless this is set: matrix::check_homeserver_url(), the CLI's --insecure-http.
  bool allow_insecure_http = false;
  bool verify_tls = true;
  matrix::RetryPolicy retry;  // each homeserver request's retries, bounded in count and time

  Timeouts timeouts;
  // Each call's GStreamer session starts from these options, with the call's MediaChoice in place of the sources and
  // sinks: ICE policy, loopback_only for tests and the demo, ...
  media::GstEngineOptions media_defaults;
  // When set, every call's session comes from this engine instead (the fake engine for signalling tests; the
  // MediaChoice is then not used). Shared: one engine may serve several phones.
  std::shared_ptr<media::MediaEngine> media_engine;
  std::chrono::milliseconds stats_interval{250};  // on_stats period while a call has media; 0: never
  std::chrono::milliseconds sync_timeout{30000};  // /sync long-poll
  EncryptionConfig encryption;
  bool join_invites = false;                   // join rooms we are invited to (a bot's DMs)
  std::vector<std::string> join_invites_from;  // when non-empty: only invites from these users

  // Transfers the peer asks for (MSC2747); anything but decline advertises m.call.transferee (rule T10).
  TransferPolicy transfers = TransferPolicy::decline;
  MediaChoice transfer_media;  // the replacement call's media with TransferPolicy::accept
  // Advertise m.call.dtmf (MSC2747) in invites and answers (rule 71): the GStreamer engine sends and receives RFC 4733
  // digits (Phone::send_dtmf, on_dtmf); turn it off only for a media engine of your own that cannot.
  bool advertise_dtmf = true;
};

// The device's encryption store for `config`: EncryptionConfig::store_path, else "<session_path>.crypto", else empty
// (no place for one). `mxcall logout` deletes it.
std::string encryption_store_path(const PhoneConfig& config);

// Whether this build has end-to-end encryption (crypto/, built when Rust is there).
bool encryption_built();

// Logs in (or resumes) as `config` says and opens the device's end-to-end encryption without syncing or calling:
// the store is made when missing (only for a device whose keys the homeserver does not have yet) and, with
// `upload_keys`, the device's keys are uploaded so other clients can see and verify it. For `mxcall login` and
// `whoami`. nullopt: encryption is off (not built, disabled, or no place for a store). Errors as Phone::connect's.
Result<std::optional<DeviceIdentity>> prepare_encryption(const PhoneConfig& config, bool upload_keys);

class InProcessRoom;

class Phone {
 public:
  // Logs in (or resumes) and starts syncing. Blocks for the login; returns the homeserver's error on failure.
  static Result<std::unique_ptr<Phone>> connect(Runtime& runtime, PhoneConfig config);
  // A party of an in-process room (no homeserver): the demo and tests. `user_id` and `device_id` name it.
  static std::unique_ptr<Phone> in_room(Runtime& runtime, InProcessRoom& room, std::string user_id,
                                        std::string device_id, PhoneConfig config = {});
  // Hangs up every call placed or answered here (the peer sees user_hangup), then stops syncing and sending. Calls
  // still ringing here are left alone: the user's other devices may answer them.
  ~Phone();
  Phone(const Phone&) = delete;
  Phone& operator=(const Phone&) = delete;

  // Not owned. Once set_observer returns, the previous observer gets no more callbacks (none is running), so it may
  // be destroyed; an observer in place must outlive the phone or be replaced first.
  void set_observer(PhoneObserver* observer);

  // Places a call. `target` is a room id (!room:server), a room alias (#name:server), or a user id (@user:server)
  // whose direct-message room is found or created (and recorded in m.direct). Resolving a user or alias is one or
  // two homeserver requests, made on the calling thread; the call's states then arrive on the observer. Returns the
  // call, or an error that says what to do (no such room or user, not joined, ...).
  // Glare (rule 58, only with the user we call): a call to a user sends them as the invitee, so their invite crossing
  // ours resolves to one call. A call to a room id or alias asks the homeserver once more (m.direct and the room's
  // joined members): when the room is a direct chat with exactly one other joined member, their crossing invite is
  // glare too; in any other room (or when that lookup fails) a crossing invite is a call of its own and both ring.
  Result<CallRef> call(const std::string& target, const CallOptions& options = {});
  void answer(const CallRef& call, const AnswerOptions& options = {});
  void reject(const CallRef& call);
  void hangup(const CallRef& call);
  void hold(const CallRef& call);
  void resume(const CallRef& call);
  void mute(const CallRef& call, bool audio, bool video);
  // Sends DTMF digits in band on a connected call (0-9 * # A-D, "," pauses 2 s), after any still playing. Refused
  // (on_action_refused) for a call not connected, on hold, or with digits outside that set.
  void send_dtmf(const CallRef& call, const std::string& digits, const DtmfOptions& options = {});
  // Starts or stops sharing the call's MediaChoice::screenshare_source as a screen share (a video m-line of its own,
  // m.screenshare in sdp_stream_metadata) by renegotiation. Refused for a call not connected or a VoIP v0 peer.
  void share_screen(const CallRef& call, bool on);
  void set_video(const CallRef& call, bool video);

  // Call features (phone_features.hpp). Transfers the call's peer (MSC2747, rule T3): refused (on_action_refused)
  // unless the call is set up with a v1 peer that advertised m.call.transferee. Returns the new call's id; the
  // outcome arrives as on_transfer_update, and the peer normally hangs up once its new call connects (rule T8).
  Result<std::string> transfer(const CallRef& call, const TransferOptions& options);
  // Accepts the transfer on_transfer_request announced: places the new call (in the request's target_room, else in
  // the direct chat with the target, found or created on the calling thread as call() does) or answers the target's
  // call when it comes; the original call is hung up once the new one connects (rule T8).
  void accept_transfer(const CallRef& call, const std::string& replacement_id, const AnswerOptions& options = {});
  void decline_transfer(const CallRef& call, const std::string& replacement_id);
  // Tells the peer who is really on the line (MSC3086, a gateway's caller); nullopt reverts to the room identity.
  void assert_identity(const CallRef& call, const std::optional<Identity>& identity);
  // Declines a ringing call as busy: m.call.reject with reason user_busy (v1), a user_busy hangup (v0), rule 50.
  void busy(const CallRef& call);

  // Ends every call placed or answered here and returns once the hangups have been handed to the homeserver (or
  // `timeout` passed).
  void hangup_all(std::chrono::milliseconds timeout = std::chrono::seconds{5});

  const std::string& user_id() const;
  const std::string& device_id() const;
  std::vector<CallRef> live_calls() const;  // every call not ended, ringing ones included
  // The homeserver client's request counters since connect (429s, 5xx, transport errors); nullopt in a room.
  std::optional<matrix::ClientStats> homeserver_stats() const;
  // This device's encryption identity; nullopt when end-to-end encryption is off (see EncryptionConfig).
  std::optional<DeviceIdentity> device_identity() const;

  struct Impl;

 private:
  explicit Phone(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// An in-process stand-in for a homeserver room: every event a member sends is delivered, as a one-event /sync batch,
// to every member (the sender included, as a homeserver echoes it). For the demo and tests.
class InProcessRoom {
 public:
  explicit InProcessRoom(Runtime& runtime, std::string room_id = "!demo:mxcall.invalid");
  ~InProcessRoom();
  const std::string& room_id() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mxcall
