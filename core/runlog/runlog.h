#pragma once

#include "core/common/result.h"
#include "core/runlog/epochrecord.h"

#include <QFile>
#include <QJsonObject>
#include <QString>

#include <mutex>

namespace yolodeck {

// The run folder of DESIGN.md §3: args.yaml, results.csv, events.jsonl and weights/.
// results.csv is rewritten whole (atomically) from the history after every epoch, so a resumed
// or branched run can never hold duplicate or interleaved rows. events.jsonl is append-only and
// flushed line by line: it is what lets the window follow a run that another process writes.
class RunLog
{
public:
    explicit RunLog(QString runDir);
    ~RunLog();

    // project/name, or project/name2, name3, ... when it exists (unless existOk).
    static Result<QString> createRunDir(const QString &project, const QString &name, bool existOk);

    const QString &runDir() const { return m_runDir; }
    QString weightsDir() const;
    QString resultsPath() const;
    QString eventsPath() const;

    Status writeArgs(const QString &yaml);
    Status writeResults(const History &history);
    // One JSON object per line: {"type": type, "wall": unix seconds, ...fields}. A failed
    // write does not stop training: its reason is kept for takeEventsError(). When events.jsonl
    // was deleted while open, it is created again.
    void appendEvent(const QString &type, QJsonObject fields);
    // The reason the last append failed, once; empty when appends work.
    QString takeEventsError();
    // The run folder and weights/ deleted during the run are created again: returns those that
    // were missing (empty when both exist or cannot be created; saving then reports why).
    QStringList restoreFolders();

    static Result<History> readResults(const QString &csvPath);

private:
    QString m_runDir;
    std::mutex m_eventsMutex; // events come from the training thread and the checkpoint writer
    QFile m_events;
    QString m_eventsError;
    bool m_eventsFailing = false;
    QString m_recreated; // the run folder, when appendEvent had to create it again
};

} // namespace yolodeck
