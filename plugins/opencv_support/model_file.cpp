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
    std::string problem;
    switch (status.type()) {
        case fs::file_type::regular:
            break;
        case fs::file_type::not_found:
            problem = "does not exist";
            break;
        case fs::file_type::directory:
            problem = "is a directory";
            break;
        case fs::file_type::character:
        case fs::file_type::block:
            problem = "is a device, not a file";
            break;
        case fs::file_type::fifo:
            problem = "is a FIFO, not a file";
            break;
        case fs::file_type::socket:
            problem = "is a socket, not a file";
            break;
        default:
            problem = "cannot be read: " + (error ? error.message() : std::string("not a file"));
    }
    if (!problem.empty()) refuse(problem);
    if (::access(path.c_str(), R_OK) != 0)
        refuse("cannot be read: " + std::string(std::strerror(errno)));
    if (fs::file_size(path, error) == 0 && !error) refuse("is empty");
    return path;
}

}  // namespace framehost::opencv
