// The remote-candidate checks of the media layer (media/include/mxcall/media/candidate_check.hpp): what may reach
// the ICE agent. Pure parsing, so unit tests; tests/media checks that the webrtcbin session applies them.
#include "mxcall/media/candidate_check.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxcall::media {
namespace {

const std::vector<std::string> kMids = {"0", "1"};

RemoteMedia two_lines() { return remote_media_of(kMids); }

std::string with_address(const std::string& address, int port = 50000) {
  return "candidate:842163049 1 udp 1677729535 " + address + " " + std::to_string(port) +
         " typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag sXm2 network-cost 999";
}

CandidateVerdict check(const std::string& line, CandidateTarget target = {0u, std::nullopt}, std::size_t accepted = 0,
                       CandidateLimits limits = {}) {
  return check_remote_candidate(line, target, two_lines(), accepted, limits);
}

TEST(CandidateCheck, OrdinaryCandidatesPass) {
  for (const char* address : {"192.0.2.7", "127.0.0.1", "10.1.2.3", "2001:db8::1", "fe80::1", "::ffff:192.0.2.1",
                              "5bd1b1a6-2b4c-4b0c-9d1e-0e1f2a3b4c5d.local", "turn.example.org"}) {
    auto verdict = check(with_address(address));
    EXPECT_TRUE(verdict.accepted) << address << ": " << verdict.why;
  }
  EXPECT_TRUE(check("a=" + with_address("192.0.2.7")).accepted);
  EXPECT_TRUE(check("candidate:1 1 TCP 1518280447 192.0.2.7 9 typ host tcptype active").accepted);
  auto by_mid = check(with_address("192.0.2.7"), {std::nullopt, std::string_view("1")});
  EXPECT_TRUE(by_mid.accepted);
  EXPECT_EQ(by_mid.mline, 1u);
}

TEST(CandidateCheck, UnroutableAddressesAreDropped) {
  struct Case {
    const char* address;
    const char* why;
  };
  for (auto [address, why] :
       {Case{"224.0.0.1", "multicast"}, Case{"239.255.255.250", "multicast"}, Case{"255.255.255.255", "broadcast"},
        Case{"0.0.0.0", "unspecified"}, Case{"0.1.2.3", "unspecified"}, Case{"ff02::1", "multicast"},
        Case{"::", "unspecified"}, Case{"::ffff:224.0.0.251", "multicast (224.0.0.0/4) address (IPv4-mapped)"},
        Case{"::ffff:255.255.255.255", "broadcast"}}) {
    auto verdict = check(with_address(address));
    EXPECT_FALSE(verdict.accepted) << address;
    EXPECT_NE(verdict.why.find(why), std::string::npos) << address << ": " << verdict.why;
  }
}

TEST(CandidateCheck, TargetsOutsideTheRemoteDescriptionAreDropped) {
  auto far = check(with_address("192.0.2.7"), {2u, std::nullopt});
  EXPECT_FALSE(far.accepted);
  EXPECT_EQ(far.why, "the candidate names m-line 2 and the remote description has 2");
  EXPECT_FALSE(check(with_address("192.0.2.7"), {4294967295u, std::nullopt}).accepted);
  EXPECT_FALSE(check(with_address("192.0.2.7"), {std::nullopt, std::string_view("video9")}).accepted);
  auto early = check_remote_candidate(with_address("192.0.2.7"), {}, RemoteMedia{}, 0);
  EXPECT_FALSE(early.accepted);
  EXPECT_NE(early.why.find("before any remote description"), std::string::npos);
}

TEST(CandidateCheck, MalformedLinesAreDropped) {
  for (const char* line :
       {"", "candidate:", "hello", "candidate:1 1 udp 1 192.0.2.7 5000 host",
        "candidate:1 0 udp 1 192.0.2.7 5000 typ host", "candidate:1 1 sctp 1 192.0.2.7 5000 typ host",
        "candidate:1 1 udp 99999999999 192.0.2.7 5000 typ host", "candidate:1 1 udp 1 192.0.2.7 65536 typ host",
        "candidate:1 1 udp 1 192.0.2.7 0 typ host", "candidate:1 1 udp 1 192.0.2.7 -1 typ host",
        "candidate:1 1 udp 1 192.0.2.7 5000 typ host\r\na=candidate:2 1 udp 1 224.0.0.1 9 typ host"}) {
    EXPECT_FALSE(check(line).accepted) << line;
  }
  EXPECT_FALSE(check(with_address("192.0.2.7") + std::string(2000, 'x')).accepted);
}

TEST(CandidateCheck, PerSessionCapHolds) {
  CandidateLimits limits;
  limits.max_per_session = 3;
  EXPECT_TRUE(check(with_address("192.0.2.7"), {0u, std::nullopt}, 2, limits).accepted);
  auto full = check(with_address("192.0.2.7"), {0u, std::nullopt}, 3, limits);
  EXPECT_FALSE(full.accepted);
  EXPECT_NE(full.why.find("max_per_session"), std::string::npos);
}

}  // namespace
}  // namespace mxcall::media
