// configs/faces.yaml through the real host: MediaPipe's BlazeFace (dnn_detector's presets, the
// model scripts/models fetched) on scikit-image's astronaut played as a camera, and on
// opencv-doc's footballer and pedestrian clip; the faces' keypoints in the JSONL lines, the
// stored events and the drawn pictures.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "framehost/base64.hpp"
#include "tests/support/cameras.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/jsonl.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/pictures.hpp"
#include "tests/support/running_host.hpp"

using namespace framehost::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Boxed by a person looking at each picture, as in the plugin's own tests.
const std::array<int, 4> kAstronautFace = {177, 66, 272, 161};
const std::array<int, 4> kFootballerFace = {226, 97, 258, 131};

double iou(const json& box, const std::array<int, 4>& b) {
    std::array<int, 4> a = {box[0], box[1], box[2], box[3]};
    int w = std::max(0, std::min(a[2], b[2]) - std::max(a[0], b[0]));
    int h = std::max(0, std::min(a[3], b[3]) - std::max(a[1], b[1]));
    double inter = static_cast<double>(w) * h;
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

struct FacesHost {
    TempDir dir;
    RunningHost host;
    FacesHost(const std::string& model, const std::string& url, bool realtime = true)
        : host(read_file(kSourceDir + "/configs/faces.yaml"), {},
               {{"FACE_MODEL", model},
                {"VIDEO_URL", url},
                {"VIDEO_REALTIME", realtime ? "true" : "false"},
                {"VIDEO_LOOP", realtime ? "true" : "false"},
                {"VIDEO_MAX_FPS", realtime ? "5" : "0"},
                {"RESULTS_PATH", (dir / "faces.jsonl").string()},
                {"SNAPSHOT_DIR", (dir / "snapshots").string()},
                {"EVENTS_PATH", (dir / "events.db").string()}}) {}
};

// How far apart two pixels are: the sum of their channels' differences.
int difference(const unsigned char* a, const unsigned char* b) {
    return std::abs(a[0] - b[0]) + std::abs(a[1] - b[1]) + std::abs(a[2] - b[2]);
}

// `drawn` (a JPEG the host made of `original`) has something drawn at each keypoint and not in
// the corner far from the face.
void keypoints_drawn(const std::filesystem::path& drawn, const RgbPicture& original,
                     const json& keypoints) {
    auto picture = decoded_picture(drawn);
    REQUIRE(picture.width == original.width);
    REQUIRE(picture.height == original.height);
    for (const auto& k : keypoints) {
        int x = static_cast<int>(k[0].get<double>()), y = static_cast<int>(k[1].get<double>());
        CAPTURE(x);
        CAPTURE(y);
        CHECK(difference(picture.at(x, y), original.at(x, y)) > 90);
    }
    CHECK(difference(picture.at(8, original.height - 8), original.at(8, original.height - 8)) < 40);
}

}  // namespace

TEST_CASE(
    "configs/faces.yaml: each BlazeFace model finds the astronaut's face on the camera, with "
    "its keypoints in the JSONL lines, the event and both drawn pictures") {
    auto original = decoded_picture(kAstronaut);
    for (const char* model : {"blazeface_front_128", "blazeface_back_256"}) {
        INFO(model);
        FacesHost faces(model, kAstronaut.string());
        HttpClient http;
        json event;
        REQUIRE_MESSAGE(eventually(
                            [&] {
                                auto found = json::parse(
                                    http.get(faces.host.url("/events?limit=1")).body)["events"];
                                if (found.empty() || found[0]["has_snapshot"] != true) return false;
                                event = found[0];
                                return true;
                            },
                            60s),
                        faces.host.process().err());
        CHECK(event["label"] == "face");
        CHECK(event["camera_id"] == "door");
        CHECK(iou(event["bbox"], kAstronautFace) >= 0.5);
        REQUIRE(event["keypoints"].size() == 6);

        auto lines = wait_for_lines(faces.dir / "faces.jsonl", 3, 30s);
        REQUIRE(lines.size() >= 3);
        for (const auto& line : lines) {
            REQUIRE(line["detections"].size() == 1);
            const auto& face = line["detections"][0];
            CHECK(face["class"] == "face");
            CHECK(iou(face["bbox"], kAstronautFace) >= 0.5);
            CHECK(face["keypoints"].size() == 6);
            CHECK(face["track_id"] == 1);  // one face, one track, all along
        }

        auto latest = http.get(faces.host.url("/cameras/door/snapshot.jpg"));
        REQUIRE(latest.status == 200);
        keypoints_drawn(faces.dir.write("latest.jpg", latest.body), original,
                        lines.back()["detections"][0]["keypoints"]);
        auto stored =
            http.get(faces.host.url("/events/" + event["id"].get<std::string>() + "/snapshot.jpg"));
        REQUIRE(stored.status == 200);
        keypoints_drawn(faces.dir.write("event.jpg", stored.body), original, event["keypoints"]);

        if (std::string(model) == "blazeface_back_256") {
            // The footballer, through /process: a smaller face, for the full-range model.
            auto footballer = decoded_picture(kFootballer);
            json request = {
                {"frame_data", framehost::encode_base64(
                                   {reinterpret_cast<const std::uint8_t*>(footballer.pixels.data()),
                                    footballer.pixels.size()})},
                {"metadata",
                 {{"width", footballer.width}, {"height", footballer.height}, {"format", "RGB"}}}};
            auto answer = http.post(faces.host.url("/process"), request.dump(),
                                    {"Content-Type: application/json"});
            REQUIRE(answer.status == 200);
            auto found = json::parse(answer.body)["detections"];
            REQUIRE(found.size() == 1);
            CHECK(found[0]["class"] == "face");
            CHECK(iou(found[0]["bbox"], kFootballerFace) >= 0.5);
            CHECK(found[0]["keypoints"].size() == 6);
        }
    }
}

TEST_CASE("configs/faces.yaml finds no face on the pedestrian clip's first 100 frames") {
    // Its people's faces are a few pixels wide: too small for the full-range model too.
    FacesHost faces("blazeface_back_256", kPedestrianClip.string(), false);
    auto lines = wait_for_lines(faces.dir / "faces.jsonl", 100, 120s);
    REQUIRE(lines.size() >= 100);
    int with_faces = 0;
    for (std::size_t i = 0; i < 100; ++i) {
        CHECK(lines[i]["state"] == "completed");
        with_faces += lines[i]["detections"].empty() ? 0 : 1;
    }
    CHECK(with_faces == 0);
}
