// Whether a peer's offer puts us on hold (rule 56: hold is expressed through transceiver directions, sendonly on the
// holder's side, inactive on mutual hold). Read from the offer's own direction attributes, since the router never
// sees the media engine's transceivers.
#pragma once

#include <string_view>

namespace mxcall::protocol {

// True when the offer has at least one media section in use (port not 0) and every such section is sendonly or
// inactive from the offerer's side: the offerer sends us nothing we could hear or see.
bool offer_holds(std::string_view sdp);

}  // namespace mxcall::protocol
