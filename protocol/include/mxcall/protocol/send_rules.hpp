// The sending rules: what a spec-conformant sender must produce (spec v1.19 schemas and text, and the MSCs for the
// events the spec does not have yet). The writer applies them to everything we send; `mxcall validate --strict`
// applies them to received events.
#pragma once

#include <optional>

#include "mxcall/protocol/call_events.hpp"
#include "mxcall/protocol/event_reader.hpp"

namespace mxcall::protocol {

enum class VersionCheck : unsigned char {
  check,  // the content's version must be the string "1"
  skip,   // the writer writes "1" itself, whatever the content says
};

enum class PeerIds : unsigned char {
  grammar,   // call_id and selected_party_id must follow the opaque-id grammar (rule 8)
  verbatim,  // they may be ids a peer made up outside the grammar, which we must echo back as they were
};

// The first rule `content` breaks, or nullopt. Also checks that every string is valid UTF-8.
std::optional<FieldError> check_send_rules(const CallContent& content, VersionCheck version = VersionCheck::check,
                                           PeerIds peer_ids = PeerIds::grammar);

}  // namespace mxcall::protocol
