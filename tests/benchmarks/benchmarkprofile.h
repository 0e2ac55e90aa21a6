#pragma once

// LibTorch's operator profiler for the benchmarks: self and inclusive time per operator of the
// events recorded between enableProfilerLegacy and disableProfilerLegacy, and the top of that list.

#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace yolodeck::benchmark {

struct OperatorTimes
{
    std::map<std::string, double> selfUs;      // per operator name, children excluded
    std::map<std::string, double> inclusiveUs; // per range name, children included
    // Self time per operator and the range it ran in ("-" at the top): who calls the costly ones.
    std::map<std::string, std::map<std::string, double>> selfUsByParent;
    double totalSelfUs = 0;

    // Every time multiplied by `factor` (per pass, after profiling several).
    void scale(double factor)
    {
        for (auto &[name, us] : selfUs)
            us *= factor;
        for (auto &[name, us] : inclusiveUs)
            us *= factor;
        for (auto &[name, parents] : selfUsByParent)
            for (auto &[parent, us] : parents)
                us *= factor;
        totalSelfUs *= factor;
    }
};

// Pairs the profiler's push and pop events of each thread (they nest) into self and inclusive
// times per name.
inline OperatorTimes operatorTimes(const torch::autograd::profiler::thread_event_lists &lists)
{
    using torch::autograd::profiler::EventKind;
    using torch::autograd::profiler::LegacyEvent;
    OperatorTimes out;
    for (const std::vector<LegacyEvent> &events : lists) {
        struct Open
        {
            const LegacyEvent *event;
            double childUs;
        };
        std::vector<Open> stack;
        for (const LegacyEvent &e : events) {
            if (e.kind() == EventKind::PushRange) {
                stack.push_back({&e, 0.0});
            } else if (e.kind() == EventKind::PopRange && !stack.empty()) {
                const Open open = stack.back();
                stack.pop_back();
                const double inclusive = open.event->cpuElapsedUs(e);
                const double self = std::max(0.0, inclusive - open.childUs);
                out.selfUs[open.event->name()] += self;
                out.selfUsByParent[open.event->name()]
                                  [stack.empty() ? std::string("-") : stack.back().event->name()] +=
                    self;
                out.inclusiveUs[open.event->name()] += inclusive;
                out.totalSelfUs += self;
                if (!stack.empty())
                    stack.back().childUs += inclusive;
            }
        }
    }
    return out;
}

// Prints the `count` operators with the most self time on stderr, each with the two ranges that
// spent most of it ("under MkldnnConvolutionBackward0 97%").
inline void printTopOperators(const OperatorTimes &ops, size_t count)
{
    std::vector<std::pair<double, std::string>> ranked;
    for (const auto &[name, us] : ops.selfUs)
        ranked.emplace_back(us, name);
    std::sort(ranked.rbegin(), ranked.rend());
    for (size_t i = 0; i < std::min(count, ranked.size()); ++i) {
        std::vector<std::pair<double, std::string>> parents;
        for (const auto &[parent, us] : ops.selfUsByParent.at(ranked[i].second))
            parents.emplace_back(us, parent);
        std::sort(parents.rbegin(), parents.rend());
        std::string under;
        for (size_t k = 0; k < std::min<size_t>(2, parents.size()); ++k)
            under += (k ? ", " : "") + parents[k].second + " " +
                     std::to_string(int(100 * parents[k].first / ranked[i].first + 0.5)) + "%";
        std::fprintf(stderr, "  %6.1f ms  %5.1f%%  %-36s under %s\n", ranked[i].first / 1000,
                     100 * ranked[i].first / std::max(1.0, ops.totalSelfUs),
                     ranked[i].second.c_str(), under.c_str());
    }
}

} // namespace yolodeck::benchmark
