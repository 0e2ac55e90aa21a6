// The thread policy, measured: the same short training run under each thread setting in turn, by
// yolodeck-cli and by the window (offscreen), read back from the run's events.jsonl. The settings:
// LibTorch's intra-op threads (threads=), OpenMP's wait policy (OMP_WAIT_POLICY), OpenBLAS's
// threads (OPENBLAS_NUM_THREADS), the loader threads (workers=), and the window around the trainer.
// "off" runs with YoloDeck's own policy switched off (YOLODECK_THREAD_POLICY=0: the libraries'
// defaults, OpenBLAS on every core), "policy" with it (core/common/threadpolicy.h), the others
// change one setting from the policy. The training keys are the defaults otherwise (threads=0:
// every core, workers=8).
//
//   bench_threads [data=<blueline data.yaml>] [model=n] [imgsz=320] [batch=8] [epochs=1]
//                 [repeats=2] [window=1] [only=]
//
// Throughput is images per second over a run's batches after its first 3 (allocation and the
// loaders' start), the median over the repeats; the settings alternate within each repeat so
// that a machine's drift spreads over all of them. The result line gives each setting's images/s
// and the best; stderr has every run.

#include "tests/benchmarks/benchmarksupport.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>
#include <cstdio>
#include <map>

namespace {

using namespace yolodeck;

struct Setting
{
    QString name;
    bool window = false;
    QStringList keys;           // training keys over the common ones
    QMap<QString, QString> env; // variables set for the run
    QStringList unset;          // variables removed for the run
};

struct RunResult
{
    bool ok = false;
    double imagesPerSecond = 0;
    int batches = 0;
    QString error;
};

// Images per second over the batches of events.jsonl after the first `skip`, weighted by their
// step time (ips × step_ms is the batch's images).
RunResult throughputOf(const QString &eventsPath, int skip)
{
    RunResult r;
    QFile file(eventsPath);
    if (!file.open(QIODevice::ReadOnly)) {
        r.error = QStringLiteral("no events.jsonl at %1").arg(eventsPath);
        return r;
    }
    double images = 0, seconds = 0;
    int seen = 0;
    bool ended = false;
    while (!file.atEnd()) {
        const QJsonObject e = QJsonDocument::fromJson(file.readLine()).object();
        const QString type = e.value(QStringLiteral("type")).toString();
        if (type == QLatin1String("run_end"))
            ended = true;
        if (type != QLatin1String("batch") || ++seen <= skip)
            continue;
        const double stepSeconds = e.value(QStringLiteral("step_ms")).toDouble() / 1000;
        images += e.value(QStringLiteral("ips")).toDouble() * stepSeconds;
        seconds += stepSeconds;
        ++r.batches;
    }
    if (!ended || seconds <= 0) {
        r.error = QStringLiteral("%1: the run did not finish (%2 batches timed)")
                      .arg(eventsPath)
                      .arg(r.batches);
        return r;
    }
    r.ok = true;
    r.imagesPerSecond = images / seconds;
    return r;
}

// The window runs until it is closed: it is stopped once the run has written run_end.
bool runWindow(QProcess &process, const QString &events, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs && process.state() != QProcess::NotRunning) {
        process.waitForFinished(500);
        QFile file(events);
        if (file.open(QIODevice::ReadOnly) && file.readAll().contains("\"run_end\""))
            break;
    }
    const bool finished = process.state() != QProcess::NotRunning;
    process.terminate();
    if (!process.waitForFinished(10000))
        process.kill();
    process.waitForFinished(5000);
    return finished;
}

