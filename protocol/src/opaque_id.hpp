// Internal: identifier grammars. Used to check what we send and what --strict validation reports; never to reject what
// we receive (digest pitfall 16: Nheko's call ids and the dart-sdk's party ids break the grammar in the wild).
#pragma once

#include <string_view>

namespace mxcall::protocol {

// The spec's opaque identifier grammar for call_id and party_id: 1-255 characters of [0-9A-Za-z._~-].
bool is_opaque_id(std::string_view id);

// A Matrix user id in the shape the spec's `mx-user-id` format asks for: "@localpart:server", both parts non-empty.
bool is_user_id(std::string_view id);

}  // namespace mxcall::protocol
