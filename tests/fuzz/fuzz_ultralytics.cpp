// Fuzzes the whole Ultralytics .pt reader (loadUltralyticsCheckpointFromBytes): PyTorch's zip
// reader, data.pkl through YoloDeck's pickle reader, the module walk, the architecture checks and
// every tensor view against its storage record. Any bytes give a checkpoint or one line naming the
// file, never a crash.

#include "core/interop/ultralyticscheckpoint.h"

#include "fuzzinput.h"

#include <string>

using namespace yolodeck;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString name = QStringLiteral("fuzzed.pt");
    const std::string bytes(reinterpret_cast<const char *>(data), size);
    const Result<ForeignCheckpoint> checkpoint = loadUltralyticsCheckpointFromBytes(bytes, name);
    if (!checkpoint) {
        fuzz::expectClearError(checkpoint.error(), name);
        fuzz::expectOneLine(checkpoint.error());
        return 0;
    }
    const ForeignCheckpoint &c = checkpoint.value();
    fuzz::expect(c.meta.value(QStringLiteral("source")).toString() == QLatin1String("ultralytics"),
                 "a read checkpoint says where it comes from");
    for (const auto &[key, tensor] : c.tensors)
        fuzz::expect(tensor.defined() && tensor.device().is_cpu(), "tensors are loaded to the CPU",
                     QString::fromStdString(key));
    return 0;
}
