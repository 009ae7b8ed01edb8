#include "core/isolation/shared_arena.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include <sys/mman.h>
#include <unistd.h>

namespace framehost::core::isolation {

namespace {
std::uint8_t* map_shared(int fd, std::size_t bytes, bool writable) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        throw std::runtime_error(std::string("cannot map the worker arena: ") +
                                 std::strerror(errno));
    return static_cast<std::uint8_t*>(p);
}
}  // namespace

SharedArena SharedArena::create(const std::string& name, std::size_t bytes) {
    int fd = ::memfd_create(name.c_str(), MFD_CLOEXEC);
    if (fd < 0)
        throw std::runtime_error(std::string("cannot create the worker arena: memfd_create: ") +
                                 std::strerror(errno));
    if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
        int error = errno;
        ::close(fd);
        throw std::runtime_error(std::string("cannot size the worker arena: ") +
                                 std::strerror(error));
    }
    return adopt(fd, bytes);
}

SharedArena SharedArena::adopt(int fd, std::size_t bytes, bool writable) {
    SharedArena arena;
    arena.fd_ = fd;
    arena.size_ = bytes;
    arena.data_ = map_shared(fd, bytes, writable);
    return arena;
}

SharedArena& SharedArena::operator=(SharedArena&& other) noexcept {
    if (this != &other) {
        this->~SharedArena();
        fd_ = std::exchange(other.fd_, -1);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

SharedArena::~SharedArena() {
    if (data_) ::munmap(data_, size_);
    if (fd_ >= 0) ::close(fd_);
    data_ = nullptr;
    fd_ = -1;
}

}  // namespace framehost::core::isolation
