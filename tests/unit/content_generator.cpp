#include "content_generator.hpp"

namespace mxcall::test {

using namespace protocol;

std::string_view ContentGenerator::opaque_id() {
  static constexpr std::string_view kChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._~-";
  std::string s(1 + below(coin() ? 16 : 255), 'x');
  for (char& c : s) c = kChars[below(kChars.size())];
  return keep(std::move(s));
}

std::string_view ContentGenerator::user_id() {
  return keep("@" + std::string(opaque_id().substr(0, 20)) + ":" + (coin() ? "example.org" : "h.test:8448"));
}

std::string_view ContentGenerator::text(std::size_t max_len) {
  static constexpr const char* kPieces[] = {"a",
                                            "Z",
                                            " ",
                                            "\"",
                                            "\\",
                                            "/",
                                            "\r\n",
                                            "\t",
                                            "\x01",
                                            "\x1f",
                                            "\x7f",
                                            "\xc3\xa9",
                                            "\xe2\x82\xac",
                                            "\xf0\x9f\x98\x80",
                                            "\\u0000",
                                            "{}",
                                            "[]"};
  std::string s;
  std::size_t len = below(max_len + 1);
  while (s.size() < len) s += kPieces[below(std::size(kPieces))];
  return keep(std::move(s));
}

std::string_view ContentGenerator::sdp() {
  std::string s = "v=0\r\no=- " + std::to_string(rng_()) + " 2 IN IP4 127.0.0.1\r\n";
  s += text(200);
  return keep(std::move(s));
}

CallCommon ContentGenerator::common() { return CallCommon{opaque_id(), opaque_id(), Version::v1()}; }

std::optional<StreamMetadataMap> ContentGenerator::metadata() {
  if (coin()) return std::nullopt;
  StreamMetadataMap map;
  std::size_t n = 1 + below(3);
  for (std::size_t i = 0; i < n; ++i) {
    // Stream ids are unique keys of a JSON object.
    std::string_view id = keep("stream" + std::to_string(i) + std::string(opaque_id().substr(0, 8)));
    map.emplace_back(id, StreamMetadata{coin() ? kPurposeUserMedia : kPurposeScreenshare, coin(), coin()});
  }
  return map;
}

std::optional<Capabilities> ContentGenerator::capabilities() {
  if (coin()) return std::nullopt;
  return Capabilities{coin(), coin()};
}

CallContent ContentGenerator::content(EventKind kind) {
  switch (kind) {
    case EventKind::invite:
      return Invite{common(), {"offer", sdp()}, rng_() % 200000, maybe(user_id()), metadata(), capabilities()};
    case EventKind::candidates: {
      Candidates c{common(), {}};
      std::size_t n = 1 + below(6);
      for (std::size_t i = 0; i < n; ++i) {
        Candidate cand{keep("candidate:" + std::to_string(rng_()) + " 1 UDP 2130706431 127.0.0.1 " +
                            std::to_string(rng_() % 65536) + " typ host"),
                       std::nullopt, std::nullopt};
        switch (below(3)) {
          case 0: cand.sdp_mid = opaque_id(); break;
          case 1: cand.sdp_mline_index = static_cast<std::uint32_t>(below(8)); break;
          default: cand.sdp_mid = opaque_id(); cand.sdp_mline_index = static_cast<std::uint32_t>(below(8));
        }
        c.candidates.push_back(cand);
      }
      if (coin()) c.candidates.push_back(Candidate{"", std::nullopt, std::nullopt});
      return c;
    }
    case EventKind::answer: return Answer{common(), {"answer", sdp()}, metadata(), capabilities()};
    case EventKind::select_answer: return SelectAnswer{common(), opaque_id()};
    case EventKind::reject: return Reject{common(), std::nullopt};
    case EventKind::negotiate:
      return Negotiate{common(), {coin() ? "offer" : "answer", sdp()}, rng_() % 100000, metadata(), capabilities()};
    case EventKind::sdp_stream_metadata_changed: {
      auto meta = metadata();
      if (!meta) meta = StreamMetadataMap{{"s", {kPurposeUserMedia, true, false}}};
      return SdpStreamMetadataChanged{common(), *meta};
    }
    case EventKind::hangup: {
      static constexpr std::string_view kReasons[] = {"ice_failed",   "ice_timeout",       "invite_timeout",
                                                      "user_hangup",  "user_media_failed", "user_busy",
                                                      "unknown_error"};
      return Hangup{common(), kReasons[below(std::size(kReasons))], true};
    }
    case EventKind::replaces: {
      Replaces r{common(),
                 opaque_id(),
                 maybe(keep("!" + std::string(opaque_id().substr(0, 10)) + ":example.org")),
                 TargetUser{user_id(), maybe(text(20)), maybe(text(20))},
                 std::nullopt,
                 std::nullopt};
      (coin() ? r.create_call : r.await_call) = opaque_id();
      return r;
    }
    case EventKind::reject_replacement: {
      static constexpr std::string_view kReasons[] = {"declined", "failed_room_invite", "failed_call_invite",
                                                      "failed_call"};
      RejectReplacement r{common(), opaque_id(), kReasons[below(4)], std::nullopt};
      if (r.reason == "failed_call" && coin()) r.call_failure_reason = "ice_failed";
      return r;
    }
    case EventKind::asserted_identity: {
      if (coin()) return AssertedIdentity{common(), std::nullopt};
      AssertedIdentityInfo info{maybe(user_id()), maybe(text(30)), maybe(keep("mxc://example.org/abc"))};
      if (info == AssertedIdentityInfo{}) info.display_name = text(10);  // {} reads back as "revert"
      return AssertedIdentity{common(), info};
    }
  }
  return Reject{common(), std::nullopt};
}

RoomEvent ContentGenerator::event() {
  auto kind = static_cast<EventKind>(below(kEventKindCount));
  RoomEvent e{type_name(kind),
              user_id(),
              keep("!" + std::string(opaque_id().substr(0, 12)) + ":example.org"),
              keep("$" + std::string(opaque_id().substr(0, 20))),
              static_cast<std::int64_t>(rng_() % 2000000000000),
              static_cast<std::int64_t>(rng_() % 100000),
              content(kind)};
  return e;
}

}  // namespace mxcall::test
