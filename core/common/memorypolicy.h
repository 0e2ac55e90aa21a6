#pragma once

// The memory policy of yolodeck and yolodeck-cli (README "Memory policy", measured by
// bench_train_step). glibc's malloc hands every block above its mmap threshold (128 KiB at first,
// rising with what is freed, to 32 MiB at most) straight from the kernel and gives it back when it
// is freed, and gives back the top of the heap beyond its trim threshold. A training step's maps
// are such blocks, so every step the kernel maps, zero-fills and faults in their pages again:
// about 25,000 page faults a step for YOLOv8n at 320 and batch 8. The policy keeps blocks up to
// 256 MiB in the heap and up to 1 GiB of freed memory for reuse (mallopt M_MMAP_THRESHOLD and
// M_TRIM_THRESHOLD): the process holds on to memory it has used once, as PyTorch's caching
// allocators do. It leaves numbers unchanged. A user's own malloc settings (MALLOC_MMAP_THRESHOLD_,
// MALLOC_TRIM_THRESHOLD_, GLIBC_TUNABLES) are left to act alone; YOLODECK_MEMORY_POLICY=0 turns
// the policy off.

#include <cstddef>
#include <functional>
#include <string>

namespace yolodeck {

constexpr std::size_t kMemoryPolicyMmapThreshold = std::size_t(256) << 20;
constexpr std::size_t kMemoryPolicyTrimThreshold = std::size_t(1) << 30;

// Whether the policy should be applied in an environment (`lookup` reads a variable, nullptr when
// unset); when not, `why` says why.
bool memoryPolicyWanted(const std::function<const char *(const char *)> &lookup, std::string *why);

// One line for `yolodeck-cli doctor`: what the policy did in the process that `lookup` describes
// ("malloc keeps blocks up to 256 MiB and 1 GiB of freed memory (YoloDeck's policy)", or why not).
std::string describeMemoryPolicy(const std::function<const char *(const char *)> &lookup);

// Called first in main(), beside applyThreadPolicy(). Notes in YOLODECK_MEMORY_POLICY_SET that it
// was applied. Returns whether it was.
bool applyMemoryPolicy();

} // namespace yolodeck
