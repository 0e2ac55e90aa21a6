// Fuzzes what reads a run folder back: results.csv (RunLog::readResults, and
// readUltralyticsResults for Ultralytics' layout), events.jsonl and args.yaml, through the replay
// File -> Open Run uses (loadRunReplay). Any bytes give rows or a message naming the file, never a
// crash.
//
// Input layout (fuzz::splitRunFolderInput): results.csv, then optionally a line "@@" and
// events.jsonl, then optionally another "@@" line and args.yaml. A missing or empty events part
// leaves the folder without events.jsonl, which is how an Ultralytics run folder looks.

#include "core/interop/ultralyticsrun.h"
#include "core/runlog/runlog.h"
#include "ui/runreplay.h"

#include "fuzzinput.h"

using namespace yolodeck;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const QString runDir =
        QFileInfo(fuzz::scratchPath(QStringLiteral("run/results.csv"))).absolutePath();
    const QString csv = runDir + QStringLiteral("/results.csv");

    const fuzz::RunFolderInput parts = fuzz::splitRunFolderInput(
        QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size)));
    fuzz::writeRunFolder(runDir, parts);

    const Result<History> history = RunLog::readResults(csv);
    if (!history)
        fuzz::expectClearError(history.error(), csv);

    const Result<UltralyticsResults> ultralytics = readUltralyticsResults(csv);
    if (!ultralytics) {
        fuzz::expectClearError(ultralytics.error(), csv);
    } else {
        int previous = 0;
        for (const EpochRecord &r : ultralytics.value().history) {
            fuzz::expect(r.epoch > previous, "Ultralytics rows have ascending 1-based epochs",
                         QStringLiteral("%1 after %2").arg(r.epoch).arg(previous));
            previous = r.epoch;
        }
    }

    if (parts.args) {
        const QString yaml = runDir + QStringLiteral("/args.yaml");
        const Result<QVariantMap> args = readUltralyticsArgs(yaml);
        if (!args)
            fuzz::expectClearError(args.error(), yaml);
    }

    const RunReplay replay = loadRunReplay(runDir);
    if (!replay.error.isEmpty())
        fuzz::expectClearError(replay.error, runDir);
    for (const BatchProgress &b : replay.batches)
        fuzz::expect(b.batches > 0, "replayed batches know the epoch's batch count");
    return 0;
}
