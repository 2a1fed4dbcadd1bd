#include "mx_party.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "mxcall/media/audio_analysis.hpp"

namespace mxcall::interop {

LoopThread::LoopThread() : thread_([this] { runtime_.run(); }) {}

LoopThread::~LoopThread() {
  runtime_.quit();
  thread_.join();
}

MxParty::MxParty(Runtime& runtime, std::string name, const std::string& homeserver, const std::string& user,
                 const std::string& password, double tone_hz, Timeouts timeouts,
                 const std::function<void(PhoneConfig&)>& configure)
    : name_(std::move(name)), tone_hz_(tone_hz) {
  recordings_ =
      (std::filesystem::temp_directory_path() / ("mxcall-interop-" + std::to_string(::getpid()) + "-" + name_))
          .string();
  std::filesystem::create_directories(recordings_);
  PhoneConfig config;
  config.homeserver = homeserver;
  config.user = user;
  config.password = password;
  config.timeouts = timeouts;
  config.media_defaults.loopback_only = true;  // ICE on 127.0.0.1 only (the tests' network rule)
  config.stats_interval = 100ms;
  config.sync_timeout = 5000ms;
  if (configure) configure(config);
  auto phone = Phone::connect(runtime, std::move(config));
  if (!phone) {
    ADD_FAILURE() << name_ << ": Phone::connect as " << user << " failed: " << phone.error().message;
    return;
  }
  phone_ = std::move(*phone);
  phone_->set_observer(this);
}

MxParty::~MxParty() {
  if (phone_) {
    phone_->hangup_all(2s);
    phone_->set_observer(nullptr);
    phone_.reset();
  }
  std::error_code ignored;
  std::filesystem::remove_all(recordings_, ignored);
}

std::string MxParty::recording_path(const CallRef& call) const {
  std::string file = call.call_id;
  std::replace_if(
      file.begin(), file.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return recordings_ + "/" + file + ".wav";
}

void MxParty::share_recording(const CallRef& from, const CallRef& to) {
  std::error_code ignored;
  auto target = std::filesystem::read_symlink(recording_path(from), ignored);
  std::filesystem::create_symlink(ignored ? std::filesystem::path(recording_path(from)) : target, recording_path(to),
                                  ignored);
}

MediaChoice MxParty::media_for(const CallRef& call) const {
  MediaChoice media;
  media.audio_source = audio_source::Tone{.frequency_hz = tone_hz_, .volume = 0.3};
  media.audio_sink = audio_sink::WavFile{recording_path(call)};
  return media;
}

std::optional<CallRef> MxParty::call(const std::string& room_id, bool video) {
  // The call id is known only once placed; the recording is named after a placeholder and renamed below.
  CallOptions options;
  options.video = video;
  options.media.audio_source = audio_source::Tone{.frequency_hz = tone_hz_, .volume = 0.3};
  std::string placeholder = recordings_ + "/outgoing-" + std::to_string(++outgoing_) + ".wav";
  options.media.audio_sink = audio_sink::WavFile{placeholder};
  auto placed = phone_->call(room_id, options);
  if (!placed) {
    ADD_FAILURE() << name_ << ": call in " << room_id << " refused: " << placed.error().message;
    return std::nullopt;
  }
  std::error_code ignored;
  std::filesystem::create_symlink(placeholder, recording_path(*placed), ignored);
  return *placed;
}

void MxParty::answer(const CallRef& call, bool video) {
  AnswerOptions options;
  options.video = video;
  options.media = media_for(call);
  phone_->answer(call, options);
}

bool MxParty::wait(const std::function<bool()>& done, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, done);
}

std::optional<IncomingCall> MxParty::wait_incoming(std::chrono::milliseconds timeout) {
  if (!wait([&] { return incoming_.size() > incoming_taken_; }, timeout)) return std::nullopt;
  std::lock_guard lock(mutex_);
  return incoming_[incoming_taken_++];
}

bool MxParty::wait_state(const CallRef& call, CallState state, std::chrono::milliseconds timeout) {
  return wait(
      [&] {
        auto it = states_.find(call);
        return it != states_.end() && std::any_of(it->second.begin(), it->second.end(),
                                                  [&](const auto& s) { return s.change.state == state; });
      },
      timeout);
}

std::optional<CallStateChange> MxParty::wait_ended(const CallRef& call, std::chrono::milliseconds timeout) {
  if (!wait_state(call, CallState::ended, timeout)) return std::nullopt;
  std::lock_guard lock(mutex_);
  for (const auto& s : states_[call]) {
    if (s.change.state == CallState::ended) return s.change;
  }
  return std::nullopt;
}

bool MxParty::ended(const CallRef& call) const {
  std::lock_guard lock(mutex_);
  auto it = states_.find(call);
  return it != states_.end() && std::any_of(it->second.begin(), it->second.end(),
                                            [](const auto& s) { return s.change.state == CallState::ended; });
}

bool MxParty::rang(const CallRef& call) const {
  std::lock_guard lock(mutex_);
  auto it = states_.find(call);
  return it != states_.end() && std::any_of(it->second.begin(), it->second.end(), [](const auto& s) {
           return s.change.state == CallState::ringing || s.change.state == CallState::ringing_silent;
         });
}

std::optional<PeerMediaState> MxParty::wait_peer(const CallRef& call,
                                                 const std::function<bool(const PeerMediaState&)>& match,
                                                 std::chrono::milliseconds timeout) {
  std::optional<PeerMediaState> found;
  wait(
      [&] {
        auto it = peer_.find(call);
        if (it == peer_.end() || it->second.empty() || !match(it->second.back())) return false;
        found = it->second.back();
        return true;
      },
      timeout);
  return found;
}

std::vector<TimedState> MxParty::states(const CallRef& call) const {
  std::lock_guard lock(mutex_);
  auto it = states_.find(call);
  return it == states_.end() ? std::vector<TimedState>{} : it->second;
}

bool MxParty::hears(const CallRef& call, double hz, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  double last = 0;
  // Only audio recorded from now on counts: a recording that stopped growing still ends in the old tone.
  int rate = 0;
  std::size_t start = media::read_wav(recording_path(call), &rate).size();
  while (std::chrono::steady_clock::now() < deadline) {
    auto samples = media::read_wav(recording_path(call), &rate);
    if (rate > 0 && samples.size() >= start + static_cast<std::size_t>(rate / 2)) {
      std::vector<std::int16_t> tail(samples.end() - rate / 2, samples.end());
      last = media::dominant_frequency(tail, rate);
      if (media::same_tone(last, hz)) return true;
    }
    std::this_thread::sleep_for(250ms);
  }
  std::fprintf(stderr, "[%s] call %s: expected %.0f Hz, last heard %.0f Hz\n", name_.c_str(), call.call_id.c_str(), hz,
               last);
  return false;
}

std::optional<CallStats> MxParty::stats(const CallRef& call) const {
  std::lock_guard lock(mutex_);
  auto it = stats_.find(call);
  if (it == stats_.end()) return std::nullopt;
  return it->second;
}

long MxParty::loud_blocks_over(const CallRef& call, std::chrono::milliseconds window) {
  int rate = 0;
  std::size_t before = media::read_wav(recording_path(call), &rate).size();
  std::this_thread::sleep_for(window);
  auto samples = media::read_wav(recording_path(call), &rate);
  if (rate <= 0) return 0;
  const std::size_t block = static_cast<std::size_t>(rate) / 100;
  long loud = 0;
  for (std::size_t start = before; start + block <= samples.size(); start += block) {
    double energy = 0;
    for (std::size_t i = start; i < start + block; ++i) energy += static_cast<double>(samples[i]) * samples[i];
    if (std::sqrt(energy / static_cast<double>(block)) > 300) ++loud;
  }
  return loud;
}

void MxParty::on_incoming_call(const IncomingCall& call) {
  std::lock_guard lock(mutex_);
  incoming_.push_back(call);
  changed_.notify_all();
}

void MxParty::on_call_state(const CallStateChange& change) {
  if (std::getenv("MXCALL_INTEROP_TRACE")) {
    std::fprintf(stderr, "[%s] state %s: %s %s\n", name_.c_str(), change.call.call_id.c_str(),
                 std::string(protocol::to_string(change.state)).c_str(), change.reason.c_str());
  }
  std::lock_guard lock(mutex_);
  states_[change.call].push_back({change, std::chrono::system_clock::now()});
  changed_.notify_all();
}

void MxParty::on_peer_media_state(const PeerMediaState& state) {
  if (std::getenv("MXCALL_INTEROP_TRACE")) {
    std::fprintf(stderr, "[%s] peer state %s: audio_muted %d video_muted %d on_hold %d\n", name_.c_str(),
                 state.call.call_id.c_str(), state.audio_muted, state.video_muted, state.on_hold);
  }
  std::lock_guard lock(mutex_);
  peer_[state.call].push_back(state);
  changed_.notify_all();
}

void MxParty::on_peer_screenshare(const PeerScreenshare& share) {
  std::lock_guard lock(mutex_);
  screenshares_[share.call].push_back(share);
  changed_.notify_all();
}

bool MxParty::wait_screenshare(const CallRef& call, bool active, std::chrono::milliseconds timeout) {
  return wait(
      [&] {
        auto it = screenshares_.find(call);
        return it != screenshares_.end() && !it->second.empty() && it->second.back().active == active;
      },
      timeout);
}

void MxParty::on_dtmf(const DtmfReceived& digit) {
  std::lock_guard lock(mutex_);
  dtmf_[digit.call].push_back(digit);
  changed_.notify_all();
}

std::vector<DtmfReceived> MxParty::wait_dtmf(const CallRef& call, std::size_t count,
                                             std::chrono::milliseconds timeout) {
  std::vector<DtmfReceived> heard;
  wait(
      [&] {
        auto it = dtmf_.find(call);
        if (it != dtmf_.end()) heard = it->second;
        return heard.size() >= count;
      },
      timeout);
  return heard;
}

void MxParty::on_stats(const CallStats& stats) {
  std::lock_guard lock(mutex_);
  stats_[stats.call] = stats;
  changed_.notify_all();
}

void MxParty::on_action_refused(const CallRef& call, const std::string& why) {
  std::fprintf(stderr, "[%s] action on %s refused: %s\n", name_.c_str(), call.call_id.c_str(), why.c_str());
}

void MxParty::on_signalling(const SignallingTrace& trace) {
  if (!std::getenv("MXCALL_INTEROP_TRACE")) return;
  static constexpr const char* kDirection[] = {"sent", "received", "ignored"};
  std::fprintf(stderr, "[%s] %s %s %s %s\n", name_.c_str(), kDirection[static_cast<int>(trace.direction)],
               trace.type.c_str(), trace.call_id.c_str(), trace.detail.c_str());
}

void MxParty::on_notice(const std::string& message) {
  if (std::getenv("MXCALL_INTEROP_TRACE")) std::fprintf(stderr, "[%s] notice: %s\n", name_.c_str(), message.c_str());
  {
    std::lock_guard lock(mutex_);
    notices_.push_back(message);
  }
  changed_.notify_all();
}

bool MxParty::wait_notice(const std::string& fragment, std::chrono::milliseconds timeout) const {
  return wait(
      [&] {
        return std::any_of(notices_.begin(), notices_.end(),
                           [&](const std::string& notice) { return notice.find(fragment) != std::string::npos; });
      },
      timeout);
}

std::vector<std::string> MxParty::notices() const {
  std::lock_guard lock(mutex_);
  return notices_;
}

void MxParty::on_fatal_error(const Error& error) { ADD_FAILURE() << name_ << ": fatal phone error: " << error.message; }

}  // namespace mxcall::interop
