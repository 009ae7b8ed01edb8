#include "core/http/cameras_report.hpp"

#include <cctype>
#include <map>

#include "core/http/plugin_figures.hpp"

namespace framehost::core {

namespace {

// Each source's cameras: id -> the source instance's name and the camera's own status.
std::map<std::string, std::pair<std::string, nlohmann::json>> source_cameras(Host& host) {
    std::map<std::string, std::pair<std::string, nlohmann::json>> out;
    for (const auto& instance : host.pipeline().instances()) {
        if (instance->descriptor().kind != PluginKind::Source) continue;
        auto status = plugin_own_status(*instance);
        auto it = status.find("cameras");
        if (it == status.end() || !it->is_object()) continue;
        for (auto camera = it->begin(); camera != it->end(); ++camera)
            out.emplace(camera.key(), std::make_pair(instance->name(), camera.value()));
    }
    return out;
}

}  // namespace

std::string camera_path(const std::string& camera, const std::string& route) {
    static const char* kHex = "0123456789ABCDEF";
    std::string id;
    for (unsigned char c : camera) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            id += static_cast<char>(c);
        } else {
            id += '%';
            id += kHex[c >> 4];
            id += kHex[c & 15];
        }
    }
    std::string path = route;
    auto at = path.find("{id}");
    return at == std::string::npos ? path : path.replace(at, 4, id);
}

bool camera_known(Host& host, const std::string& camera) {
    return source_cameras(host).count(camera) > 0;
}

nlohmann::json cameras_report(Host& host, const PreviewBoard& previews) {
    auto from_sources = source_cameras(host);
    auto pictures = previews.all();
    std::map<std::string, nlohmann::json> cameras;
    for (auto& [id, entry] : from_sources) {
        nlohmann::json c = entry.second.is_object() ? entry.second : nlohmann::json::object();
        c["id"] = id;
        c["source"] = entry.first;
        c["added_at_runtime"] = host.cameras().instance_of(id).has_value();
        if (!c.contains("state")) c["state"] = "unknown";
        cameras[id] = std::move(c);
    }
    // Pictures of cameras no source reports (frames from a Frame Buffer or a Redis stream).
    for (const auto& [id, picture] : pictures)
        if (!cameras.count(id))
            cameras[id] = {{"id", id}, {"source", nullptr}, {"state", "unknown"}};
    auto now = std::chrono::steady_clock::now();
    nlohmann::json list = nlohmann::json::array();
    for (auto& [id, c] : cameras) {
        auto picture = pictures.find(id);
        if (picture == pictures.end()) {
            c["preview"] = nullptr;
        } else {
            const Preview& p = picture->second;
            c["preview"] = {{"snapshot", camera_path(id, kSnapshotRoute)},
                            {"stream", camera_path(id, kStreamRoute)},
                            {"frame_id", p.frame_id},
                            {"width", p.width},
                            {"height", p.height},
                            {"jpeg_bytes", p.jpeg ? p.jpeg->size() : 0},
                            {"sequence", p.sequence},
                            {"age_s", std::chrono::duration<double>(now - p.published).count()},
                            {"published_by", p.instance}};
        }
        list.push_back(std::move(c));
    }
    // The host's clock, for rates between two answers that do not depend on the reader's.
    static const auto started = std::chrono::steady_clock::now();
    return {{"cameras", std::move(list)},
            {"at_s", std::chrono::duration<double>(now - started).count()}};
}

}  // namespace framehost::core
