// RTCIceServer URIs to webrtcbin's forms: Synapse-style time-limited credentials contain ':' and base64 '/', '+',
// '=' and must survive webrtcbin's split of the userinfo.
#include <gtest/gtest.h>

#include "mxcall/media/gst_media_engine.hpp"

namespace mxcall::media {
namespace {

TEST(IceConfig, TurnUrisCarryPercentEncodedTimeLimitedCredentials) {
  IceServer turn{{"turn:turn.example.org:3478?transport=udp", "turn:turn.example.org:3478?transport=tcp",
                  "turns:turn.example.org:443?transport=tcp"},
                 "1700000000:@alice:example.org",
                 "q+/Zx9=="};
  auto config = to_webrtcbin_ice_config({turn});
  ASSERT_EQ(config.turn_servers.size(), 3u);
  EXPECT_EQ(config.turn_servers[0],
            "turn://1700000000%3A%40alice%3Aexample.org:q%2B%2FZx9%3D%3D@turn.example.org:3478?transport=udp");
  EXPECT_EQ(config.turn_servers[1].substr(config.turn_servers[1].find('@', 30)),
            "@turn.example.org:3478?transport=tcp");
  EXPECT_TRUE(config.turn_servers[2].starts_with("turns://"));
  EXPECT_FALSE(config.stun_server);
  EXPECT_TRUE(config.rejected.empty());
}

TEST(IceConfig, StunDefaultPortsIpv6AndRejects) {
  auto config =
      to_webrtcbin_ice_config({{{"stun:stun.example.org", "stun:other.example.org:19302"}, "", ""},
                               {{"turn:[2001:db8::1]", "http://nope", "turn:host?transport=sctp"}, "u", "p"}});
  EXPECT_EQ(config.stun_server, "stun://stun.example.org:3478");  // the first STUN URI wins: webrtcbin takes one
  ASSERT_EQ(config.turn_servers.size(), 1u);
  EXPECT_EQ(config.turn_servers[0], "turn://u:p@[2001:db8::1]:3478");
  EXPECT_EQ(config.rejected, (std::vector<std::string>{"http://nope", "turn:host?transport=sctp"}));
}

}  // namespace
}  // namespace mxcall::media
