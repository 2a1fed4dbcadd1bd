#include "mxcall/media/media_engine.hpp"

namespace mxcall::media {

void execute(MediaSession& session, const protocol::MediaOp& op) {
  namespace op_t = protocol::media_op;
  std::visit(
      [&](const auto& o) {
        using T = std::remove_cvref_t<decltype(o)>;
        if constexpr (std::is_same_v<T, op_t::CreateOffer>)
          session.create_offer(o);
        else if constexpr (std::is_same_v<T, op_t::CreateAnswer>)
          session.create_answer(o);
        else if constexpr (std::is_same_v<T, op_t::SetRemoteDescription>)
          session.set_remote_description(o);
        else if constexpr (std::is_same_v<T, op_t::AddRemoteCandidate>)
          session.add_remote_candidate(o);
        else if constexpr (std::is_same_v<T, op_t::EndOfRemoteCandidates>)
          session.end_of_remote_candidates();
        else if constexpr (std::is_same_v<T, op_t::SetDirection>)
          session.set_direction(o.direction);
        else if constexpr (std::is_same_v<T, op_t::SetMuted>)
          session.set_muted(o);
        else if constexpr (std::is_same_v<T, op_t::RestartIce>)
          session.restart_ice();
        else if constexpr (std::is_same_v<T, op_t::Close>)
          session.close();
      },
      op);
}

}  // namespace mxcall::media
