#pragma once
// Memory for the pictures a plugin makes, from the host: framehost.frame_memory. A source (or a
// processor that makes new images) that takes its images from here lets a plugin the host runs
// in a worker process of its own (`isolation: process`) read them where they are, with no copy
// on the way; anywhere else they are images like any other.
//
//   auto* memory = find_extension<FrameMemory>(context);   // in the constructor; may be null
//   Image image = memory ? memory->make_image(format, w, h) : make_image(format, w, h);
//
// make_image() here has make_image()'s layout (rows 64-byte aligned) and promise: fresh memory
// the caller may fill before handing the image on, never written after. When the host's
// memory for this is used up it answers with ordinary memory: never null, never a throw.
#include <cstdint>
#include <string_view>

#include "framehost/extension.hpp"
#include "framehost/image.hpp"

namespace framehost {

class FrameMemory {
  public:
    static constexpr std::string_view kExtensionId = "framehost.frame_memory";
    static constexpr std::uint32_t kExtensionVersion = 1;

    // [any thread]
    virtual Image make_image(PixelFormat format, int width, int height) = 0;

  protected:
    ~FrameMemory() = default;
};

// An image from the host's frame memory when it offers it, else make_image()'s.
inline Image make_frame_image(FrameMemory* memory, PixelFormat format, int width, int height) {
    return memory ? memory->make_image(format, width, height) : make_image(format, width, height);
}

}  // namespace framehost
