// Whether this translation unit is built with ASan or TSan: recycling caches (frame blocks, I/O
// buffers) are bypassed in such builds so that the sanitizer sees every allocation and free.
#pragma once

namespace strata::detail {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitizedBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif
#else
inline constexpr bool kSanitizedBuild = false;
#endif

}  // namespace strata::detail