RunResult runOnce(const Setting &s, const QStringList &common, const QString &project,
                  const QString &name)
{
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    for (const QString &var : s.unset)
        env.remove(var);
    for (auto it = s.env.cbegin(); it != s.env.cend(); ++it)
        env.insert(it.key(), it.value());
    process.setProcessEnvironment(env);
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.setStandardOutputFile(QProcess::nullDevice());
    const QStringList keys =
        common + s.keys +
        QStringList{QStringLiteral("project=") + project, QStringLiteral("name=") + name};
    const QString runDir = project + QLatin1Char('/') + name;
    const QString events = runDir + QStringLiteral("/events.jsonl");
    RunResult r;
    if (s.window) {
        process.start(QStringLiteral(YOLODECK_APP), QStringList{QStringLiteral("--train")} + keys);
        if (!runWindow(process, events, 15 * 60 * 1000)) {
            r.error = QStringLiteral("the window did not finish its run");
            return r;
        }
    } else {
        process.start(QStringLiteral(YOLODECK_CLI), QStringList{QStringLiteral("train")} + keys);
        if (!process.waitForFinished(15 * 60 * 1000) || process.exitCode() != 0) {
            r.error = QStringLiteral("yolodeck-cli train failed (exit %1)").arg(process.exitCode());
            return r;
        }
    }
    return throughputOf(events, 3);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QMap<QString, QString> args{
        {QStringLiteral("data"),
         QStringLiteral(YOLODECK_SOURCE_DIR "/../shared/datasets/blueline/data.yaml")},
        {QStringLiteral("model"), QStringLiteral("n")},
        {QStringLiteral("imgsz"), QStringLiteral("320")},
        {QStringLiteral("batch"), QStringLiteral("8")},
        {QStringLiteral("epochs"), QStringLiteral("1")},
        {QStringLiteral("repeats"), QStringLiteral("2")},
        {QStringLiteral("window"), QStringLiteral("1")},
        {QStringLiteral("only"), QString()}};
    int repeats = 0, window = 0;
    if (!benchmark::parseOverrides(argc, argv, args) ||
        !benchmark::intOption(args, QStringLiteral("repeats"), 1, &repeats) ||
        !benchmark::intOption(args, QStringLiteral("window"), 0, &window))
        return 2;
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    const QStringList common{QStringLiteral("data=") + args.value(QStringLiteral("data")),
                             QStringLiteral("model=") + args.value(QStringLiteral("model")),
                             QStringLiteral("imgsz=") + args.value(QStringLiteral("imgsz")),
                             QStringLiteral("batch=") + args.value(QStringLiteral("batch")),
                             QStringLiteral("epochs=") + args.value(QStringLiteral("epochs")),
                             QStringLiteral("val=false"),
                             QStringLiteral("seed=0")};

    const QString off = QStringLiteral("YOLODECK_THREAD_POLICY");
    const QString omp = QStringLiteral("OMP_WAIT_POLICY");
    const QString blas = QStringLiteral("OPENBLAS_NUM_THREADS");
    const QStringList userSet{omp, blas, off, QStringLiteral("OMP_NUM_THREADS")};
    const auto setting = [&](QString name, bool inWindow, QStringList keys,
                             QMap<QString, QString> env) {
        return Setting{std::move(name), inWindow, std::move(keys), std::move(env), userSet};
    };
    std::vector<Setting> settings{
        setting(QStringLiteral("off"), false, {}, {{off, QStringLiteral("0")}}),
        setting(QStringLiteral("policy"), false, {}, {}),
        setting(QStringLiteral("omp_active"), false, {}, {{omp, QStringLiteral("ACTIVE")}}),
        setting(QStringLiteral("omp_passive"), false, {}, {{omp, QStringLiteral("PASSIVE")}}),
        setting(QStringLiteral("threads_1"), false, {QStringLiteral("threads=1")}, {}),
        setting(QStringLiteral("workers_0"), false, {QStringLiteral("workers=0")}, {}),
        setting(QStringLiteral("workers_1"), false, {QStringLiteral("workers=1")}, {}),
        setting(QStringLiteral("workers_%1").arg(cores), false,
                {QStringLiteral("workers=%1").arg(cores)}, {}),
    };
    if (window) {
        settings.push_back(
            setting(QStringLiteral("window_off"), true, {}, {{off, QStringLiteral("0")}}));
        settings.push_back(setting(QStringLiteral("window_policy"), true, {}, {}));
    }
    const QStringList only =
        args.value(QStringLiteral("only")).split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (!only.isEmpty()) {
        settings.erase(std::remove_if(settings.begin(), settings.end(),
                                      [&](const Setting &s) { return !only.contains(s.name); }),
                       settings.end());
        if (settings.empty()) {
            std::fprintf(stderr, "only=%s: no such setting\n",
                         qPrintable(args.value(QStringLiteral("only"))));
            return 2;
        }
    }

    QTemporaryDir dir;
    std::map<QString, std::vector<double>> results;
    for (int rep = 0; rep < repeats; ++rep) {
        for (const Setting &s : settings) {
            const QString name = QStringLiteral("%1_%2").arg(s.name).arg(rep);
            const RunResult r = runOnce(s, common, dir.filePath(QStringLiteral("runs")), name);
            if (!r.ok) {
                std::fprintf(stderr, "%s: %s\n", qPrintable(name), qPrintable(r.error));
                return 1;
            }
            std::fprintf(stderr, "%-16s %6.2f images/s over %d batches\n", qPrintable(name),
                         r.imagesPerSecond, r.batches);
            results[s.name].push_back(r.imagesPerSecond);
        }
    }

    QString line =
        QStringLiteral("bench_threads model=%1 imgsz=%2 batch=%3 cores=%4 repeats=%5")
            .arg(args.value(QStringLiteral("model")), args.value(QStringLiteral("imgsz")),
                 args.value(QStringLiteral("batch")))
            .arg(cores)
            .arg(repeats);
    QString best;
    double bestIps = 0;
    for (const Setting &s : settings) {
        const double ips = benchmark::median(results[s.name]);
        line += QStringLiteral(" %1=%2").arg(s.name).arg(ips, 0, 'f', 2);
        if (ips > bestIps) {
            bestIps = ips;
            best = s.name;
        }
    }
    std::printf("%s best=%s\n", qPrintable(line), qPrintable(best));
    return 0;
}
