#pragma once
// Cameras added to a running host (POST /cameras) and removed from it (DELETE /cameras/{id}):
// each is a source of its own, an instance of the camera plugin the app names (video_source)
// with the parameters the body gives, checked by that plugin's own parameter spec, as YAML is.
// Other sources never stop for it. What is added lives until removed or until the host stops: it is
// not written back to the config file (docs/http-api.md says why).
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/host/camera_url_policy.hpp"
#include "core/metrics/metrics_registry.hpp"
#include "core/pipeline/pipeline.hpp"
#include "core/plugins/host_extensions.hpp"
#include "core/plugins/plugin_library.hpp"

namespace framehost::core {

class RuntimeCameras {
  public:
    RuntimeCameras(Pipeline& pipeline, MetricsRegistry& metrics, const HostExtensions& extensions,
                   CameraUrlPolicy policy)
        : pipeline_(pipeline),
          metrics_(metrics),
          extensions_(extensions),
          policy_(std::move(policy)) {}

    // The camera plugin's library, found on the plugin path when the host starts; without it
    // cameras cannot be added.
    void set_camera_plugin(std::shared_ptr<PluginLibrary> library);

    // How an add or remove went. The HTTP API answers each outcome with its own status.
    enum class Outcome {
        Added,
        Removed,
        Invalid,      // the body is wrong: `field` names what, `detail` says why
        Exists,       // the id is taken
        NotFound,     // no such camera
        FromConfig,   // the camera is the config file's: not removed over HTTP
        Conflict,     // the pipeline refused the removal (it changed meanwhile)
        Unavailable,  // no camera plugin, or the host is not running or full
    };
    struct Result {
        Outcome outcome = Outcome::Added;
        std::string field;
        std::string detail;
        nlohmann::json body;  // when added or removed
        bool ok() const { return outcome == Outcome::Added || outcome == Outcome::Removed; }
    };
    // `camera` is the body: {"id": ..., "url": ..., other video_source parameters}. `known`
    // says whether a camera id is already in use anywhere in the host.
    template <class Known>
    Result add(const nlohmann::json& camera, Known&& known) {
        if (camera.is_object() && camera.contains("id") && camera["id"].is_string() &&
            known(camera["id"].get<std::string>()))
            return {Outcome::Exists,
                    "id",
                    "camera '" + camera["id"].get<std::string>() + "' exists",
                    {}};
        return add_checked(camera);
    }
    Result remove(const std::string& id, bool configured);
    // The source instance of a camera added at runtime, or nothing.
    std::optional<std::string> instance_of(const std::string& id) const;

  private:
    Result add_checked(const nlohmann::json& camera);

    Pipeline& pipeline_;
    MetricsRegistry& metrics_;
    const HostExtensions& extensions_;
    const CameraUrlPolicy policy_;
    mutable std::mutex mutex_;
    std::shared_ptr<PluginLibrary> library_;
    std::map<std::string, std::string> added_;  // camera id -> source instance name
};

}  // namespace framehost::core
