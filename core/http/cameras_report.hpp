#pragma once
// What GET /cameras answers: every camera the host knows, from its sources' status ("cameras":
// {id: {...}}, as video_source reports them) and from the pictures plugins published
// (core/host/previews.hpp), with each camera's state and figures and its latest picture.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/host/host.hpp"
#include "core/host/previews.hpp"

namespace framehost::core {

// {"cameras": [{"id", "source", "state", ...the source's figures..., "preview": {...} | null}],
//  "at_s": seconds on the host's steady clock}
nlohmann::json cameras_report(Host& host, const PreviewBoard& previews);

// Whether a source of the host reports this camera.
bool camera_known(Host& host, const std::string& camera);

// A camera's pictures: the route table serves these patterns, and /cameras links to them.
inline constexpr const char* kSnapshotRoute = "/cameras/{id}/snapshot.jpg";
inline constexpr const char* kStreamRoute = "/cameras/{id}/stream.mjpg";
// `route` with its {id} replaced by the camera's id, percent-encoded.
std::string camera_path(const std::string& camera, const std::string& route);
}  // namespace framehost::core
