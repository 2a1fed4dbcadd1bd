#include "sync_batch.hpp"

#include <random>

namespace mxcall::bench {
namespace {

std::string random_id(std::mt19937& rng, std::size_t n) {
  static constexpr char kChars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string s(n, 'x');
  for (char& c : s) c = kChars[rng() % (sizeof kChars - 1)];
  return s;
}

// A browser-like SDP of about `target` bytes, escaped for JSON (\r\n as written in JSON).
std::string sdp(std::mt19937& rng, std::size_t target, bool offer) {
  std::string s = "v=0\\r\\no=- " + std::to_string(rng()) +
                  " 2 IN IP4 127.0.0.1\\r\\ns=-\\r\\nt=0 0\\r\\n"
                  "a=group:BUNDLE 0 1\\r\\na=extmap-allow-mixed\\r\\na=msid-semantic: WMS " +
                  random_id(rng, 36) +
                  "\\r\\nm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\\r\\nc=IN IP4 0.0.0.0\\r\\n"
                  "a=rtcp:9 IN IP4 0.0.0.0\\r\\na=ice-ufrag:" +
                  random_id(rng, 4) + "\\r\\na=ice-pwd:" + random_id(rng, 24) +
                  "\\r\\na=ice-options:trickle\\r\\na=fingerprint:sha-256 ";
  for (int i = 0; i < 32; ++i) s += random_id(rng, 2) + (i < 31 ? ":" : "\\r\\n");
  s += offer ? "a=setup:actpass\\r\\n" : "a=setup:active\\r\\n";
  static const char* kLines[] = {"a=rtpmap:111 opus/48000/2\\r\\n",
                                 "a=rtcp-fb:111 transport-cc\\r\\n",
                                 "a=fmtp:111 minptime=10;useinbandfec=1\\r\\n",
                                 "a=rtpmap:96 VP8/90000\\r\\n",
                                 "a=rtcp-fb:96 goog-remb\\r\\n",
                                 "a=rtcp-fb:96 ccm fir\\r\\n",
                                 "a=rtcp-fb:96 nack pli\\r\\n",
                                 "a=rtpmap:97 rtx/90000\\r\\n",
                                 "a=fmtp:97 apt=96\\r\\n",
                                 "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\\r\\n",
                                 "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\\r\\n",
                                 "a=rtpmap:102 H264/90000\\r\\n",
                                 "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1\\r\\n"};
  while (s.size() < target) {
    s += kLines[rng() % std::size(kLines)];
    if (rng() % 8 == 0) s += "a=ssrc:" + std::to_string(rng()) + " cname:" + random_id(rng, 16) + "\\r\\n";
  }
  return s;
}

std::string candidate(std::mt19937& rng) {
  static const char* kTypes[] = {"host", "srflx raddr 0.0.0.0 rport 0", "relay raddr 203.0.113.9 rport 3478"};
  return "candidate:" + std::to_string(rng()) + " 1 udp " + std::to_string(rng() % 2130706431) + " " +
         (rng() % 3 == 0 ? random_id(rng, 8) + "-" + random_id(rng, 4) + ".local"
                         : "192.0.2." + std::to_string(rng() % 255)) +
         " " + std::to_string(1024 + rng() % 60000) + " typ " + kTypes[rng() % 3] + " generation 0 ufrag " +
         random_id(rng, 4) + " network-id 1";
}

}  // namespace

SyncBatch make_sync_batch(std::size_t events, std::uint32_t seed) {
  std::mt19937 rng(seed);
  SyncBatch batch;
  batch.json = "[";
  for (std::size_t i = 0; i < events; ++i) {
    std::string call_id = random_id(rng, 20);
    std::string common = R"("call_id":")" + call_id + R"(","party_id":")" + random_id(rng, 10) + R"(","version":"1")";
    std::string type, content;
    unsigned roll = rng() % 100;
    if (roll < 10) {
      type = "m.call.invite";
      content = common + R"(,"lifetime":60000,"invitee":"@bob:example.org","offer":{"type":"offer","sdp":")" +
                sdp(rng, 2048 + rng() % 2048, true) + R"("},"sdp_stream_metadata":{")" + random_id(rng, 36) +
                R"(":{"purpose":"m.usermedia"}},)"
                R"("capabilities":{"m.call.transferee":false,"m.call.dtmf":false})";
    } else if (roll < 70) {
      type = "m.call.candidates";
      content = common + R"(,"candidates":[)";
      int n = 3 + static_cast<int>(rng() % 8);
      for (int c = 0; c < n; ++c) {
        content +=
            (c ? "," : "") + std::string(R"({"candidate":")") + candidate(rng) + R"(","sdpMid":"0","sdpMLineIndex":0})";
      }
      content += "]";
    } else if (roll < 80) {
      type = "m.call.answer";
      content = common + R"(,"answer":{"type":"answer","sdp":")" + sdp(rng, 2048 + rng() % 1024, false) + R"("})";
    } else if (roll < 90) {
      type = "m.call.hangup";
      content = common + R"(,"reason":"user_hangup")";
    } else if (roll < 95) {
      type = "m.call.select_answer";
      content = common + R"(,"selected_party_id":")" + random_id(rng, 10) + R"(")";
    } else {
      type = "m.call.reject";
      content = common;
    }
    if (i) batch.json += ",";
    batch.json += R"({"content":{)" + content + R"(},"origin_server_ts":)" + std::to_string(1700000000000 + i) +
                  R"(,"sender":"@user)" + std::to_string(rng() % 50) + R"(:example.org","type":")" + type +
                  R"(","unsigned":{"age":)" + std::to_string(rng() % 5000) + R"(},"event_id":"$)" + random_id(rng, 43) +
                  R"("})";
    ++batch.events;
  }
  batch.json += "]";
  return batch;
}

}  // namespace mxcall::bench
