// bench_log: what the Log tab costs a long run, in memory and time.
//
// The LogPane is shown (1000x300) and fed 20,000 messages (its cap) shaped like a training run's:
// an epoch summary and a "Saved ... last.pt" line in turn, with the event loop run after each pair
// as the window does between epochs. Its heap growth per line is compared with a QPlainTextEdit
// set up as the Log tab's view was before LogModel (read-only, no wrapping, fixed font, the same
// cap) fed the same lines.
//
//   bench_log
//   bench_log lines=20000 bytes_per_line=.. plaintextedit_bytes_per_line=..
//   append_us_median=.. append_us_max=.. plaintextedit_append_us_median=.. burst_ms=..
//   refilter_ms=..
// bytes_per_line: heap the pane holds per line (glibc's in-use count, so pages freed but kept by
// the allocator do not count). append_us: one message appended and the event loop run, at the
// cap (the oldest entry dropped each time) and following the end. burst_ms: 2,000 messages at
// once (a dataset scan's warnings), then the event loop. refilter_ms: a text filter set over the
// full log and the view relaid out.
#include "ui/log/logpane.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFontDatabase>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QTreeView>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

#include <malloc.h>

using namespace yolodeck;

namespace {

constexpr int kLines = LogModel::kMaxEntries;

size_t heapInUse()
{
    const struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

QString lineAt(int i)
{
    const int epoch = i / 2 + 1;
    if (i % 2 == 0)
        return QStringLiteral("Epoch %1/300 in 41.3 s: P 0.%2, R 0.%3, mAP50 0.%4, mAP50-95 0.%5")
            .arg(epoch)
            .arg(500 + epoch % 400)
            .arg(400 + epoch % 300)
            .arg(450 + epoch % 350)
            .arg(250 + epoch % 200);
    return QStringLiteral("Saved /home/user/runs/detect/train7/weights/last.pt (%1 ms)")
        .arg(120 + epoch % 50);
}

} // namespace

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const QDateTime time = QDateTime::currentDateTime();

    // The pane.
    auto pane = std::make_unique<LogPane>();
    pane->resize(1000, 300);
    pane->show();
    QCoreApplication::processEvents();
    size_t before = heapInUse();
    for (int i = 0; i < kLines; ++i) {
        pane->append(LogLevel::Info, lineAt(i), time);
        if (i % 2)
            QCoreApplication::processEvents();
    }
    QCoreApplication::processEvents();
    const double paneBytes = double(heapInUse() - before) / kLines;
    if (pane->visibleLines().size() != kLines || pane->view()->verticalScrollBar()->value() !=
                                                     pane->view()->verticalScrollBar()->maximum()) {
        std::fprintf(stderr,
                     "bench_log: the pane shows %lld lines (expected %d) or is not at "
                     "its end\n",
                     static_cast<long long>(pane->visibleLines().size()), kLines);
        return 1;
    }

    // Appending at the cap: each message drops the oldest.
    std::vector<double> appendUs;
    for (int i = 0; i < 2000; ++i) {
        QElapsedTimer timer;
        timer.start();
        pane->append(LogLevel::Info, lineAt(kLines + i), time);
        QCoreApplication::processEvents();
        appendUs.push_back(timer.nsecsElapsed() / 1e3);
    }
    std::sort(appendUs.begin(), appendUs.end());
    // A burst (a dataset scan's warnings): 2,000 messages, then the event loop once.
    QElapsedTimer burst;
    burst.start();
    for (int i = 0; i < 2000; ++i)
        pane->append(LogLevel::Warning, lineAt(i), time);
    QCoreApplication::processEvents();
    const double burstMs = burst.nsecsElapsed() / 1e6;
    QElapsedTimer refilter;
    refilter.start();
    pane->setFilterText(QStringLiteral("mAP50-95 0.3"));
    QCoreApplication::processEvents();
    const double refilterMs = refilter.nsecsElapsed() / 1e6;
    pane.reset();
    QCoreApplication::processEvents();

    // The view it replaced: the same lines, prefixed as the pane shows them.
    auto edit = std::make_unique<QPlainTextEdit>();
    edit->setReadOnly(true);
    edit->setLineWrapMode(QPlainTextEdit::NoWrap);
    edit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    edit->setMaximumBlockCount(kLines);
    edit->resize(1000, 300);
    edit->show();
    QCoreApplication::processEvents();
    const QString prefix = time.toString(QStringLiteral("HH:mm:ss")) + QStringLiteral(" [info] ");
    before = heapInUse();
    for (int i = 0; i < kLines; ++i) {
        QScrollBar *bar = edit->verticalScrollBar();
        const bool atEnd = bar->value() == bar->maximum();
        edit->appendPlainText(prefix + lineAt(i));
        if (atEnd)
            bar->setValue(bar->maximum());
        if (i % 2)
            QCoreApplication::processEvents();
    }
    QCoreApplication::processEvents();
    const double editBytes = double(heapInUse() - before) / kLines;
    std::vector<double> editUs;
    for (int i = 0; i < 2000; ++i) {
        QElapsedTimer timer;
        timer.start();
        QScrollBar *bar = edit->verticalScrollBar();
        const bool atEnd = bar->value() == bar->maximum();
        edit->appendPlainText(prefix + lineAt(kLines + i));
        if (atEnd)
            bar->setValue(bar->maximum());
        QCoreApplication::processEvents();
        editUs.push_back(timer.nsecsElapsed() / 1e3);
    }
    std::sort(editUs.begin(), editUs.end());

    std::printf("bench_log lines=%d bytes_per_line=%.0f plaintextedit_bytes_per_line=%.0f "
                "append_us_median=%.0f append_us_max=%.0f plaintextedit_append_us_median=%.0f "
                "burst_ms=%.1f refilter_ms=%.1f\n",
                kLines, paneBytes, editBytes, appendUs[appendUs.size() / 2], appendUs.back(),
                editUs[editUs.size() / 2], burstMs, refilterMs);
    return 0;
}
