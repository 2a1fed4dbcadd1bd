// Builders for room events in tests: a valid event of each kind, to be bent by each test.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "mxcall/protocol/event_reader.hpp"

namespace mxcall::test {

inline nlohmann::json room_event(const std::string& type, nlohmann::json content) {
  return {{"type", type},
          {"sender", "@alice:example.org"},
          {"room_id", "!room:example.org"},
          {"event_id", "$event1"},
          {"origin_server_ts", 1700000000000},
          {"unsigned", {{"age", 1234}}},
          {"content", std::move(content)}};
}

inline nlohmann::json common(nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json c = {{"call_id", "call1"}, {"party_id", "partyA"}, {"version", "1"}};
  for (auto& [k, v] : extra.items()) c[k] = v;
  return c;
}

inline nlohmann::json invite_content() {
  return common({{"offer", {{"type", "offer"}, {"sdp", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"}}},
                 {"lifetime", 90000},
                 {"invitee", "@bob:example.org"}});
}

inline nlohmann::json candidates_content() {
  return common(
      {{"candidates",
        {{{"candidate", "candidate:1 1 UDP 2130706431 127.0.0.1 5000 typ host"}, {"sdpMid", "0"}, {"sdpMLineIndex", 0}},
         {{"candidate", ""}}}}});
}

// Reads one event given as JSON; the result's views point into `reader`.
inline protocol::ReadResult read(protocol::EventReader& reader, const nlohmann::json& event) {
  return reader.read_event(event.dump());
}

}  // namespace mxcall::test
