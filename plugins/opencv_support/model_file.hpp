#pragma once
// A model's file (a network, its config, a cascade, a class list) named in a plugin's params:
// checked before OpenCV reads it, so a path that is not a readable regular file is refused by
// what it is (missing, a directory, a device, a FIFO, unreadable) rather than as missing, or by
// OpenCV's own words on a device it would read for ever.
#include <string>

namespace framehost::opencv {

// `path` when it is a readable regular file; else throws std::invalid_argument:
// "<what> file '<path>' is a directory" (or does not exist, is a device, ...).
std::string model_file(const std::string& what, const std::string& path);

}  // namespace framehost::opencv
