// Fuzzes the checkpoint loader (loadCheckpoint), which takes a path: the input is written to a
// file first. YoloDeck's own archives go through the metadata read, TorchScript's loader and the
// tensor manifest check; archives with a data.pkl go on to the Ultralytics reader. Any bytes give a
// checkpoint or one line naming the file, never a crash.

#include "core/checkpoint/checkpointfile.h"

#include "fuzzinput.h"

using namespace yolodeck;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const QString path = fuzz::scratchPath(QStringLiteral("checkpoint/fuzzed.pt"));
    fuzz::writeFile(path, data, size);

    const Result<CheckpointData> checkpoint = loadCheckpoint(path);
    if (!checkpoint) {
        fuzz::expectClearError(checkpoint.error(), path);
        fuzz::expectOneLine(checkpoint.error());
        return 0;
    }
    for (const auto &[key, tensor] : checkpoint.value().tensors)
        fuzz::expect(tensor.defined() && tensor.device().is_cpu(), "tensors are loaded to the CPU",
                     QString::fromStdString(key));
    return 0;
}
