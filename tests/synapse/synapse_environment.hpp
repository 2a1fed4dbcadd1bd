// One Synapse for a whole GoogleTest program (the Synapse fixture itself is in tests/fixtures, free of GoogleTest).
#pragma once

#include <gtest/gtest.h>

#include "synapse_server.hpp"

namespace mxcall::testing {

// One Synapse for a whole test program: started before the first test, stopped after the last (also when tests
// failed, and then its log is printed). Tests reach it through SynapseEnvironment::server().
class SynapseEnvironment : public ::testing::Environment {
 public:
  explicit SynapseEnvironment(SynapseOptions options) : options_(std::move(options)) {}
  void SetUp() override;
  void TearDown() override;
  static SynapseServer& server();

 private:
  SynapseOptions options_;
};

}  // namespace mxcall::testing
