#include "core/plugins/plugin_catalog.hpp"

#include <sys/stat.h>
#include <unistd.h>

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

std::optional<PluginCatalog::FileSignature> PluginCatalog::file_signature(
    const std::filesystem::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return std::nullopt;
    return FileSignature{
        static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
        static_cast<std::uint64_t>(st.st_size),
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

std::filesystem::path PluginCatalog::fresh_copy(const std::filesystem::path& file,
                                                const std::string& name) {
    if (copies_.empty()) {
        copies_ = std::filesystem::temp_directory_path() /
                  ("framehost-plugins-" + std::to_string(::getpid()));
    }
    // The file keeps its name (the loader checks it against the descriptor): a folder per copy.
    auto folder = copies_ / std::to_string(++copies_made_);
    std::filesystem::create_directories(folder);
    auto copy = folder / (name + ".so");
    std::filesystem::copy_file(file, copy, std::filesystem::copy_options::overwrite_existing);
    return copy;
}

PluginCatalog::~PluginCatalog() {
    // Mapped copies stay usable once unlinked; isolated workers of a host still running would
    // not find theirs, but the catalog outlives the host.
    std::error_code ec;
    if (!copies_.empty()) std::filesystem::remove_all(copies_, ec);
}

std::shared_ptr<PluginLibrary> PluginCatalog::load(const std::string& name) {
    // A library loaded before is used again, unless its file changed on disk since (a plugin
    // rebuilt between two reloads): then the new file is loaded, from a copy, as dlopen would
    // hand back the old code for the same path while it is mapped.
    if (auto it = loaded_.find(name); it != loaded_.end()) {
        auto now = file_signature(it->second.path);
        if (!now || *now == it->second.signature) return it->second.library;
        auto library = PluginLibrary::load(fresh_copy(it->second.path, name));
        it->second = {library, it->second.path, *now};
        return library;
    }
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
        auto signature = file_signature(file);
        auto library = PluginLibrary::load(file);
        loaded_[name] = {library, file, signature.value_or(FileSignature{})};
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
