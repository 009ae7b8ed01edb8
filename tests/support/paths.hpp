#pragma once
// Where the build put what the tests use; set by tests/CMakeLists.txt.
#include <string>

namespace framehost::test {
inline const std::string kFramehostBinary = FRAMEHOST_TEST_BINARY;
inline const std::string kFrameBufferBinary = FRAMEHOST_TEST_FRAME_BUFFER_BINARY;
inline const std::string kBundledPluginDir = FRAMEHOST_TEST_PLUGIN_DIR;
inline const std::string kFixturePluginDir = FRAMEHOST_TEST_FIXTURE_PLUGIN_DIR;
inline const std::string kSourceDir = FRAMEHOST_TEST_SOURCE_DIR;
inline const std::string kArtifactDir = FRAMEHOST_TEST_ARTIFACT_DIR;
}  // namespace framehost::test
