#pragma once

#include <QString>
#include <QStringList>

#include <map>
#include <mutex>

namespace yolodeck {

// Failed writes into a run folder, reported once per kind of file and cause. A full disk or a
// read-only folder fails every save of a long run: one message that names the file and the
// reason, then a count, says more than a hundred identical lines. Thread-safe (the checkpoint
// writer reports from its own thread).
class WriteFaults
{
public:
    // A write of `kind` ("checkpoint", "results.csv", ...) to `path` failed. Returns the message
    // to show, or an empty string when this cause is already reported and the failure is only
    // counted.
    QString failed(const QString &kind, const QString &path, const QString &reason);
    // A write of `kind` worked. After failures, returns the message that it works again (once).
    QString succeeded(const QString &kind);
    // One line per kind that failed during the run ("3 checkpoint writes failed: File too
    // large"); empty when every write worked.
    QStringList summary() const;
    int failures(const QString &kind) const;

private:
    struct Kind
    {
        QStringList reasons; // causes reported in the current failing stretch
        int failures = 0;    // over the whole run
        int stretch = 0;     // since the last success
        QStringList allReasons;
    };
    mutable std::mutex m_mutex;
    std::map<QString, Kind> m_kinds;
};

} // namespace yolodeck
