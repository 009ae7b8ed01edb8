#pragma once
// The services one host offers its plugins (framehost/extension.hpp), by id and version. Each
// host has its own: two hosts in one process share nothing through it. Per-instance services
// (the stop request) are the instance's context's own and not listed here.
#include <framehost/extension.hpp>

namespace framehost::core {

using HostExtensions = framehost::ExtensionTable;

}  // namespace framehost::core
