#pragma once
// One loaded plugin file. Loading checks, in this order, before anything of the plugin runs
// beyond its static constructors: the file is a shared library, it exports
// framehost_abi_version(), that ABI is ours, it exports framehost_plugin_entry(), the boundary
// types have our layout, and its descriptor is sound. Any failure is a PluginLoadError naming
// the file and the reason; nothing of the plugin is called after a failed check.
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include <boost/dll/shared_library.hpp>

#include "framehost/plugin.hpp"

namespace framehost::core {

class PluginLoadError : public std::runtime_error {
  public:
    PluginLoadError(const std::filesystem::path& file, const std::string& reason);
    const std::string& reason() const { return reason_; }

  private:
    std::string reason_;
};

class PluginLibrary : public std::enable_shared_from_this<PluginLibrary> {
  public:
    static std::shared_ptr<PluginLibrary> load(const std::filesystem::path& file);

    const PluginDescriptor& descriptor() const { return *descriptor_; }
    const std::filesystem::path& file() const { return file_; }
    const char* sdk_version() const { return entry_->sdk_version; }

    // The instance keeps this library loaded for as long as it lives. Throws what the plugin's
    // constructor throws.
    std::shared_ptr<Plugin> create(const Params& params, PluginContext& context);

    PluginLibrary(const PluginLibrary&) = delete;
    PluginLibrary& operator=(const PluginLibrary&) = delete;

  private:
    PluginLibrary() = default;
    std::filesystem::path file_;
    boost::dll::shared_library library_;
    const PluginEntry* entry_ = nullptr;
    const PluginDescriptor* descriptor_ = nullptr;
};

}  // namespace framehost::core
