#pragma once
// Cameras added to a running host (POST /cameras) and removed from it (DELETE /cameras/{id}):
// each is a source of its own, an instance of the camera plugin (video_source) with the
// parameters the body gives, checked by that plugin's own parameter spec, as YAML is. Other
// sources never stop for it. What is added lives until removed or until the host stops: it is
// not written back to the config file (docs/http-api.md says why).
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/metrics/metrics_registry.hpp"
#include "core/pipeline/pipeline.hpp"
#include "core/plugins/plugin_library.hpp"

namespace framehost::core {

inline constexpr const char* kCameraPlugin = "video_source";

class RuntimeCameras {
  public:
    RuntimeCameras(Pipeline& pipeline, MetricsRegistry& metrics)
        : pipeline_(pipeline), metrics_(metrics) {}

    // The camera plugin's library, found on the plugin path when the host starts; without it
    // cameras cannot be added.
    void set_camera_plugin(std::shared_ptr<PluginLibrary> library);

    // How an add or remove went: `status` as the HTTP answer's (201, 200, 404, 409, 422, 503),
    // `field` the body's field at fault, `detail` what happened or what is wrong.
    struct Result {
        int status = 200;
        std::string field;
        std::string detail;
        nlohmann::json body;  // on success
    };
    // `camera` is the body: {"id": ..., "url": ..., other video_source parameters}. `known`
    // says whether a camera id is already in use anywhere in the host.
    template <class Known>
    Result add(const nlohmann::json& camera, Known&& known) {
        if (camera.is_object() && camera.contains("id") && camera["id"].is_string() &&
            known(camera["id"].get<std::string>()))
            return {409, "id", "camera '" + camera["id"].get<std::string>() + "' exists", {}};
        return add_checked(camera);
    }
    Result remove(const std::string& id, bool configured);
    // The source instance of a camera added at runtime, or nothing.
    std::optional<std::string> instance_of(const std::string& id) const;

  private:
    Result add_checked(const nlohmann::json& camera);

    Pipeline& pipeline_;
    MetricsRegistry& metrics_;
    mutable std::mutex mutex_;
    std::shared_ptr<PluginLibrary> library_;
    std::map<std::string, std::string> added_;  // camera id -> source instance name
};

}  // namespace framehost::core
