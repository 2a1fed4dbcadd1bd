#include <gst/gst.h>

#include <mutex>
#include <string>

#include "gst_handles.hpp"
#include "mxcall/media/gst_media_engine.hpp"
#include "session.hpp"

namespace mxcall::media {

namespace {
void init_gstreamer_once() {
  static std::once_flag once;
  std::call_once(once, [] { gst_init(nullptr, nullptr); });
}
}  // namespace

std::vector<RequiredElement> required_elements(const GstEngineOptions& options) {
  std::vector<RequiredElement> out = {
      {"webrtcbin", "gstreamer1.0-plugins-bad"},
      {"dtlssrtpenc", "gstreamer1.0-plugins-bad"},
      {"srtpenc", "gstreamer1.0-plugins-bad"},
      {"nicesrc", "gstreamer1.0-nice"},
      {"nicesink", "gstreamer1.0-nice"},
      {"rtpbin", "gstreamer1.0-plugins-good"},
      {"opusenc", "gstreamer1.0-plugins-base"},
      {"opusdec", "gstreamer1.0-plugins-base"},
      {"rtpopuspay", "gstreamer1.0-plugins-good"},
      {"rtpopusdepay", "gstreamer1.0-plugins-good"},
      {"vp8enc", "gstreamer1.0-plugins-good"},
      {"vp8dec", "gstreamer1.0-plugins-good"},
      {"rtpvp8pay", "gstreamer1.0-plugins-good"},
      {"rtpvp8depay", "gstreamer1.0-plugins-good"},
      {"audioconvert", "gstreamer1.0-plugins-base"},
      {"audioresample", "gstreamer1.0-plugins-base"},
      {"videoconvert", "gstreamer1.0-plugins-base"},
      {"level", "gstreamer1.0-plugins-good"},
      {"valve", "libgstreamer1.0-0"},
      {"queue", "libgstreamer1.0-0"},
  };
  std::visit(
      [&](const auto& s) {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, audio_source::Tone>)
          out.push_back({"audiotestsrc", "gstreamer1.0-plugins-base"});
        if constexpr (std::is_same_v<T, audio_source::WavFile>)
          out.push_back({"wavparse", "gstreamer1.0-plugins-good"});
        if constexpr (std::is_same_v<T, audio_source::Device>)
          out.push_back({"autoaudiosrc", "gstreamer1.0-plugins-good"});
      },
      options.audio_source);
  std::visit(
      [&](const auto& s) {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, video_source::TestPattern>) {
          out.push_back({"videotestsrc", "gstreamer1.0-plugins-base"});
        }
        if constexpr (std::is_same_v<T, video_source::V4l2>) out.push_back({"v4l2src", "gstreamer1.0-plugins-good"});
      },
      options.video_source);
  if (std::holds_alternative<audio_sink::WavFile>(options.audio_sink)) {
    out.push_back({"wavenc", "gstreamer1.0-plugins-good"});
  }
  if (std::holds_alternative<audio_sink::Device>(options.audio_sink)) {
    out.push_back({"autoaudiosink", "gstreamer1.0-plugins-good"});
  }
  if (options.video_sink == VideoSink::device) out.push_back({"autovideosink", "gstreamer1.0-plugins-good"});
  return out;
}

GstMediaEngine::GstMediaEngine(GstEngineOptions options) : options_(std::move(options)) { init_gstreamer_once(); }

GstMediaEngine::~GstMediaEngine() = default;

void GstMediaEngine::warm_up() {
  init_gstreamer_once();
  static std::once_flag once;
  // A DTLS element generates the process's certificate when it is made and keeps it for every later session.
  std::call_once(once, [] { gst::make_element("dtlsdec"); });
}

std::optional<std::string> GstMediaEngine::check_ready() {
  std::string missing, packages;
  for (const auto& required : required_elements(options_)) {
    if (gst::GstRef<GstElementFactory>(gst_element_factory_find(required.element))) continue;
    missing += (missing.empty() ? "" : ", ") + std::string(required.element);
    if (packages.find(required.debian_package) == std::string::npos) {
      packages += (packages.empty() ? "" : " ") + std::string(required.debian_package);
    }
  }
  if (missing.empty()) return std::nullopt;
  return "GStreamer elements missing: " + missing + "; install the Debian package(s): apt-get install " + packages;
}

std::unique_ptr<GstMediaSession> GstMediaEngine::open_gst_session(const SessionConfig& config, MediaEventSink& sink) {
  return std::make_unique<gst::Session>(options_, config, sink);
}

std::unique_ptr<MediaSession> GstMediaEngine::open_session(const SessionConfig& config, MediaEventSink& sink) {
  return open_gst_session(config, sink);
}

}  // namespace mxcall::media
