#include "core/interop/statedictexport.h"

#include <torch/serialize.h>

#include <QDir>
#include <QFileInfo>
#include <QSaveFile>

namespace yolodeck {

Status writeStateDict(const QString &path, const std::map<std::string, torch::Tensor> &tensors)
{
    const QString shown = QDir::toNativeSeparators(path);
    if (tensors.empty())
        return Status::fail(QStringLiteral("%1: no tensors to write").arg(shown));
    std::vector<char> bytes;
    try {
        c10::Dict<std::string, at::Tensor> dict;
        for (const auto &[name, tensor] : tensors)
            dict.insert(name, tensor.detach().to(torch::kCPU).contiguous());
        bytes = torch::pickle_save(c10::IValue(dict));
    } catch (const c10::Error &e) {
        return Status::fail(QStringLiteral("%1: %2").arg(
            shown,
            QString::fromStdString(e.what_without_backtrace()).section(QLatin1Char('\n'), 0, 0)));
    }
    // QSaveFile writes a temporary file beside the target, and commit() flushes, syncs and renames.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Status::fail(QStringLiteral("%1: cannot write (%2)").arg(shown, file.errorString()));
    if (file.write(bytes.data(), qint64(bytes.size())) != qint64(bytes.size()) || !file.commit())
        return Status::fail(QStringLiteral("%1: write failed (%2); nothing was replaced")
                                .arg(shown, file.errorString()));
    return okStatus();
}

} // namespace yolodeck
