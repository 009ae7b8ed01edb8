#pragma once
// Where plugins are looked for, and the libraries loaded so far. A plugin named N is the file
// N.so in the first directory of the search path that has one.
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
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
    ~PluginCatalog();
    PluginCatalog(PluginCatalog&&) = default;
    PluginCatalog& operator=(PluginCatalog&&) = default;

    void add_directory(const std::filesystem::path& directory);
    const std::vector<std::filesystem::path>& directories() const { return directories_; }

    // The plugin's library, loaded on first use, and again when its file changed since (from a
    // copy under the temp folder, removed with the catalog). Throws PluginLoadError when the
    // file is refused, PluginNotFound when no directory has it.
    std::shared_ptr<PluginLibrary> load(const std::string& name);

    // Every *.so on the search path by name (first directory wins), for listing and hints.
    std::map<std::string, std::filesystem::path> available() const;

  private:
    struct FileSignature {
        std::uint64_t device = 0, inode = 0, size = 0;
        std::int64_t modified_ns = 0;
        bool operator==(const FileSignature&) const = default;
    };
    struct Loaded {
        std::shared_ptr<PluginLibrary> library;
        std::filesystem::path path;  // where it was found
        FileSignature signature;     // of that file when it was loaded
    };
    static std::optional<FileSignature> file_signature(const std::filesystem::path& file);
    std::filesystem::path fresh_copy(const std::filesystem::path& file, const std::string& name);

    std::vector<std::filesystem::path> directories_;
    std::map<std::string, Loaded> loaded_;
    std::filesystem::path copies_;  // empty until a library is loaded again
    std::uint64_t copies_made_ = 0;
};

class PluginNotFound : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace framehost::core
