// The SDK's image: aligned planes, foreign memory wrapped without a copy and released once,
// strides checked, rows read through them.
#include <doctest/doctest.h>

#include <atomic>

#include <framehost/image.hpp>

using namespace framehost;

TEST_CASE("make_image aligns every row of every plane and sizes the planes for the format") {
    Image nv12 = make_image(PixelFormat::NV12, 101, 51);
    REQUIRE(nv12.plane_count() == 2);
    for (int p = 0; p < 2; ++p) {
        CHECK(nv12.stride(p) % 64 == 0);
        CHECK(reinterpret_cast<std::uintptr_t>(nv12.row(p, 0)) % 64 == 0);
        CHECK(nv12.stride(p) >= nv12.row_bytes(p));
    }
    CHECK(nv12.row_bytes(0) == 101);
    CHECK(nv12.row_bytes(1) == 102);  // 51 interleaved U,V pairs
    CHECK(nv12.rows(1) == 26);
    CHECK(image_problem(nv12).empty());
    Image i420 = make_image(PixelFormat::I420, 4, 4);
    CHECK(i420.plane_count() == 3);
    CHECK(i420.row_bytes(2) == 2);
    CHECK(make_image(PixelFormat::Unknown, 4, 4).empty());
}

TEST_CASE(
    "wrap_image takes foreign memory as it is, and its owner releases it once, after the last "
    "copy") {
    static std::atomic<int> released{0};
    released = 0;
    auto* memory = new std::uint8_t[1920 * 1080 * 3 / 2];
    {
        std::shared_ptr<const void> owner(memory, [](const void* m) {
            ++released;
            delete[] static_cast<const std::uint8_t*>(m);
        });
        std::array<ImagePlane, 4> planes{};
        planes[0] = {memory, 1920, 1920 * 1080};
        planes[1] = {memory + 1920 * 1080, 1920, 1920 * 540};
        Image image = wrap_image(PixelFormat::NV12, 1920, 1080, planes, std::move(owner));
        CHECK(image.row(0, 0) == memory);
        CHECK(image.row(1, 0) == memory + 1920 * 1080);
        CHECK(image_problem(image).empty());
        Image copy = image;
        image = Image{};
        CHECK(released == 0);  // the copy still holds it
        CHECK(copy.row(0, 10) == memory + 19200);
    }
    CHECK(released == 1);
}

TEST_CASE(
    "image_problem names a stride shorter than a row, a plane too small and a missing plane") {
    std::vector<std::uint8_t> bytes(100);
    std::array<ImagePlane, 4> planes{};
    planes[0] = {bytes.data(), 10, 100};
    CHECK(image_problem(wrap_image(PixelFormat::RGB24, 4, 4, planes, nullptr)) ==
          "plane 0 of a 4x4 RGB image has a stride of 10 bytes, under its 12-byte rows");
    planes[0] = {bytes.data(), 12, 40};
    CHECK(image_problem(wrap_image(PixelFormat::RGB24, 4, 4, planes, nullptr)) ==
          "plane 0 of a 4x4 RGB image has 40 bytes, its rows need 48");
    planes[0] = {bytes.data(), 4, 16};
    CHECK(image_problem(wrap_image(PixelFormat::NV12, 4, 4, planes, nullptr)) ==
          "plane 1 of a 4x4 NV12 image is missing");
}

TEST_CASE("packed_bytes reads padded rows through their stride") {
    std::vector<std::uint8_t> padded = {1, 2, 3, 9, 9,
                                        4, 5, 6, 9, 9};  // two 1x1... rows of 3 bytes, stride 5
    std::array<ImagePlane, 4> planes{};
    planes[0] = {padded.data(), 5, padded.size()};
    Image image = wrap_image(PixelFormat::RGB24, 1, 2, planes, nullptr);
    CHECK_FALSE(image.packed());
    CHECK(packed_bytes(image) == std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6});
    Image packed = image_from_bytes(PixelFormat::RGB24, 1, 2, {1, 2, 3, 4, 5, 6});
    CHECK(packed.packed());
    CHECK(packed.byte_size() == 6);
}
