#include "core/host/camera_url_policy.hpp"
#include "core/text/ascii.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

namespace framehost::core {

namespace {

// The FFmpeg protocols each scheme needs underneath (RTSP carries RTP over UDP or TCP, HTTPS is
// HTTP over TLS over TCP, ...).
const std::map<std::string, std::vector<std::string>>& layers() {
    static const std::map<std::string, std::vector<std::string>> table = {
        {"rtsp", {"rtsp", "rtp", "srtp", "udp", "tcp"}},
        {"rtsps", {"rtsp", "rtp", "srtp", "udp", "tcp", "tls"}},
        {"http", {"http", "tcp"}},
        {"https", {"https", "http", "tcp", "tls"}},
        {"rtmp", {"rtmp", "tcp"}},
        {"rtmps", {"rtmps", "rtmp", "tcp", "tls"}},
        {"udp", {"udp", "rtp"}},
        {"rtp", {"rtp", "udp"}},
        {"srt", {"srt", "udp"}},
        {"file", {"file"}},
    };
    return table;
}

// Containers and streams a camera sends video in; not FFmpeg's text, image-sequence, playlist
// or device demuxers.
constexpr const char* kFormats =
    "rtsp,sdp,rtp,mpegts,mpjpeg,mjpeg,jpeg_pipe,h264,hevc,flv,live_flv,hls,mov,mp4,matroska,"
    "webm,avi,asf,mpeg,mpegvideo,m4v,ivf,rawvideo";

// The URL's host: after "scheme://", before the port, path or query; brackets of an IPv6
// literal removed; user information skipped.
std::string host_of(const std::string& url) {
    auto start = url.find("://");
    if (start == std::string::npos) return "";
    start += 3;
    auto end = url.find_first_of("/?#", start);
    auto authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (auto at = authority.rfind('@'); at != std::string::npos)
        authority = authority.substr(at + 1);
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        return close == std::string::npos ? "" : authority.substr(1, close - 1);
    }
    return authority.substr(0, authority.find(':'));
}

std::string text_of(const sockaddr* address) {
    char text[INET6_ADDRSTRLEN] = {};
    if (address->sa_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text,
                  sizeof text);
    else if (address->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text,
                  sizeof text);
    return text;
}

// Loopback, unspecified, or an IPv4 one of those mapped into IPv6.
bool loopback(const sockaddr* address) {
    if (address->sa_family == AF_INET) {
        auto ip = ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr);
        return (ip >> 24) == 127 || ip == 0;
    }
    if (address->sa_family == AF_INET6) {
        const auto& ip = reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(&ip) || IN6_IS_ADDR_UNSPECIFIED(&ip)) return true;
        if (IN6_IS_ADDR_V4MAPPED(&ip))
            return ip.s6_addr[12] == 127 || (ip.s6_addr[12] == 0 && ip.s6_addr[13] == 0 &&
                                             ip.s6_addr[14] == 0 && ip.s6_addr[15] == 0);
    }
    return false;
}

std::set<std::string> own_addresses() {
    std::set<std::string> own;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return own;
    for (auto* i = list; i; i = i->ifa_next)
        if (i->ifa_addr &&
            (i->ifa_addr->sa_family == AF_INET || i->ifa_addr->sa_family == AF_INET6))
            own.insert(text_of(i->ifa_addr));
    freeifaddrs(list);
    return own;
}

}  // namespace

std::string CameraUrlPolicy::problem(const std::string& url) const {
    auto colon = url.find(':');
    auto scheme =
        colon == std::string::npos ? std::string("file") : ascii_lowercase(url.substr(0, colon));
    // A path, or "file:": a file. Anything else must be scheme://..., so nested protocols
    // (concat:, subfile:, pipe:, data:, crypto:) never pass as a scheme of their own.
    bool path = colon == std::string::npos || url.front() == '/' || url.front() == '.';
    if (path)
        scheme = "file";
    else if (url.compare(colon, 3, "://") != 0 && scheme != "file")
        return "'" + scheme + ":' is not a camera URL: give scheme://host/...";
    const auto& allowed = settings_.protocols;
    if (std::find(allowed.begin(), allowed.end(), scheme) == allowed.end()) {
        std::string list;
        for (const auto& p : allowed) list += (list.empty() ? "" : ", ") + p;
        return scheme == "file"
                   ? "files cannot be opened by cameras added over HTTP (camera_api.protocols "
                     "lists file to allow them)"
                   : "'" + scheme + "' is not a protocol cameras added over HTTP may use (" + list +
                         "; camera_api.protocols)";
    }
    if (!layers().count(scheme)) return "'" + scheme + "' is not a protocol framehost knows";
    if (scheme == "file" || settings_.allow_loopback) return "";
    auto host = host_of(url);
    if (host.empty()) return "the URL names no host";
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0)
        return "cannot resolve '" + host + "': " + gai_strerror(rc);
    auto own = own_addresses();
    std::string refused;
    for (auto* a = found; a && refused.empty(); a = a->ai_next)
        if (loopback(a->ai_addr) || own.count(text_of(a->ai_addr))) refused = text_of(a->ai_addr);
    freeaddrinfo(found);
    if (!refused.empty())
        return "'" + host + "' is this machine (" + refused +
               "): cameras added over HTTP do not reach the host's own services "
               "(camera_api.allow_loopback allows it)";
    return "";
}

std::string CameraUrlPolicy::ffmpeg_protocols() const {
    std::set<std::string> needed;
    for (const auto& scheme : settings_.protocols)
        if (auto it = layers().find(scheme); it != layers().end())
            needed.insert(it->second.begin(), it->second.end());
    std::string list;
    for (const auto& p : needed) list += (list.empty() ? "" : ",") + p;
    return list;
}

std::string CameraUrlPolicy::ffmpeg_formats() const {
    return kFormats;
}

}  // namespace framehost::core
