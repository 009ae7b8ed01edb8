// The wire frame reader on the frames the original system carries: string-typed fields,
// ISO-8601 and epoch timestamps, resolution, FFmpeg pixel format names, unmapped fields kept.
#include <doctest/doctest.h>

#include <framehost/wire_frame.hpp>

using framehost::Frame;
using framehost::WireFrameReader;
using json = nlohmann::json;

namespace {
Frame read(const json& item) {
    return WireFrameReader(false).read(item);
}
}  // namespace

TEST_CASE("a frame in the original capture's flat form, every field a string, reads whole") {
    json flat = {{"frame_id", "cam1-000042"},
                 {"camera_id", "cam1"},
                 {"timestamp", "2025-07-27T12:00:00.123456"},
                 {"resolution", "[1920, 1080]"},
                 {"format", "bgr24"},
                 {"size_bytes", "0"},
                 {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
                 {"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"},
                 {"frame_buffer_key", "frame:cam1-000042"},
                 {"capture_timestamp", "1753617600.123"},
                 {"detection_type", "object_detection"},
                 {"processing_stages", "[\"capture\"]"},
                 {"tags", "{\"site\": \"gate\"}"}};
    Frame f = read(flat);
    REQUIRE_FALSE(f.failed());
    CHECK(f.id == "cam1-000042");
    CHECK(f.camera_id == "cam1");
    CHECK(f.timestamp_ms == 1753617600123);  // 2025-07-27T12:00:00.123 UTC
    CHECK(f.width == 1920);
    CHECK(f.height == 1080);
    CHECK(f.format == framehost::PixelFormat::BGR24);
    CHECK(f.traceparent == flat["traceparent"]);
    // Everything the reader does not map stays in the metadata, as it came.
    for (const char* key : {"resolution", "size_bytes", "trace_id", "frame_buffer_key",
                            "capture_timestamp", "detection_type", "processing_stages", "tags"})
        CHECK(f.metadata[key] == flat[key]);
    CHECK_FALSE(f.metadata.contains("frame_id"));
}

TEST_CASE("timestamps are epoch seconds, epoch milliseconds, their text, or ISO-8601 datetimes") {
    auto ms = [](const json& t) {
        Frame f = read({{"frame_id", "t"}, {"timestamp", t}});
        INFO(t.dump() << " " << f.error());
        REQUIRE_FALSE(f.failed());
        return f.timestamp_ms;
    };
    CHECK(ms(1234567890) == 1234567890000);  // the seed's example: seconds
    CHECK(ms(1733040000.123) == 1733040000123);
    CHECK(ms(1733040000123LL) == 1733040000123);  // already milliseconds
    CHECK(ms("1733040000.123") == 1733040000123);
    CHECK(ms(" 1733040000 ") == 1733040000000);
    CHECK(ms("1733040000123") == 1733040000123);
    CHECK(ms("2025-07-27T12:00:00") == 1753617600000);
    CHECK(ms("2025-07-27 12:00:00.5") == 1753617600500);
    CHECK(ms("2025-07-27T12:00:00Z") == 1753617600000);
    CHECK(ms("2025-07-27T14:00:00+02:00") == 1753617600000);
    CHECK(ms("2025-07-27T07:30:00-0430") == 1753617600000);
    CHECK(ms("2024-02-29T00:00:00") == 1709164800000);
    CHECK(ms("1970-01-01T00:00:00") == 0);
    CHECK(ms("2025-07-27") == 1753574400000);
}

TEST_CASE(
    "a timestamp that is not a time fails the frame with the reason, never an undefined "
    "conversion") {
    for (const json& t :
         {json("yesterday"), json("2025-13-01T00:00:00"), json("2025-02-30T00:00:00"),
          json("2025-07-27T25:00:00"), json("2025-07-27T12:00:00+99:00"), json("1e400"),
          json(1e300), json(-1e300), json("nan"), json(true), json::array({1})}) {
        Frame f = read({{"frame_id", "t"}, {"timestamp", t}});
        INFO(t.dump());
        CHECK(f.failed());
        CHECK(f.error().find("timestamp") != std::string::npos);
        CHECK(f.timestamp_ms == 0);
    }
}

TEST_CASE(
    "width and height are numbers, numeric strings or a resolution, and width/height win over it") {
    Frame strings = read({{"frame_id", "s"}, {"width", "640"}, {"height", "480"}});
    CHECK(strings.width == 640);
    CHECK(strings.height == 480);
    Frame resolution = read({{"frame_id", "r"}, {"resolution", json::array({1280, 720})}});
    CHECK(resolution.width == 1280);
    CHECK(resolution.height == 720);
    Frame both =
        read({{"frame_id", "b"}, {"resolution", "[1920, 1080]"}, {"width", 640}, {"height", 480}});
    CHECK(both.width == 640);
    CHECK(both.height == 480);
    for (const json& bad : {json("wide"), json(-1), json(1.5), json("1e9"), json(100001)}) {
        Frame f = read({{"frame_id", "x"}, {"width", bad}});
        INFO(bad.dump());
        CHECK(f.failed());
        CHECK(f.error().find("width") != std::string::npos);
    }
    CHECK(read({{"frame_id", "x"}, {"resolution", "[640]"}}).failed());
    CHECK(read({{"frame_id", "x"}, {"resolution", "640x480"}}).failed());
}

TEST_CASE("FFmpeg's pixel format names map onto framehost's, and their sizes are checked") {
    const std::pair<const char*, const char*> names[] = {
        {"rgb24", "RGB"}, {"bgr24", "BGR"},    {"gray", "GRAY"}, {"rgba", "RGBA"}, {"bgra", "BGRA"},
        {"nv12", "NV12"}, {"yuv420p", "I420"}, {"RGB", "RGB"},   {"GRAY8", "GRAY"}};
    for (auto [wire, ours] : names) {
        Frame f = read({{"frame_id", "p"}, {"format", wire}});
        CHECK(to_string(f.format) == std::string(ours));
    }
    Frame unknown = read({{"frame_id", "p"}, {"format", "p010le"}});
    CHECK(unknown.format == framehost::PixelFormat::Unknown);
    CHECK(unknown.metadata["format"] == "p010le");  // kept as sent
    // 4x2 NV12 is 8 luma bytes and 4 chroma bytes.
    Frame nv12 = read({{"frame_id", "n"},
                       {"width", 4},
                       {"height", 2},
                       {"format", "nv12"},
                       {"data", "AAAAAAAAAAAAAAAA"}});
    CHECK_FALSE(nv12.failed());
    CHECK(nv12.image.format == framehost::PixelFormat::NV12);
    CHECK(nv12.image.byte_size() == 12);
    CHECK(nv12.image.stride(1) == 4);  // U,V interleaved at half width: 2 pairs a row
    CHECK(nv12.image.rows(1) == 1);
    Frame wrong = read(
        {{"frame_id", "n"}, {"width", 4}, {"height", 2}, {"format", "yuv420p"}, {"data", "AAAA"}});
    CHECK(wrong.failed());
    CHECK(wrong.error().find("needs 12") != std::string::npos);
}

TEST_CASE(
    "a metadata object keeps its keys over unmapped fields, and metadata as JSON text is read") {
    Frame f =
        read({{"frame_id", "m"}, {"metadata", {{"zone", "a"}}}, {"zone", "top"}, {"extra", 1}});
    CHECK(f.metadata["zone"] == "a");
    CHECK(f.metadata["extra"] == 1);
    Frame text = read({{"frame_id", "m"}, {"metadata", "{\"zone\": \"b\"}"}});
    CHECK(text.metadata["zone"] == "b");
    CHECK(read({{"frame_id", "m"}, {"metadata", "not json"}}).failed());
    Frame none = read({{"frame_id", "plain"}});
    CHECK(none.metadata.is_null());
}

TEST_CASE(
    "nesting is counted outside strings, and a frame whose metadata text nests too deep fails") {
    CHECK(framehost::json_nesting(R"({"a":[1,{"b":[]}]})") == 4);
    CHECK(framehost::json_nesting(R"({"a":"[[[[[[\"]]]"})") ==
          1);  // brackets in a string, an escaped quote
    CHECK(framehost::json_nesting(std::string(10000, '['), 256) ==
          257);  // stops counting past the limit
    CHECK(framehost::json_nesting_problem(std::string(300, '[')) ==
          "JSON nested deeper than 256 levels");
    Frame f =
        read({{"frame_id", "t"},
              {"metadata", "{\"x\":" + std::string(1000, '[') + std::string(1000, ']') + "}"}});
    CHECK(f.failed());
    CHECK(f.error().find("metadata is not an object") != std::string::npos);
}
