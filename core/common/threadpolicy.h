#pragma once

// The thread policy of yolodeck and yolodeck-cli (README "Thread policy", measured by
// bench_threads). LibTorch's kernels run on OpenMP's threads (threads=, every core by default);
// OpenBLAS, which LibTorch calls for matrix products, keeps its own pool of threads that spin
// after each call on the cores OpenMP, the loader and the window need. The policy keeps OpenBLAS
// on the calling thread (OPENBLAS_NUM_THREADS=1). OpenMP's wait policy stays the library's
// default: PASSIVE measured 14% slower training here, since the threads sleep between kernels.
// A variable the user has set is left as it is; YOLODECK_THREAD_POLICY=0 turns the policy off.
// It leaves the weights bit for bit (tst_resume) but can move validation figures in their last
// digits, so checkpoints record OpenBLAS's thread count beside the intra-op one (`threads=`).

#include <functional>
#include <string>
#include <vector>

namespace yolodeck {

struct EnvironmentSetting
{
    std::string name;
    std::string value;
};

// The policy's settings that the environment does not hold yet; `lookup` reads a variable
// (nullptr when unset).
std::vector<EnvironmentSetting>
missingThreadPolicy(const std::function<const char *(const char *)> &lookup);

// One line for `yolodeck-cli doctor`: each variable of the policy, and whether YoloDeck's policy
// set it, the environment did, or the policy is off: "OPENBLAS_NUM_THREADS=1 (YoloDeck's
// policy)", "OPENBLAS_NUM_THREADS=4 (set in the environment)".
std::string describeThreadPolicy(const std::function<const char *(const char *)> &lookup);

// The threads the loaded OpenBLAS runs on, or -1 when LibTorch uses another BLAS. Checkpoints
// record it: it can move figures in their last digits.
int openBlasThreads();

// Called first in main(). OpenBLAS has read its variable when it was loaded, before main(), so
// this sets the variable (for the processes this one starts: the ranks of nproc=N) and also tells
// the loaded library (openblas_set_num_threads), noting in YOLODECK_THREAD_POLICY_SET what it set.
void applyThreadPolicy();

} // namespace yolodeck
