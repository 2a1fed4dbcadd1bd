// Strict writing of what we send: every content passes check_send_rules() first, and the writer itself always puts
// version "1" (a string), writes both sdp_stream_metadata keys (stable, and MSC3077's unstable one that mautrix-go
// reads) and never writes an empty string for an absent value.
#pragma once

#include <optional>
#include <string>

#include "mxcall/protocol/call_events.hpp"
#include "mxcall/protocol/event_reader.hpp"
#include "mxcall/protocol/send_rules.hpp"

namespace mxcall::protocol {

// The content object, as the body of PUT /rooms/{room}/send/{type}/{txn}. On a rule violation `out` is left empty
// and the error names the field.
// `peer_ids` relaxes the id grammar for ids a peer made (a call we answer, the party we select).
std::optional<FieldError> write_content(const CallContent& content, std::string& out,
                                        PeerIds peer_ids = PeerIds::grammar);

// A whole room event (type, sender, room_id, event_id, origin_server_ts, unsigned.age, content) for tools and tests;
// the type is the stable name of the content's kind.
std::optional<FieldError> write_room_event(const RoomEvent& event, std::string& out);

}  // namespace mxcall::protocol
