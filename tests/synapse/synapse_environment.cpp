#include "synapse_environment.hpp"

#include <cstdio>
#include <memory>

namespace mxcall::testing {

namespace {
std::unique_ptr<SynapseServer> g_server;
}

void SynapseEnvironment::SetUp() {
  g_server = std::make_unique<SynapseServer>(options_);
  std::string error;
  ASSERT_TRUE(g_server->start(&error)) << error;
}

void SynapseEnvironment::TearDown() {
  if (g_server && ::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
    std::fprintf(stderr, "Synapse log (tests failed):\n%s\n", g_server->log_tail(60).c_str());
  }
  g_server.reset();
}

SynapseServer& SynapseEnvironment::server() { return *g_server; }

}  // namespace mxcall::testing
