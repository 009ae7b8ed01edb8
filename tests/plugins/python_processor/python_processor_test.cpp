// python_processor driven as the host drives it: the frame reaches Python as a read-only numpy
// view of its own memory (padded rows read through the stride), the answer becomes detections
// and results, None and declared exceptions filter, anything else fails the frame with its
// reason; cv2's HOG in Python gives hog_person_detector's boxes on the pedestrian clip.
#include <doctest/doctest.h>

#include "tests/support/loaded_processor.hpp"

using namespace framehost;
using namespace framehost::test;

namespace {

const std::string kProbes = kSourceDir + "/tests/fixtures/python/probes.py";

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string probes(const std::string& cls, const std::string& extra = "") {
    return "{module: '" + kProbes + "', class: " + cls + extra + "}";
}

// A frame of `format` whose rows are `padding` bytes longer than its pixels: pixel bytes are
// (x + y) % 200, padding bytes 255, so a row read past its end shows in its sum.
Frame patterned(PixelFormat format, int width, int height, std::size_t padding,
                const std::string& id = "f") {
    auto row = static_cast<std::size_t>(width * bytes_per_pixel(format));
    auto bytes = std::make_shared<std::vector<std::uint8_t>>((row + padding) * height, 255);
    for (int y = 0; y < height; ++y)
        for (std::size_t x = 0; x < row; ++x)
            (*bytes)[y * (row + padding) + x] = static_cast<std::uint8_t>((x + y) % 200);
    std::array<ImagePlane, 4> planes{};
    planes[0] = {bytes->data(), row + padding, bytes->size()};
    Frame f;
    f.id = id;
    f.camera_id = "door";
    f.timestamp_ms = 1'700'000'000'123;
    f.set_image(wrap_image(format, width, height, planes,
                           std::shared_ptr<const void>(bytes, bytes->data())));
    return f;
}

std::int64_t row_sum(const Frame& f, int y) {
    std::int64_t sum = 0;
    for (std::size_t x = 0; x < f.image.row_bytes(0); ++x) sum += f.image.row(0, y)[x];
    return sum;
}

double metric(LoadedProcessor& p, const std::string& part) {
    for (const auto& family : p.metrics.families())
        if (has(family.name, part))
            for (const auto& series : family.series) {
                if (series.counter) return series.counter->value();
                if (series.gauge) return series.gauge->value();
            }
    return -1;
}

}  // namespace

TEST_CASE("the frame reaches Python as a read-only numpy view of its own plane, strides kept") {
    LoadedProcessor probe("python_processor", probes("ViewProbe"));
    for (auto [format, channels] : {std::pair{PixelFormat::BGR24, 3},
                                    {PixelFormat::RGB24, 3},
                                    {PixelFormat::BGRA, 4},
                                    {PixelFormat::GRAY8, 1}}) {
        CAPTURE(to_string(format));
        auto frame = patterned(format, 21, 7, 13);
        auto address = reinterpret_cast<std::uintptr_t>(frame.image.planes[0].data);
        auto stride = frame.image.stride(0);
        auto out = probe.run(frame);
        REQUIRE_MESSAGE(!out.failed(), out.error());
        const auto& r = out.results["python_processor"];
        CHECK(r["address"].get<std::uintptr_t>() == address);  // no copy
        CHECK(r["dtype"] == "uint8");
        CHECK_FALSE(r["writeable"].get<bool>());
        if (channels == 1) {
            CHECK(r["shape"] == nlohmann::json::array({7, 21}));
            CHECK(r["strides"] == nlohmann::json::array({stride, 1}));
        } else {
            CHECK(r["shape"] == nlohmann::json::array({7, 21, channels}));
            CHECK(r["strides"] == nlohmann::json::array({stride, channels, 1}));
        }
        REQUIRE(r["row_sums"].size() == 7);
        for (int y = 0; y < 7; ++y) CHECK(r["row_sums"][y].get<std::int64_t>() == row_sum(out, y));
    }
}

