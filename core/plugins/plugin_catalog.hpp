#pragma once
// Where plugins are looked for, and the libraries loaded so far. A plugin named N is the file
// N.so in the first directory of the search path that has one.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/plugins/plugin_library.hpp"

namespace framehost::core {

// The plugins folder that belongs to an executable: <bin>/../plugins in the build tree,
// <prefix>/lib/framehost/plugins when installed. Only those that exist.
std::vector<std::filesystem::path> bundled_plugin_directories(
    const std::filesystem::path& executable);

// Splits a PATH-like list ("a:b").
std::vector<std::filesystem::path> split_search_path(const std::string& text);

class PluginCatalog {
  public:
    explicit PluginCatalog(std::vector<std::filesystem::path> directories = {});

    void add_directory(const std::filesystem::path& directory);
    const std::vector<std::filesystem::path>& directories() const { return directories_; }

    // The plugin's library, loaded on first use. Throws PluginLoadError when the file is
    // refused, PluginNotFound when no directory has it.
    std::shared_ptr<PluginLibrary> load(const std::string& name);

    // Every *.so on the search path by name (first directory wins), for listing and hints.
    std::map<std::string, std::filesystem::path> available() const;

  private:
    std::vector<std::filesystem::path> directories_;
    std::map<std::string, std::shared_ptr<PluginLibrary>> loaded_;
};

class PluginNotFound : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace framehost::core
