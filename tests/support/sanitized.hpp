#pragma once
// Whether this test binary (and so the framehost it runs) is built with a sanitizer: the
// sanitizer's own SIGSEGV handler catches a crash and exits with status 1, so a test expecting
// a named signal checks only that the process crashed.
namespace framehost::test {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
}  // namespace framehost::test