TEST_CASE("the metadata dict carries the frame's id, camera, time, size and the source's keys") {
    LoadedProcessor probe("python_processor", probes("ViewProbe"));
    auto frame = patterned(PixelFormat::RGB24, 4, 2, 0, "frame-9");
    frame.metadata = {{"zone", "porch"}, {"frame_id", "not this"}};
    frame.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    auto r = probe.run(frame).results["python_processor"]["metadata"];
    CHECK(r["frame_id"] == "frame-9");
    CHECK(r["camera_id"] == "door");
    CHECK(r["timestamp_ms"] == 1'700'000'000'123);
    CHECK(r["timestamp"].get<double>() == doctest::Approx(1'700'000'000.123));
    CHECK(r["width"] == 4);
    CHECK(r["height"] == 2);
    CHECK(r["format"] == "RGB");
    CHECK(r["zone"] == "porch");
    CHECK(r["traceparent"] == frame.traceparent);

    Frame metadata_only;
    metadata_only.id = "m";
    CHECK(probe.run(metadata_only).results["python_processor"]["none"] == true);
}

TEST_CASE("a dict answer becomes detections, kept inside the frame, and the rest results") {
    LoadedProcessor p("python_processor", probes("Answers", ", args: {label: lamp}"));
    auto out = p.run(patterned(PixelFormat::BGR24, 64, 48, 0, "ok"));
    REQUIRE_MESSAGE(!out.failed(), out.error());
    REQUIRE(out.detections.size() == 2);
    CHECK(out.detections[0].class_name == "lamp");
    CHECK(out.detections[0].confidence == 0.75);
    CHECK(out.detections[0].bbox == std::array<int, 4>{0, 2, 10, 48});
    REQUIRE(out.detections[0].keypoints.size() == 2);
    CHECK(out.detections[0].keypoints[1] == std::array<float, 2>{5.5f, 6});
    CHECK(out.detections[1].class_name == "other");
    CHECK(out.detections[1].bbox == std::array<int, 4>{1, 3, 3, 4});
    const auto& r = out.results["python_processor"];
    CHECK(r["count"] == 2);
    CHECK(r["nested"] == nlohmann::json{{"ok", true}, {"values", {1, 2.5, nullptr}}});
    CHECK_FALSE(r.contains("detections"));
    // framehost.counter / gauge reach the host's metrics under the instance.
    CHECK(metric(p, "probe_calls") == 1);
    CHECK(metric(p, "probe_last_width") == 64);
}

TEST_CASE(
    "None and declared exceptions filter, other exceptions fail the frame with their reason") {
    LoadedProcessor p("python_processor", probes("Answers", ", filter_exceptions: [Skip]"));
    auto run = [&](const std::string& id) {
        return p.run(patterned(PixelFormat::GRAY8, 8, 8, 0, id));
    };

    auto none = run("none");
    CHECK(none.filtered());
    CHECK(has(none.filter_reason(), "Answers.process_frame returned None"));
    auto filtered = run("filter");
    CHECK(filtered.filtered());
    CHECK(has(filtered.filter_reason(), "nothing to see"));
    CHECK(run("skip").filtered());

    auto raised = run("raise");
    REQUIRE(raised.failed());
    CHECK_MESSAGE(has(raised.error(), "ValueError: bad frame (probes.py:"), raised.error());
    CHECK_MESSAGE(has(raised.error(), "in process_frame: raise ValueError(\"bad frame\"))"),
                  raised.error());
    auto exited = run("exit");
    REQUIRE(exited.failed());
    CHECK_MESSAGE(has(exited.error(), "SystemExit: 3"), exited.error());
    CHECK(has(run("list").error(), "returned a list, not a dict or None"));
    CHECK(has(run("bad_box").error(), "detections[0]: 'bbox' is not [x1, y1, x2, y2]"));
    CHECK(has(run("object").error(), "the answer.thing: cannot turn a object into JSON"));
    // The host goes on: the next frame is answered.
    CHECK(run("ok").detections.size() == 2);
}

TEST_CASE("a module, class or constructor that is wrong is refused at creation, named") {
    auto refusal = [](const std::string& yaml) {
        try {
            LoadedProcessor p("python_processor", yaml);
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK(has(refusal("{module: /nowhere/proc.py, class: P}"),
              "module '/nowhere/proc.py': no such file"));
    CHECK(has(refusal("{module: no_such_module_here, class: P}"),
              "cannot import module 'no_such_module_here': ModuleNotFoundError"));
    CHECK(has(refusal(probes("Missing")), "has no class 'Missing'"));
    CHECK(has(refusal(probes("BadConstructor", ", args: {b: 1, a: 2}")),
              "BadConstructor(**args) raised RuntimeError: cannot start: a,b"));
    CHECK(has(refusal(probes("Answers", ", method: nothing")),
              "class 'Answers' has no method 'nothing'"));
    CHECK(has(refusal(probes("Answers", ", filter_exceptions: [NoSuchError]")),
              "filter_exceptions: 'NoSuchError' is not an exception type"));
    CHECK(has(refusal(probes("BadInitialize")),
              "BadInitialize.initialize() raised RuntimeError: no model"));
}

TEST_CASE("a class of the replaced system's shape runs unchanged: async, keywords, detections") {
    LoadedProcessor p("python_processor",
                      "{module: '" + kSourceDir +
                          "/tests/fixtures/python/replaced_system.py', class: "
                          "BrightSpotProcessor, args: {min_brightness: 10, name: spots}}");
    auto out = p.run(patterned(PixelFormat::RGB24, 32, 16, 0, "frame-1"));
    REQUIRE_MESSAGE(!out.failed(), out.error());
    REQUIRE(out.detections.size() == 1);
    CHECK(out.detections[0].class_name == "bright_spot");
    const auto& r = out.results["python_processor"];
    CHECK(r["processor"] == "spots");
    CHECK(r["frame_id"] == "frame-1");
    CHECK(r["frames_processed"] == 1);
}

TEST_CASE("cv2's HOG in Python gives hog_person_detector's boxes on 32 pedestrian frames") {
    auto frames = pedestrian_frames(25);
    REQUIRE(frames.size() == 32);
    LoadedProcessor native("hog_person_detector", "{}");
    LoadedProcessor python("python_processor",
                           "{module: '" + kSourceDir +
                               "/plugins/python_processor/examples/hog_people.py', class: "
                               "HogPeople}");
    std::size_t boxes = 0;
    for (auto& frame : frames) {
        auto a = native.run(frame);
        auto b = python.run(frame);
        REQUIRE_MESSAGE(!b.failed(), b.error());
        REQUIRE(a.detections.size() == b.detections.size());
        for (std::size_t i = 0; i < a.detections.size(); ++i) {
            CHECK(a.detections[i].bbox == b.detections[i].bbox);
            CHECK(a.detections[i].confidence == doctest::Approx(b.detections[i].confidence));
        }
        boxes += a.detections.size();
    }
    CHECK(boxes >= 29);  // the comparison is over real detections, not empty lists
}
