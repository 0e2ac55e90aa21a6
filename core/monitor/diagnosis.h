#pragma once

#include "core/monitor/systemsample.h"

#include <QString>

#include <vector>

namespace yolodeck {

// What the trainer's progress says about speed, and the training machine's figures the rules need.
// The window fills it from its own run's progress; a watched run's comes from its events.jsonl
// (core/monitor/runfigures.h), where the trainer records the same figures. Negative values and
// empty strings mean "not known".
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

    // The machine that trains. Its CPU share is taken from here when known (a watched run's
    // recorded figures), else from the samples of this machine.
    int cores = -1;                   // logical CPUs the trainer may use
    double machineCpuPercent = -1;    // all of its cores, 0..100, over the recent steps
    double processCpuPercent = -1;    // the trainer itself; 100 = one core
    qint64 memoryAvailableBytes = -1; // its RAM still available
    qint64 gpuMemoryUsedBytes = -1;   // the trainer's GPU memory (NVML), when no local samples
    // Its training GPU as recorded (a watched run, possibly on another machine): the rules use
    // these when the samples of this machine have no GPU.
    QString gpuName;
    double gpuUtilizationPercent = -1;    // mean over the recorded samples
    int gpuSamples = 0;                   // how many samples that mean has
    qint64 gpuDeviceMemoryUsedBytes = -1; // the whole GPU, every process
    qint64 gpuDeviceMemoryTotalBytes = -1;
    // The data and what reading it costs.
    QString data; // the data= the run was started with
    int imgsz = -1;
    int medianImageSide = -1; // the training images' long side, median, px
    int trainImages = -1;
    qint64 cacheRamBytes = -1;  // what cache=ram would hold: every image resized to imgsz
    double readMsPerImage = -1; // reading an image file's bytes, per image, recent batches
    double decodeMsPerImage = -1;
    QString imageStore; // the images' file system when it is a network one ("nfs"), else empty
};
// One diagnosis: a sentence a user can act on, with the numbers behind it.
struct Finding
{
    enum class Rule
    {
        DataLoadingBottleneck,
        MoreWorkersThanCores,
        SlowImageStore,
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
    double cpuSaturatedPercent = 90;     // the machine's CPUs busier than this are saturated
    double oversizedImages = 4;          // images' long side over imgsz: resizing a copy pays
    double slowReadMs = 5;               // reading one image file slower than this, and
    double readOverDecode = 2;           // slower than decoding it this many times: slow store
    double cacheRamShareOfFree = 0.8;    // cache=ram is advised when it fits in this share of RAM
    double gpuUtilizationPercent = 50;   // busiest GPU below 50 % on average while training
    int minimumGpuSamples = 5;           // at 1 Hz: judge GPU load over at least five seconds
    qint64 swapGrowthBytes = 64ll << 20; // swap use grew by more than 64 MiB over the window
    qint64 swapInPages = 256;            // or 1 MiB (4 KiB pages) read back from swap
    double gpuMemoryShare = 0.90;        // more than 90 % of a GPU's memory in use
    double slowerSinceResume = 0.20;     // epochs more than 20 % slower than before the resume
};

// How busy the trainer's CPUs are, 0..100; < 0 when unknown. The machine's share (recorded in
// `stats`, else the mean over the samples), or the trainer's own use of the cores it may run on
// when that is higher (a process pinned to 2 of 64 cores saturates them with the machine at 3%).
double cpuBusyPercent(const std::vector<SystemSample> &window, const ThroughputStats &stats);

// Pure function of a window of samples (oldest first, typically the last minute at 1 Hz) and the
// trainer's throughput: the findings that apply, in the order of the Rule enum; empty when the run
// looks healthy. Texts go through QCoreApplication::translate (context "yolodeck::Diagnosis").
std::vector<Finding> diagnose(const std::vector<SystemSample> &window, const ThroughputStats &stats,
                              const DiagnosisThresholds &thresholds = {});

} // namespace yolodeck
