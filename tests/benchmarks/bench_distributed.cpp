// Data-parallel training throughput on this machine (DESIGN.md §9): the same run with 1 process
// and with 2 (Gloo over loopback, yolodeck-cli as rank 1), each with every core (2 ranks take half
// each). Prints the job's images/s for both, the speed-up, and the share of rank 0's step spent in
// collectives (the gradient all-reduce and the step's flags), medians over the batches after the
// first of each run.
//
//   bench_distributed [scale=n] [imgsz=256] [batch=8] [images=64] [epochs=2]

#include "tests/benchmarks/benchmarksupport.h"

#include "core/data/synthdataset.h"
#include "core/dist/locallauncher.h"
#include "core/train/trainer.h"

#include <QTemporaryDir>

#include <cstdio>

using namespace yolodeck;

namespace {

class StepRecorder final : public TrainingObserver
{
public:
    void batchFinished(const BatchProgress &p) override
    {
        if (++m_seen <= 1)
            return; // the first step pays for allocations and the loader's start
        stepMs.push_back(p.stepMs);
        commShare.push_back(p.commShare);
    }
    std::vector<double> stepMs, commShare;

private:
    int m_seen = 0;
};

} // namespace

int main(int argc, char **argv)
{
    QMap<QString, QString> args{{QStringLiteral("scale"), QStringLiteral("n")},
                                {QStringLiteral("imgsz"), QStringLiteral("256")},
                                {QStringLiteral("batch"), QStringLiteral("8")},
                                {QStringLiteral("images"), QStringLiteral("64")},
                                {QStringLiteral("epochs"), QStringLiteral("2")}};
    int imgsz = 0, batch = 0, images = 0, epochs = 0;
    if (!benchmark::parseOverrides(argc, argv, args) ||
        !benchmark::intOption(args, QStringLiteral("imgsz"), 32, &imgsz) ||
        !benchmark::intOption(args, QStringLiteral("batch"), 2, &batch) ||
        !benchmark::intOption(args, QStringLiteral("images"), 8, &images) ||
        !benchmark::intOption(args, QStringLiteral("epochs"), 1, &epochs))
        return 2;
    dist::setWorkerProgram(QStringLiteral(YOLODECK_CLI));
    QTemporaryDir dir;
    SynthOptions synth;
    synth.dir = dir.filePath(QStringLiteral("data"));
    synth.train = images;
    synth.val = 8;
    synth.imgsz = imgsz;
    if (!writeSynthDataset(synth)) {
        std::fprintf(stderr, "cannot write the synthetic dataset\n");
        return 1;
    }
    double ips[3] = {0, 0, 0};
    double comm[3] = {0, 0, 0};
    for (int nproc : {1, 2}) {
        TrainConfig c;
        c.data = synth.dir + QStringLiteral("/data.yaml");
        c.model = args.value(QStringLiteral("scale"));
        c.imgsz = imgsz;
        c.batch = batch;
        c.epochs = epochs;
        c.nproc = nproc;
        c.val = false;
        c.workers = 2;
        c.strip = false;
        c.project = dir.filePath(QStringLiteral("runs"));
        c.name = QStringLiteral("nproc%1").arg(nproc);
        Trainer trainer(c);
        StepRecorder recorder;
        const RunFinished done = trainer.run(&recorder);
        if (done.failed) {
            std::fprintf(stderr, "nproc=%d: %s\n", nproc, qPrintable(done.message));
            return 1;
        }
        const double ms = benchmark::median(recorder.stepMs);
        ips[nproc] = ms > 0 ? batch * 1000.0 / ms : 0;
        comm[nproc] = benchmark::median(recorder.commShare);
        std::fprintf(stderr, "nproc=%d: %zu steps, median %.1f ms per step of %d images\n", nproc,
                     recorder.stepMs.size(), ms, batch);
    }
    std::printf("bench_distributed scale=%s imgsz=%d batch=%d cores=%u images_per_s_1=%.1f "
                "images_per_s_2=%.1f speedup=%.2f allreduce_share_2=%.3f\n",
                qPrintable(args.value(QStringLiteral("scale"))), imgsz, batch,
                std::max(1u, std::thread::hardware_concurrency()), ips[1], ips[2],
                ips[1] > 0 ? ips[2] / ips[1] : 0, comm[2]);
    return 0;
}
