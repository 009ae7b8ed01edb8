#include "model_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace framehost::opencv {

std::string model_file(const std::string& what, const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code error;
    auto status = fs::status(path, error);
    auto refuse = [&](const std::string& why) {
        throw std::invalid_argument(what + " file '" + path + "' " + why);
    };
    switch (status.type()) {
        case fs::file_type::regular:
            break;
        case fs::file_type::not_found:
            refuse("does not exist");
        case fs::file_type::directory:
            refuse("is a directory");
        case fs::file_type::character:
        case fs::file_type::block:
            refuse("is a device, not a file");
        case fs::file_type::fifo:
            refuse("is a FIFO, not a file");
        case fs::file_type::socket:
            refuse("is a socket, not a file");
        default:
            refuse("cannot be read: " + (error ? error.message() : std::string("not a file")));
    }
    if (::access(path.c_str(), R_OK) != 0)
        refuse("cannot be read: " + std::string(std::strerror(errno)));
    if (fs::file_size(path, error) == 0 && !error) refuse("is empty");
    return path;
}

}  // namespace framehost::opencv
