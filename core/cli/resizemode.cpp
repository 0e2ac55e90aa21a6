#include "core/cli/commandline.h"
#include "core/cli/modearguments.h"
#include "core/data/datasetresize.h"

#include <QElapsedTimer>

#include <atomic>
#include <csignal>

namespace yolodeck {

namespace {

std::atomic<bool> g_resizeInterrupted{false};

void onResizeInterrupt(int)
{
    g_resizeInterrupted.store(true);
}

// yolodeck-cli routes SIGINT to requestStop(), which only reaches a trainer: while a copy runs,
// Ctrl+C stops the copy instead, and the previous handler comes back when it ends.
class InterruptScope
{
public:
    InterruptScope()
    {
        g_resizeInterrupted.store(false);
        m_previous = std::signal(SIGINT, onResizeInterrupt);
    }
    ~InterruptScope()
    {
        if (m_previous != SIG_ERR)
            std::signal(SIGINT, m_previous);
    }
    InterruptScope(const InterruptScope &) = delete;
    InterruptScope &operator=(const InterruptScope &) = delete;

private:
    void (*m_previous)(int) = SIG_DFL;
};

QString formatBytes(qint64 bytes)
{
    if (bytes < 1000 * 1000)
        return QStringLiteral("%1 kB").arg(bytes / 1000.0, 0, 'f', 1);
    if (bytes < qint64(1000) * 1000 * 1000)
        return QStringLiteral("%1 MB").arg(bytes / 1e6, 0, 'f', 1);
    return QStringLiteral("%1 GB").arg(bytes / 1e9, 0, 'f', 2);
}

// A progress line every few seconds: enough to show it moves, few enough for a log file.
constexpr qint64 kProgressIntervalMs = 5000;

} // namespace

int CommandLine::resize(const QStringList &args)
{
    const Result<KeyValues> parsed =
        parseKeys(args, {QStringLiteral("data"), QStringLiteral("imgsz"), QStringLiteral("out"),
                         QStringLiteral("quality"), QStringLiteral("threads")});
    if (!parsed) {
        m_err << QStringLiteral("ERROR %1\n").arg(parsed.error());
        return 2;
    }
    const KeyValues &k = parsed.value();
    if (!k.contains(QStringLiteral("data")) || !k.contains(QStringLiteral("imgsz"))) {
        m_err << QStringLiteral("ERROR resize needs data=PATH/data.yaml and imgsz=N (the long "
                                "side of the copied images, e.g. imgsz=640)\n");
        return 2;
    }
    ResizeOptions o;
    o.dataYaml = k.value(QStringLiteral("data"));
    o.outDir = k.value(QStringLiteral("out"));
    const Result<int> imgsz = intKey(k, QStringLiteral("imgsz"), o.imgsz, 32, 8192);
    const Result<int> quality = intKey(k, QStringLiteral("quality"), o.jpegQuality, 1, 100);
    const Result<int> threads = intKey(k, QStringLiteral("threads"), 0, 0, 1024);
    for (const QString &e : {imgsz.error(), quality.error(), threads.error()}) {
        if (!e.isEmpty()) {
            m_err << QStringLiteral("ERROR %1\n").arg(e);
            return 2;
        }
    }
    o.imgsz = imgsz.value();
    o.jpegQuality = quality.value();
    o.threads = threads.value();
    const Result<ResizePlan> plan = planDatasetResize(o);
    if (!plan) {
        m_err << QStringLiteral("ERROR %1\n").arg(plan.error());
        return 2;
    }
    // One-pass arg() with strings: a '%' in a path must not be taken for a placeholder.
    m_out << QStringLiteral("Resizing %1 images of %2 to long side %3 into %4\n")
                 .arg(QString::number(plan.value().items.size()), plan.value().sourceYaml,
                      QString::number(o.imgsz), plan.value().outDir);
    m_out.flush();

    const InterruptScope interruptScope;
    QElapsedTimer sinceLine;
    sinceLine.start();
    const Result<ResizeSummary> result = resizeDataset(plan.value(), [&](int done, int total) {
        if (sinceLine.elapsed() >= kProgressIntervalMs && done < total) {
            m_out << QStringLiteral("  %1/%2 images\n").arg(done).arg(total);
            m_out.flush();
            sinceLine.restart();
        }
        return !g_resizeInterrupted.load();
    });
    if (!result) {
        m_err << QStringLiteral("ERROR %1\n").arg(result.error());
        return 1;
    }
    const ResizeSummary &s = result.value();
    for (const DataIssue &issue : s.issues)
        m_err << QStringLiteral("WARNING %1: %2\n").arg(issue.file, issue.reason);
    if (s.stopped) {
        m_err << QStringLiteral("Stopped after %1 of %2 images: %3 holds a partial copy without "
                                "data.yaml; remove it and run again\n")
                     .arg(QString::number(s.resized + s.copied + s.failed),
                          QString::number(s.images), s.outDir);
        return 130;
    }
    const QString failed =
        s.failed > 0 ? QStringLiteral("; %1 failed and left out, see the warnings").arg(s.failed)
                     : QString();
    m_out << QStringLiteral("Resized %1 of %2 images to long side %3 (%4 already smaller, "
                            "copied%5), %6 -> %7, in %8 s: data=%9\n")
                 .arg(QString::number(s.resized), QString::number(s.images),
                      QString::number(o.imgsz), QString::number(s.copied), failed,
                      formatBytes(s.bytesIn), formatBytes(s.bytesOut),
                      QString::number(s.seconds, 'f', 1), s.dataYaml);
    return s.failed > 0 ? 1 : 0;
}

} // namespace yolodeck
