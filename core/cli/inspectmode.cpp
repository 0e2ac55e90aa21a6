#include "core/checkpoint/checkpointfile.h"
#include "core/checkpoint/checkpointmeta.h"
#include "core/cli/commandline.h"
#include "core/cli/modearguments.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace yolodeck {

int CommandLine::inspect(const QStringList &args)
{
    QString file;
    bool hash = false;
    for (const QString &a : args) {
        if (a.startsWith(QLatin1String("hash=")))
            hash = a.mid(5).toLower() == QLatin1String("true");
        else if (file.isEmpty())
            file = a;
        else {
            m_err << QStringLiteral("ERROR usage: yolodeck-cli inspect FILE [hash=true]\n");
            return 2;
        }
    }
    if (file.isEmpty()) {
        m_err << QStringLiteral("ERROR usage: yolodeck-cli inspect FILE [hash=true]\n");
        return 2;
    }
    const Result<QJsonObject> meta = readCheckpointMeta(file);
    if (!meta) {
        m_err << QStringLiteral("ERROR %1\n").arg(meta.error());
        return 2;
    }
    QJsonObject shown = meta.value();
    shown.remove(QStringLiteral("history")); // long; results.csv holds it
    m_out << QJsonDocument(shown).toJson(QJsonDocument::Indented);
    m_out << QStringLiteral("history: %1 epochs\n")
                 .arg(meta.value().value(QStringLiteral("history")).toArray().size());
    // Verifying the archive means reading every tensor record.
    const Result<CheckpointData> data = loadCheckpoint(file);
    if (!data) {
        m_err << QStringLiteral("ERROR %1\n").arg(data.error());
        return 2;
    }
    qint64 bytes = 0;
    for (const auto &[key, t] : data.value().tensors)
        bytes += qint64(t.numel() * t.element_size());
    m_out << QStringLiteral("archive ok: %1 tensors, %2 MB of tensor data\n")
                 .arg(data.value().tensors.size())
                 .arg(bytes / 1e6, 0, 'f', 2);
    if (hash) {
        for (const char *prefix : {"model.", "ema."}) {
            const Result<QString> h = tensorsHash(data.value(), prefix);
            if (h)
                m_out << QStringLiteral("sha256(%1*) %2\n").arg(QLatin1String(prefix), h.value());
        }
    }
    return 0;
}

} // namespace yolodeck
