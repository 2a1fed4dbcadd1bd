#include "mxcall/media/fake_media_engine.hpp"

namespace mxcall::media {

namespace op_t = protocol::media_op;
namespace ev = protocol::media_event;

std::string fake_sdp(std::string_view type, std::string_view stream_id, const protocol::MediaWants& media,
                     unsigned version) {
  std::string sdp = "v=0\r\no=- 1 " + std::to_string(version) + " IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
  sdp += "a=group:BUNDLE 0";
  if (media.video) sdp += " 1";
  sdp += "\r\na=msid-semantic: WMS " + std::string(stream_id) + "\r\n";
  sdp += "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n";
  sdp += "a=msid:" + std::string(stream_id) + " audio0\r\na=setup:" + (type == "offer" ? "actpass" : "active") + "\r\n";
  if (media.video) {
    sdp += "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=rtpmap:96 VP8/90000\r\n";
    sdp += "a=msid:" + std::string(stream_id) + " video0\r\n";
  }
  return sdp;
}

class FakeMediaSession final : public MediaSession {
 public:
  FakeMediaSession(FakeMediaEngine& engine, SessionConfig config, MediaEventSink& sink)
      : engine_(engine), config_(std::move(config)), sink_(sink) {}

  void create_offer(const op_t::CreateOffer& op) override {
    log(op);
    describe("offer", op.stream_id, op.media);
  }
  void create_answer(const op_t::CreateAnswer& op) override {
    log(op);
    describe("answer", op.stream_id, op.media);
  }
  void set_remote_description(const op_t::SetRemoteDescription& op) override {
    log(op);
    has_remote_ = true;
    maybe_connect();
  }
  void add_remote_candidate(const op_t::AddRemoteCandidate& op) override { log(op); }
  void end_of_remote_candidates() override { log(op_t::EndOfRemoteCandidates{}); }
  void set_direction(protocol::Direction direction) override { log(op_t::SetDirection{direction}); }
  void set_muted(const op_t::SetMuted& op) override { log(op); }
  void restart_ice() override { log(op_t::RestartIce{}); }
  void send_dtmf(const op_t::SendDtmf& op) override { log(op); }
  void close() override {
    log(op_t::Close{});
    closed_ = true;
  }
  SessionStats stats() const override { return {}; }

 private:
  void log(protocol::MediaOp op) { engine_.log_.push_back({config_.call, std::move(op)}); }

  void emit(protocol::MediaEventKind event) { sink_.on_media_event({config_.call, std::move(event)}); }

  void describe(std::string_view type, const std::string& stream_id, const protocol::MediaWants& media) {
    if (closed_ || !engine_.options_.auto_describe) return;
    emit(ev::LocalDescription{std::string(type), fake_sdp(type, stream_id, media, ++version_)});
    if (engine_.options_.auto_gathering_complete) emit(ev::GatheringComplete{});
    has_local_ = true;
    maybe_connect();
  }

  void maybe_connect() {
    if (engine_.options_.auto_connect && has_local_ && has_remote_ && !connected_ && !closed_) {
      connected_ = true;
      emit(ev::IceStateChanged{protocol::IceState::connected});
    }
  }

  FakeMediaEngine& engine_;
  SessionConfig config_;
  MediaEventSink& sink_;
  unsigned version_ = 0;
  bool has_local_ = false, has_remote_ = false, connected_ = false, closed_ = false;
};

std::unique_ptr<MediaSession> FakeMediaEngine::open_session(const SessionConfig& config, MediaEventSink& sink) {
  return std::make_unique<FakeMediaSession>(*this, config, sink);
}

}  // namespace mxcall::media
