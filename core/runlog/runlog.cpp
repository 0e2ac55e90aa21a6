#include "core/runlog/runlog.h"

#include "core/common/textutil.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QTextStream>

namespace yolodeck {

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
    if (!m_events.isOpen() && !m_events.open(QIODevice::WriteOnly | QIODevice::Append))
        return; // the log is a convenience: a full disk must not stop training
    m_events.write(line);
    m_events.flush();
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
