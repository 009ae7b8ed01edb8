#pragma once
// The files of sdk/templates, embedded at build time: name (e.g. "processor.cpp.in") -> text.
#include <map>
#include <string>

namespace framehost::app {

const std::map<std::string, std::string>& plugin_templates();

}  // namespace framehost::app
