#include "core/runlog/runlog.h"

#include "core/common/textutil.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QTextStream>

#include <sys/stat.h>

#include <utility>

namespace yolodeck {

namespace {

// A crash or a short write can leave events.jsonl ending in half a line.
bool endsMidLine(const QString &path)
{
    QFile file(path);
    char last = '\n';
    return file.open(QIODevice::ReadOnly) && file.size() > 0 && file.seek(file.size() - 1) &&
           file.getChar(&last) && last != '\n';
}

} // namespace

RunLog::RunLog(QString runDir)
    : m_runDir(std::move(runDir))
{
    QDir().mkpath(weightsDir());
    m_events.setFileName(eventsPath());
}

RunLog::~RunLog() = default;

Result<QString> RunLog::createRunDir(const QString &project, const QString &name, bool existOk)
{
    const QDir projectDir(project);
    QString dir = projectDir.absoluteFilePath(name);
    if (!existOk) {
        // Ultralytics' increment_path: train, train2, train3, ...
        for (int n = 2; QFileInfo::exists(dir); ++n)
            dir = projectDir.absoluteFilePath(name + QString::number(n));
    }
    if (!QDir().mkpath(dir + QStringLiteral("/weights")))
        return Result<QString>::fail(QStringLiteral("cannot create the run folder %1").arg(dir));
    return Result<QString>::ok(QDir::cleanPath(dir));
}

QString RunLog::weightsDir() const
{
    return m_runDir + QStringLiteral("/weights");
}
QString RunLog::resultsPath() const
{
    return m_runDir + QStringLiteral("/results.csv");
}
QString RunLog::eventsPath() const
{
    return m_runDir + QStringLiteral("/events.jsonl");
}

Status RunLog::writeArgs(const QString &yaml)
{
    QString error;
    if (!writeFileAtomically(m_runDir + QStringLiteral("/args.yaml"), yaml.toUtf8(), &error))
        return Status::fail(error);
    return okStatus();
}

Status RunLog::writeResults(const History &history)
{
    QString text = EpochRecord::csvColumns().join(QLatin1Char(',')) + QLatin1Char('\n');
    for (const EpochRecord &r : history)
        text += r.toCsvRow() + QLatin1Char('\n');
    QString error;
    if (!writeFileAtomically(resultsPath(), text.toUtf8(), &error))
        return Status::fail(error);
    return okStatus();
}

void RunLog::appendEvent(const QString &type, QJsonObject fields)
{
    fields.insert(QStringLiteral("type"), type);
    fields.insert(QStringLiteral("wall"), QDateTime::currentMSecsSinceEpoch() / 1000.0);
    const QByteArray line = QJsonDocument(fields).toJson(QJsonDocument::Compact) + '\n';
    std::lock_guard<std::mutex> lock(m_eventsMutex);
    struct stat st;
    if (m_events.isOpen() && fstat(m_events.handle(), &st) == 0 && st.st_nlink == 0)
        m_events.close(); // deleted under us: lines written now would be lost with the inode
    const bool opening = !m_events.isOpen();
    bool ok = !opening || m_events.open(QIODevice::WriteOnly | QIODevice::Append);
    if (!ok && !QFileInfo::exists(m_runDir) && QDir().mkpath(m_runDir)) {
        // The run folder was deleted: this line is the first in it again (restoreFolders says so).
        m_recreated = m_runDir;
        ok = m_events.open(QIODevice::WriteOnly | QIODevice::Append);
    }
    // Never glue a line to a torn one: both would be lost to a JSON reader.
    if (ok && opening && endsMidLine(eventsPath()) && m_events.write("\n", 1) != 1) {
        ok = false;
        m_events.close();
    }
    if (ok) {
        ok = m_events.write(line) == line.size() && m_events.flush();
        if (!ok)
            m_events.close(); // a short write: the next line starts on a fresh handle
    }
    // The log is a convenience: a full disk must not stop training. The first failure of a
    // stretch is kept for the trainer to report.
    if (!ok && !m_eventsFailing)
        m_eventsError = m_events.errorString();
    m_eventsFailing = !ok;
}

QString RunLog::takeEventsError()
{
    std::lock_guard<std::mutex> lock(m_eventsMutex);
    return std::exchange(m_eventsError, QString());
}

QStringList RunLog::restoreFolders()
{
    QStringList missing;
    {
        std::lock_guard<std::mutex> lock(m_eventsMutex);
        if (!m_recreated.isEmpty())
            missing << std::exchange(m_recreated, QString());
    }
    for (const QString &dir : {m_runDir, weightsDir()})
        if (!QFileInfo::exists(dir) && !missing.contains(dir))
            missing << dir;
    if (missing.isEmpty() || !QDir().mkpath(weightsDir()))
        return {};
    return missing;
}

Result<History> RunLog::readResults(const QString &csvPath)
{
    QFile file(csvPath);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return Result<History>::fail(QStringLiteral("%1: %2").arg(csvPath, file.errorString()));
    QTextStream in(&file);
    const QStringList header = in.readLine().split(QLatin1Char(','));
    if (!header.contains(QStringLiteral("epoch")))
        return Result<History>::fail(
            QStringLiteral("%1: not a results.csv (no epoch column)").arg(csvPath));
    History history;
    int lineNumber = 1;
    while (!in.atEnd()) {
        const QString line = in.readLine();
        ++lineNumber;
        if (line.trimmed().isEmpty())
            continue;
        const std::optional<EpochRecord> record = EpochRecord::fromCsvRow(header, line);
        if (!record) {
            return Result<History>::fail(
                QStringLiteral("%1:%2: malformed row").arg(csvPath).arg(lineNumber));
        }
        history.push_back(*record);
    }
    return Result<History>::ok(history);
}

} // namespace yolodeck
