#include "core/plugins/plugin_library.hpp"

#include <dlfcn.h>

#include "core/config/param_values.hpp"
#include "framehost/abi_check.hpp"
#include "framehost/version.hpp"

namespace framehost::core {

PluginLoadError::PluginLoadError(const std::filesystem::path& file, const std::string& reason)
    : std::runtime_error(file.string() + ": " + reason), reason_(reason) {}

namespace {

// dlerror() text starts with the file name, which our message already carries.
std::string loader_reason(const std::string& what, const std::filesystem::path& file) {
    std::string text = what;
    auto prefix = file.string() + ": ";
    if (auto at = text.find(prefix); at != std::string::npos) text.erase(0, at + prefix.size());
    // Boost.DLL closes the dlerror() text with ")" and appends errno's message, which says
    // nothing about a failed dlopen ("Bad file descriptor").
    if (auto at = text.rfind("): "); at != std::string::npos) text.erase(at);
    if (text.find("invalid ELF header") != std::string::npos ||
        text.find("file too short") != std::string::npos)
        return "not a shared library (" + text + ")";
    if (text.find("undefined symbol") != std::string::npos)
        return "it needs a symbol nothing provides (" + text +
               "); link plugins with -Wl,--no-undefined";
    return "cannot be loaded (" + text + ")";
}

}  // namespace

std::shared_ptr<PluginLibrary> PluginLibrary::load(const std::filesystem::path& requested) {
    std::error_code ec;
    auto kind = std::filesystem::status(requested, ec).type();
    if (kind == std::filesystem::file_type::not_found || kind == std::filesystem::file_type::none)
        throw PluginLoadError(requested, "no such file");
    if (kind == std::filesystem::file_type::directory)
        throw PluginLoadError(requested, "a directory, not a plugin library");
    if (kind != std::filesystem::file_type::regular)
        throw PluginLoadError(
            requested, "not a regular file (a device, FIFO or socket), not a plugin library");
    auto file = std::filesystem::absolute(requested);

    std::shared_ptr<PluginLibrary> self(new PluginLibrary());
    self->file_ = file;
    try {
        // rtld_now: an unresolved symbol fails here, not as an uncatchable abort at call time.
        // RTLD_NODELETE: a library stays mapped once opened. Pixels a plugin made are freed by
        // its code (an image's owner), possibly after the instance is gone; and the libraries
        // plugins bring (FFmpeg, OpenCV, GnuTLS) keep process-wide state they never expect to be
        // unmapped (LeakSanitizer saw it as leaked once they were).
        self->library_.load(file, static_cast<boost::dll::load_mode::type>(
                                      boost::dll::load_mode::rtld_now | RTLD_NODELETE));
    } catch (const std::exception& e) {
        throw PluginLoadError(file, loader_reason(e.what(), file));
    }

    auto native = self->library_.native();
    auto checked = check_plugin_abi([native](const char* name) { return dlsym(native, name); });
    if (!checked.entry) throw PluginLoadError(file, checked.problem);
    self->entry_ = checked.entry;
    const PluginEntry& entry = *self->entry_;
    try {
        self->descriptor_ = &entry.descriptor();
    } catch (const std::exception& e) {
        throw PluginLoadError(file, std::string("its descriptor() threw: ") + e.what());
    }
    const auto& d = *self->descriptor_;
    if (d.name.empty()) throw PluginLoadError(file, "its descriptor has an empty name");
    if (file.extension() == ".so" && file.stem() != d.name)
        throw PluginLoadError(file, "its descriptor names it '" + d.name + "' but the file is " +
                                        file.filename().string() +
                                        " (a plugin is found by name: call the file " + d.name +
                                        ".so)");
    auto problems = check_param_spec(d.params);
    if (!problems.empty()) {
        std::string text = "its parameter spec is invalid: ";
        for (std::size_t i = 0; i < problems.size(); ++i) text += (i ? "; " : "") + problems[i];
        throw PluginLoadError(file, text);
    }
    return self;
}

std::shared_ptr<Plugin> PluginLibrary::create(const Params& params, PluginContext& context) {
    Plugin* raw = entry_->create(params, context);
    if (raw == nullptr)
        throw std::runtime_error("plugin " + descriptor().name + " created nothing");
    // The deleter holds the library: the code behind the instance's vtable stays mapped until
    // the instance is gone.
    return std::shared_ptr<Plugin>(raw, [library = shared_from_this(), destroy = entry_->destroy](
                                            Plugin* instance) { destroy(instance); });
}

}  // namespace framehost::core
