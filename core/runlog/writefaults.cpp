#include "core/runlog/writefaults.h"

namespace yolodeck {

QString WriteFaults::failed(const QString &kind, const QString &path, const QString &reason)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    Kind &k = m_kinds[kind];
    ++k.failures;
    ++k.stretch;
    if (!k.allReasons.contains(reason))
        k.allReasons << reason;
    if (k.reasons.contains(reason))
        return {};
    k.reasons << reason;
    return QStringLiteral("%1 not saved: %2: %3. Training goes on and earlier files are intact; "
                          "further failures for this reason are counted, not repeated")
        .arg(kind, path, reason);
}

QString WriteFaults::succeeded(const QString &kind)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_kinds.find(kind);
    if (it == m_kinds.end() || it->second.stretch == 0)
        return {};
    const int stretch = it->second.stretch;
    it->second.stretch = 0;
    it->second.reasons.clear();
    return QStringLiteral("%1 saved again, after %2 failed %3")
        .arg(kind)
        .arg(stretch)
        .arg(stretch == 1 ? QStringLiteral("write") : QStringLiteral("writes"));
}

QStringList WriteFaults::summary() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    QStringList lines;
    for (const auto &[kind, k] : m_kinds)
        if (k.failures > 0)
            lines << QStringLiteral("%1 %2 %3 failed during this run: %4")
                         .arg(k.failures)
                         .arg(kind)
                         .arg(k.failures == 1 ? QStringLiteral("write") : QStringLiteral("writes"))
                         .arg(k.allReasons.join(QStringLiteral("; ")));
    return lines;
}

int WriteFaults::failures(const QString &kind) const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_kinds.find(kind);
    return it == m_kinds.end() ? 0 : it->second.failures;
}

} // namespace yolodeck
