// The four basic scenarios, parameterised by the JS peer (PeerKind::node or PeerKind::browser); see basic_calls.cpp.
#pragma once

#include "interop_fixture.hpp"

namespace mxcall::interop {

class BasicCalls : public InteropTest, public ::testing::WithParamInterface<PeerKind> {
 protected:
  void SetUp() override;
};

}  // namespace mxcall::interop
