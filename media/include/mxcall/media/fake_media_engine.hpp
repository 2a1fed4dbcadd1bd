// A deterministic media engine without media, for replay, simulation and signalling tests. It answers every
// create_offer/create_answer at once with a small valid-looking SDP and then reports gathering complete with no
// candidates. With auto_connect it reports ICE connected as soon as a session has both a local and a remote
// description; without it, it never does (a test reports ICE states to the router itself). Every command is logged so
// tests can assert on what the call engine asked for.
#pragma once

#include <string>
#include <vector>

#include "mxcall/media/media_engine.hpp"

namespace mxcall::media {

struct FakeMediaOptions {
  bool auto_connect = false;
  // Report gathering complete right after each description (with no candidates); off when a script or test
  // supplies candidates and the completion itself.
  bool auto_gathering_complete = true;
  // Describe at once on create_offer/create_answer; off when a test delivers the description itself (to hold a
  // call in create_offer, say).
  bool auto_describe = true;
};

class FakeMediaEngine final : public MediaEngine {
 public:
  explicit FakeMediaEngine(FakeMediaOptions options = {}) : options_(options) {}
  std::optional<std::string> check_ready() override { return std::nullopt; }
  std::unique_ptr<MediaSession> open_session(const SessionConfig& config, MediaEventSink& sink) override;

  // Every command given to any session, in order.
  const std::vector<protocol::MediaCommand>& log() const { return log_; }

 private:
  friend class FakeMediaSession;
  FakeMediaOptions options_;
  std::vector<protocol::MediaCommand> log_;
};

// A small SDP that names the stream id and the requested media; deterministic for a given input.
std::string fake_sdp(std::string_view type, std::string_view stream_id, const protocol::MediaWants& media,
                     unsigned version);

}  // namespace mxcall::media
