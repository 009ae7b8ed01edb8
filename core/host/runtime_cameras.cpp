#include "core/host/runtime_cameras.hpp"

#include <cctype>

#include "core/log/log.hpp"
#include "framehost/param_rules.hpp"

namespace framehost::core {

namespace {
// Ids become paths (/cameras/{id}/...) and metric labels: plain characters only.
bool plain_id(const std::string& id) {
    if (id.empty() || id.size() > 128) return false;
    for (unsigned char c : id)
        if (!std::isalnum(c) && c != '-' && c != '_' && c != '.' && c != '~') return false;
    return true;
}
}  // namespace

void RuntimeCameras::set_camera_plugin(std::shared_ptr<PluginLibrary> library) {
    std::lock_guard lock(mutex_);
    library_ = std::move(library);
}

RuntimeCameras::Result RuntimeCameras::add_checked(const nlohmann::json& camera) {
    if (!camera.is_object()) return {Outcome::Invalid, "", "the body must be a JSON object", {}};
    if (!camera.contains("id") || !camera["id"].is_string())
        return {Outcome::Invalid, "id", "'id' is required: the camera's id, a string", {}};
    auto id = camera["id"].get<std::string>();
    if (!plain_id(id))
        return {Outcome::Invalid,
                "id",
                "'id' must be 1 to 128 letters, digits, '-', '_', '.' or '~'",
                {}};
    if (!camera.contains("url") || !camera["url"].is_string() ||
        camera["url"].get<std::string>().empty())
        return {
            Outcome::Invalid, "url", "'url' is required: the camera's URL or file, a string", {}};
    if (auto refused = policy_.problem(camera["url"].get<std::string>()); !refused.empty())
        return {Outcome::Invalid, "url", refused, {}};
    for (const char* hosts : {"protocol_whitelist", "format_whitelist"})
        if (camera.contains(hosts))
            return {Outcome::Invalid,
                    hosts,
                    std::string("'") + hosts + "' is the host's to set (camera_api in its config)",
                    {}};
    for (const char* taken : {"camera_id", "cameras"})
        if (camera.contains(taken))
            return {Outcome::Invalid,
                    taken,
                    std::string("'") + taken + "' is not taken here: one camera per request, " +
                        "named by 'id'",
                    {}};
    std::shared_ptr<PluginLibrary> library;
    {
        std::lock_guard lock(mutex_);
        library = library_;
        if (added_.count(id)) return {Outcome::Exists, "id", "camera '" + id + "' exists", {}};
    }
    if (!library)
        return {Outcome::Unavailable,
                "",
                "cameras cannot be added: the camera plugin is not on the plugin path",
                {}};
    nlohmann::json params = camera;
    params.erase("id");
    params["camera_id"] = id;
    // FFmpeg is told the same as the policy: it never opens more than the URL's check allowed.
    params["protocol_whitelist"] = policy_.ffmpeg_protocols();
    params["format_whitelist"] = policy_.ffmpeg_formats();
    const auto& spec = library->descriptor().params;
    if (auto problem = check_json_params(spec, params))
        return {Outcome::Invalid, problem.field, problem.text, {}};
    std::string name = "camera:" + id;
    std::shared_ptr<PluginInstance> instance;
    Params typed(typed_params(spec, params));
    try {
        instance = PluginInstance::create(library, name, typed, metrics_, &extensions_);
    } catch (const std::exception& e) {
        return {Outcome::Invalid,
                "",
                library->descriptor().name + " refused the camera: " + e.what(),
                {}};
    }
    {
        std::lock_guard lock(mutex_);
        if (!added_.emplace(id, name).second)
            return {Outcome::Exists, "id", "camera '" + id + "' exists", {}};
    }
    try {
        pipeline_.add_source({instance, source_retry_params().read(typed)});
    } catch (const std::exception& e) {
        std::lock_guard lock(mutex_);
        added_.erase(id);
        return {Outcome::Unavailable, "", e.what(), {}};
    }
    log(LogLevel::Info, "cameras", "added camera '" + id + "' as source '" + name + "'");
    return {Outcome::Added, "", "", {{"id", id}, {"source", name}}};
}

RuntimeCameras::Result RuntimeCameras::remove(const std::string& id, bool configured) {
    std::string name;
    {
        std::lock_guard lock(mutex_);
        auto it = added_.find(id);
        if (it == added_.end()) {
            if (configured)
                return {Outcome::FromConfig,
                        "",
                        "camera '" + id +
                            "' comes from the config file: remove it there (only "
                            "cameras added over HTTP are removed over HTTP)",
                        {}};
            return {Outcome::NotFound, "", "no camera '" + id + "'", {}};
        }
        name = it->second;
    }
    std::size_t waited = 0;
    try {
        waited = pipeline_.remove_source(name);
    } catch (const std::exception& e) {
        return {Outcome::Conflict, "", e.what(), {}};
    }
    {
        std::lock_guard lock(mutex_);
        added_.erase(id);
    }
    log(LogLevel::Info, "cameras",
        "removed camera '" + id + "' after its " + std::to_string(waited) +
            " frames in flight finished");
    return {Outcome::Removed, "", "", {{"removed", id}, {"frames_in_flight_finished", waited}}};
}

std::optional<std::string> RuntimeCameras::instance_of(const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = added_.find(id);
    if (it == added_.end()) return std::nullopt;
    return it->second;
}

}  // namespace framehost::core
