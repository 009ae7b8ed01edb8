#include "core/plugins/plugin_catalog.hpp"

#include <algorithm>

#include "core/config/diagnostics.hpp"

namespace framehost::core {

std::vector<std::filesystem::path> bundled_plugin_directories(
    const std::filesystem::path& executable) {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    auto bin = std::filesystem::weakly_canonical(executable, ec).parent_path();
    for (auto candidate :
         {bin.parent_path() / "plugins", bin.parent_path() / "lib/framehost/plugins"}) {
        if (std::filesystem::is_directory(candidate, ec)) out.push_back(candidate);
    }
    return out;
}

std::vector<std::filesystem::path> split_search_path(const std::string& text) {
    std::vector<std::filesystem::path> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto colon = text.find(':', start);
        auto part =
            text.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        if (!part.empty()) out.emplace_back(part);
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    return out;
}

PluginCatalog::PluginCatalog(std::vector<std::filesystem::path> directories) {
    for (const auto& d : directories) add_directory(d);
}

void PluginCatalog::add_directory(const std::filesystem::path& directory) {
    auto absolute = std::filesystem::absolute(directory).lexically_normal();
    if (std::find(directories_.begin(), directories_.end(), absolute) == directories_.end())
        directories_.push_back(absolute);
}

std::map<std::string, std::filesystem::path> PluginCatalog::available() const {
    std::map<std::string, std::filesystem::path> found;
    for (const auto& directory : directories_) {
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
            if (entry.path().extension() != ".so") continue;
            found.try_emplace(entry.path().stem().string(), entry.path());
        }
    }
    return found;
}

std::shared_ptr<PluginLibrary> PluginCatalog::load(const std::string& name) {
    if (auto it = loaded_.find(name); it != loaded_.end()) return it->second;
    // A name, never a path: "../../lib/libz" would dlopen (and run the constructors of) a
    // library outside every plugin folder before anything could refuse it.
    if (name.empty() || name.front() == '.' || name.find_first_of("/\\") != std::string::npos ||
        name.find('\0') != std::string::npos)
        throw PluginNotFound(
            "plugin name '" + name +
            "' is not a name: plugins are found by name on the plugin path (add a folder with "
            "--plugin-path or plugin_paths)");
    for (const auto& directory : directories_) {
        auto file = directory / (name + ".so");
        std::error_code ec;
        if (!std::filesystem::exists(file, ec)) continue;
        auto library = PluginLibrary::load(file);
        loaded_[name] = library;
        return library;
    }
    std::vector<std::string> names;
    for (const auto& [known, path] : available()) names.push_back(known);
    std::string searched;
    for (const auto& d : directories_) searched += (searched.empty() ? "" : ", ") + d.string();
    throw PluginNotFound("unknown plugin '" + name + "'" + did_you_mean(name, names) +
                         "; searched " + (searched.empty() ? "no directory" : searched));
}

}  // namespace framehost::core
