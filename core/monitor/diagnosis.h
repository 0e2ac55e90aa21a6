#pragma once

#include "core/monitor/systemsample.h"

#include <QString>

#include <vector>

namespace yolodeck {

// What the trainer's progress says about speed, gathered by the window from BatchProgress and
// EpochFinished. Negative values mean "not known yet".
struct ThroughputStats
{
    bool training = false; // a run is in progress (not paused, not finished)
    bool onCuda = false;   // the trainer's device is a CUDA GPU
    double imagesPerSecond = -1;
    double dataWaitShare = -1; // share of each step spent waiting for the loader, 0..1
    int workers = -1;          // loader threads of the run
    bool cacheRam = false;     // cache=ram is already on
    std::vector<double> epochSecondsBeforeResume; // epochs of the run before this session
    std::vector<double> epochSecondsSinceResume;  // epochs finished in this (resumed) session
};

// One diagnosis: a sentence a user can act on, with the numbers behind it.
struct Finding
{
    enum class Rule
    {
        DataLoadingBottleneck,
        GpuUnderused,
        Swapping,
        GpuMemoryNearlyFull,
        SlowerSinceResume,
    };
    Rule rule;
    QString text;
};

// The thresholds of the rules, in one place so the tests and the help text agree.
struct DiagnosisThresholds
{
    double dataWaitShare = 0.30;         // waiting for data more than 30 % of a step
    double gpuUtilizationPercent = 50;   // busiest GPU below 50 % on average while training
    int minimumGpuSamples = 5;           // at 1 Hz: judge GPU load over at least five seconds
    qint64 swapGrowthBytes = 64ll << 20; // swap use grew by more than 64 MiB over the window
    qint64 swapInPages = 256;            // or 1 MiB (4 KiB pages) read back from swap
    double gpuMemoryShare = 0.90;        // more than 90 % of a GPU's memory in use
    double slowerSinceResume = 0.20;     // epochs more than 20 % slower than before the resume
};

// Pure function of a window of samples (oldest first, typically the last minute at 1 Hz) and the
// trainer's throughput: the findings that apply, in the order of the Rule enum; empty when the run
// looks healthy. Texts go through QCoreApplication::translate (context "yolodeck::Diagnosis").
std::vector<Finding> diagnose(const std::vector<SystemSample> &window, const ThroughputStats &stats,
                              const DiagnosisThresholds &thresholds = {});

} // namespace yolodeck
