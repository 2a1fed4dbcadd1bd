#include "mxcall/media/media_engine.hpp"
#include "mxcall/protocol/overloaded.hpp"

namespace mxcall::media {

void execute(MediaSession& session, const protocol::MediaOp& op) {
  namespace op_t = protocol::media_op;
  std::visit(protocol::Overloaded{
                 [&](const op_t::CreateOffer& o) { session.create_offer(o); },
                 [&](const op_t::CreateAnswer& o) { session.create_answer(o); },
                 [&](const op_t::SetRemoteDescription& o) { session.set_remote_description(o); },
                 [&](const op_t::AddRemoteCandidate& o) { session.add_remote_candidate(o); },
                 [&](const op_t::EndOfRemoteCandidates&) { session.end_of_remote_candidates(); },
                 [&](const op_t::SetDirection& o) { session.set_direction(o.direction); },
                 [&](const op_t::SetMuted& o) { session.set_muted(o); },
                 [&](const op_t::RestartIce&) { session.restart_ice(); },
                 [&](const op_t::Close&) { session.close(); },
                 [&](const op_t::SendDtmf& o) { session.send_dtmf(o); },
             },
             op);
}

}  // namespace mxcall::media
