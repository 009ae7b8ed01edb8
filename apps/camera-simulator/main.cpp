// camera-simulator: stands in for the RTSP capture, POSTing frames to a Frame Buffer at a set
// rate, as the capture service does.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include <curl/curl.h>
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "framehost/base64.hpp"

namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;

namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) {
    g_stop = true;
}

std::size_t discard(char*, std::size_t size, std::size_t count, void*) {
    return size * count;
}

}  // namespace

int main(int argc, char** argv) {
    po::options_description options(
        "camera-simulator - POSTs synthetic frames to a Frame Buffer\n\nUsage: camera-simulator "
        "[options]\n\nOptions");
    options.add_options()("help,h", "show this help")(
        "url", po::value<std::string>()->default_value("http://127.0.0.1:8002"),
        "Frame Buffer base URL")("rate", po::value<double>()->default_value(30),
                                 "frames per second (0: as fast as possible)")(
        "count", po::value<long long>()->default_value(0),
        "frames to send, then exit (0: until stopped)")(
        "cameras", po::value<int>()->default_value(2), "cameras camera_01.. round robin")(
        "width", po::value<int>()->default_value(640), "frame width")(
        "height", po::value<int>()->default_value(480), "frame height")(
        "pixels", "send RGB pixel bytes (base64 'data'); without it frames are metadata only")(
        "prefix", po::value<std::string>()->default_value("frame-"), "frame id prefix");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, options), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "camera-simulator: " << e.what() << "\n";
        return 2;
    }
    if (vm.count("help")) {
        std::cout << options << "\n";
        return 0;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL* curl = curl_easy_init();
    std::string url = vm["url"].as<std::string>() + "/frames/enqueue";
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Connection: keep-alive");
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);

    int width = vm["width"].as<int>(), height = vm["height"].as<int>(),
        cameras = vm["cameras"].as<int>();
    double rate = vm["rate"].as<double>();
    long long count = vm["count"].as<long long>();
    std::string data;
    if (vm.count("pixels")) {
        std::vector<std::uint8_t> bytes(static_cast<std::size_t>(width) *
                                        static_cast<std::size_t>(height) * 3);
        for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 7);
        data = framehost::encode_base64(bytes);
    }
    long long sent = 0, full = 0, errors = 0;
    auto started = Clock::now();
    auto last_report = started;
    for (long long n = 0; !g_stop && (count == 0 || n < count); ++n) {
        if (rate > 0)
            std::this_thread::sleep_until(started + std::chrono::duration_cast<Clock::duration>(
                                                        std::chrono::duration<double>(n / rate)));
        char camera[32];
        std::snprintf(camera, sizeof camera, "camera_%02d", static_cast<int>(n % cameras) + 1);
        nlohmann::json frame = {
            {"frame_id", vm["prefix"].as<std::string>() + std::to_string(n)},
            {"camera_id", camera},
            {"timestamp",
             std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                 .count()},
            {"width", width},
            {"height", height},
            {"format", "RGB"},
            {"metadata", {{"source", "camera-simulator"}, {"sequence", n}}}};
        std::string body = frame.dump();
        if (!data.empty()) body.insert(body.size() - 1, ",\"data\":\"" + data + "\"");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
        CURLcode rc = curl_easy_perform(curl);
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK) {
            ++errors;
            if (errors == 1 || errors % 100 == 0)
                std::fprintf(stderr, "camera-simulator: %s: %s (retrying)\n", url.c_str(),
                             curl_easy_strerror(rc));
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        } else if (status == 503) {
            ++full;
        } else if (status == 200) {
            ++sent;
        } else {
            ++errors;
        }
        if (Clock::now() - last_report > std::chrono::seconds(10)) {
            last_report = Clock::now();
            std::fprintf(stderr,
                         "camera-simulator: %lld sent, %lld refused (buffer full), %lld errors\n",
                         sent, full, errors);
        }
    }
    std::fprintf(stderr,
                 "camera-simulator: done: %lld sent, %lld refused (buffer full), %lld errors\n",
                 sent, full, errors);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return 0;
}
