#pragma once
// What GET /cameras answers: every camera the host knows, from its sources' status ("cameras":
// {id: {...}}, as video_source reports them) and from the pictures plugins published
// (core/http/previews.hpp), with each camera's state and figures and its latest picture.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/host/host.hpp"
#include "core/http/previews.hpp"

namespace framehost::core {

// {"cameras": [{"id", "source", "state", ...the source's figures..., "preview": {...} | null}],
//  "at_s": seconds on the host's steady clock}
nlohmann::json cameras_report(Host& host, const PreviewBoard& previews);

// Whether a source of the host reports this camera.
bool camera_known(Host& host, const std::string& camera);

// The leaves of a camera's own paths.
inline constexpr const char* kSnapshotLeaf = "snapshot.jpg";
inline constexpr const char* kStreamLeaf = "stream.mjpg";
// A camera's own paths: /cameras/<id, percent-encoded>/<leaf>.
std::string camera_path(const std::string& camera, const std::string& leaf);
struct CameraPath {
    std::string camera;  // percent-decoded
    std::string leaf;
};
// The camera of /cameras/<id> (percent-decoded), or nothing when the path is not that.
std::optional<std::string> camera_resource(const std::string& path);
// The camera and leaf of such a path, or nothing when the path is not one.
std::optional<CameraPath> parse_camera_path(const std::string& path);

}  // namespace framehost::core
