#include "core/interop/ultralyticsrun.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QVariantList>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace yolodeck {

namespace {

const QString kResults = QStringLiteral("results.csv");
const QString kArgs = QStringLiteral("args.yaml");
const QString kEvents = QStringLiteral("events.jsonl");
// Drawn by Ultralytics' plot_metrics() once, after training and the final validation.
const QString kResultsPlot = QStringLiteral("results.png");

QStringList trimmedCells(const QString &line)
{
    QStringList cells = line.split(QLatin1Char(','));
    for (QString &c : cells)
        c = c.trimmed();
    return cells;
}

// Why a row that EpochRecord::fromCsvRow() refused is malformed, in words a user can act on.
QString rowProblem(const QStringList &header, const QString &line)
{
    const QStringList cells = trimmedCells(line);
    if (cells.size() != header.size())
        return QStringLiteral("%1 values under a header of %2 columns")
            .arg(cells.size())
            .arg(header.size());
    for (int i = 0; i < cells.size(); ++i) {
        bool ok = false;
        cells[i].toDouble(&ok);
        if (!ok)
            return QStringLiteral("'%1' in column %2 is not a number").arg(cells[i], header[i]);
    }
    const int epochColumn = header.indexOf(QStringLiteral("epoch"));
    if (epochColumn >= 0 && !(cells[epochColumn].toDouble() <= std::numeric_limits<int>::max()))
        return QStringLiteral("epoch %1 is out of range").arg(cells[epochColumn]);
    return QStringLiteral("epoch must be 1 or more");
}

// The header names Ultralytics' detection trainer writes (any task has some of them).
bool hasUltralyticsColumns(const QStringList &header)
{
    if (!header.contains(QStringLiteral("epoch")))
        return false;
    return std::any_of(header.begin(), header.end(), [](const QString &name) {
        return name.startsWith(QLatin1String("train/")) ||
               name.startsWith(QLatin1String("metrics/"));
    });
}

QByteArray firstLine(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readLine(64 * 1024);
}

// args.yaml is yaml.safe_dump() of Ultralytics' argument namespace: plain scalars are resolved as
// YAML's core schema does (null, bool, int, float, else string); quoted ones stay strings.
QVariant toVariant(const YAML::Node &node)
{
    switch (node.Type()) {
    case YAML::NodeType::Scalar: {
        const QString text = QString::fromStdString(node.Scalar());
        if (node.Tag() == "!") // quoted
            return text;
        static const QStringList nulls{QStringLiteral("null"), QStringLiteral("Null"),
                                       QStringLiteral("NULL"), QStringLiteral("~")};
        if (nulls.contains(text))
            return {};
        if (text == QLatin1String("true") || text == QLatin1String("True") ||
            text == QLatin1String("TRUE"))
            return true;
        if (text == QLatin1String("false") || text == QLatin1String("False") ||
            text == QLatin1String("FALSE"))
            return false;
        bool ok = false;
        const qlonglong integer = text.toLongLong(&ok);
        if (ok) {
            if (integer >= std::numeric_limits<int>::min() &&
                integer <= std::numeric_limits<int>::max())
                return int(integer);
            return integer;
        }
        const double real = text.toDouble(&ok);
        if (ok)
            return real;
        return text;
    }
    case YAML::NodeType::Sequence: {
        QVariantList list;
        for (const YAML::Node &item : node)
            list << toVariant(item);
        return list;
    }
    case YAML::NodeType::Map: {
        QVariantMap map;
        for (const auto &item : node)
            map.insert(QString::fromStdString(item.first.as<std::string>()),
                       toVariant(item.second));
        return map;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
        break;
    }
    return {};
}

} // namespace

bool isUltralyticsRunFolder(const QString &dir)
{
    const QFileInfo info(dir);
    if (!info.isDir())
        return false;
    const QDir folder(info.absoluteFilePath());
    if (folder.exists(kEvents))
        return false; // every YoloDeck run logs events.jsonl from its first moment
    if (folder.exists(kArgs)) {
        const Result<QVariantMap> args = readUltralyticsArgs(folder.filePath(kArgs));
        if (args && (args.value().contains(QStringLiteral("task")) ||
                     args.value().contains(QStringLiteral("mode"))))
            return true;
    }
    return folder.exists(kResults) && hasUltralyticsColumns(trimmedCells(
                                          QString::fromUtf8(firstLine(folder.filePath(kResults)))));
}

Result<UltralyticsResults> readUltralyticsResults(const QString &csvPath)
{
    using R = Result<UltralyticsResults>;
    QFile file(csvPath);
    if (!file.open(QIODevice::ReadOnly))
        return R::fail(QStringLiteral("%1: %2").arg(csvPath, file.errorString()));
    const QByteArray bytes = file.readAll();
    QList<QByteArray> lines = bytes.split('\n');
    // split() leaves an empty last item after the final newline; anything else there is a line
    // that Ultralytics is still writing (or a hand-edited file without its final newline).
    const bool lastLineUnterminated = !lines.last().isEmpty();
    if (!lastLineUnterminated)
        lines.removeLast();

    UltralyticsResults out;
    if (lines.isEmpty() || (lines.size() == 1 && lastLineUnterminated))
        return R::ok(out); // nothing complete yet: the file is being created or rewritten

    const QStringList header = trimmedCells(QString::fromUtf8(lines.first()));
    if (!header.contains(QStringLiteral("epoch")))
        return R::fail(
            QStringLiteral("%1: not a results.csv (no epoch column in its header)").arg(csvPath));

    History &rows = out.history;
    double offset = 0;            // seconds of the sessions before the current one
    double previousRaw = qQNaN(); // the file's own time of the previous row
    for (int i = 1; i < lines.size(); ++i) {
        const QString line = QString::fromUtf8(lines[i]).trimmed();
        if (line.isEmpty())
            continue;
        std::optional<EpochRecord> parsed = EpochRecord::fromCsvRow(header, line);
        if (!parsed || parsed->epoch < 1) {
            if (i == lines.size() - 1 && lastLineUnterminated)
                break; // torn: the rest of the row is not on disk yet
            return R::fail(QStringLiteral("%1:%2: malformed row: %3")
                               .arg(csvPath)
                               .arg(i + 1)
                               .arg(rowProblem(header, line)));
        }
        EpochRecord r = *parsed;

        const bool rewound = !rows.empty() && r.epoch <= rows.back().epoch;
        const bool clockRestarted =
            std::isfinite(previousRaw) && std::isfinite(r.time) && r.time < previousRaw;
        previousRaw = r.time;
        if (rewound) {
            rows.erase(std::remove_if(rows.begin(), rows.end(),
                                      [&](const EpochRecord &e) { return e.epoch >= r.epoch; }),
                       rows.end());
        }
        if (rewound || clockRestarted) {
            const double before = rows.empty() ? 0.0 : rows.back().time;
            offset = std::isfinite(before) ? before : 0.0;
            const int after = r.epoch - 1;
            out.resumedAfter.erase(std::remove_if(out.resumedAfter.begin(), out.resumedAfter.end(),
                                                  [after](int m) { return m >= after; }),
                                   out.resumedAfter.end());
            if (after > 0)
                out.resumedAfter.push_back(after);
        }
        r.time += offset;
        // Ultralytics' fitness (ultralytics.utils.metrics.Metric.fitness): fixed weights.
        r.fitness = 0.1 * r.map50 + 0.9 * r.map50_95;
        rows.push_back(r);
    }
    return R::ok(out);
}

Result<QVariantMap> readUltralyticsArgs(const QString &yamlPath)
{
    using R = Result<QVariantMap>;
    QFile file(yamlPath);
    if (!file.open(QIODevice::ReadOnly))
        return R::fail(QStringLiteral("%1: %2").arg(yamlPath, file.errorString()));
    // yaml-cpp reports syntax errors with exceptions; none may leave this function.
    try {
        const YAML::Node doc = YAML::Load(file.readAll().toStdString());
        if (doc.IsNull())
            return R::ok({});
        if (!doc.IsMap())
            return R::fail(QStringLiteral("%1: expected key: value lines").arg(yamlPath));
        return R::ok(toVariant(doc).toMap());
    } catch (const YAML::Exception &e) {
        const QString where =
            e.mark.is_null() ? QString() : QStringLiteral(" (line %1)").arg(e.mark.line + 1);
        return R::fail(QStringLiteral("%1 is not valid YAML%2: %3")
                           .arg(yamlPath, where, QString::fromStdString(e.msg)));
    } catch (const std::exception &e) {
        return R::fail(QStringLiteral("%1: %2").arg(yamlPath, QString::fromUtf8(e.what())));
    }
}

Result<UltralyticsRunInfo> readUltralyticsRun(const QString &dir)
{
    using R = Result<UltralyticsRunInfo>;
    const QFileInfo given(dir);
    UltralyticsRunInfo info;
    info.runDir = QDir::cleanPath(given.isDir() ? given.absoluteFilePath() : given.absolutePath());
    const QDir folder(info.runDir);
    if (folder.exists(kEvents))
        return R::fail(QStringLiteral("%1 is a YoloDeck run folder (it has events.jsonl), not an "
                                      "Ultralytics one")
                           .arg(info.runDir));
    if (!isUltralyticsRunFolder(info.runDir))
        return R::fail(QStringLiteral("%1 is not an Ultralytics run folder: it has neither an "
                                      "args.yaml with task:/mode: nor a results.csv with "
                                      "Ultralytics' columns")
                           .arg(info.runDir));
    info.resultsPath = folder.filePath(kResults);
    info.argsPath = folder.filePath(kArgs);
    info.weightsDir = folder.filePath(QStringLiteral("weights"));

    if (QFileInfo::exists(info.argsPath)) {
        Result<QVariantMap> args = readUltralyticsArgs(info.argsPath);
        if (args)
            info.args = args.take();
        else
            info.argsError = args.error();
    }
    // With time= (hours) Ultralytics recomputes epochs after every epoch; args.yaml keeps the
    // number it started with.
    const QVariant hours = info.args.value(QStringLiteral("time"));
    if (!(hours.isValid() && hours.toDouble() > 0))
        info.plannedEpochs = qMax(0, info.args.value(QStringLiteral("epochs")).toInt());

    if (QFileInfo::exists(info.resultsPath)) {
        Result<UltralyticsResults> results = readUltralyticsResults(info.resultsPath);
        if (!results)
            return R::fail(results.error());
        info.results = results.take();
    }
    for (const EpochRecord &r : info.results.history) {
        if (std::isfinite(r.fitness) && (info.bestEpoch == 0 || r.fitness > info.bestFitness)) {
            info.bestFitness = r.fitness;
            info.bestEpoch = r.epoch;
        }
    }

    const QFileInfo plot(folder.filePath(kResultsPlot));
    const QFileInfo csv(info.resultsPath);
    info.finished = (info.plannedEpochs > 0 && info.epochsDone() >= info.plannedEpochs) ||
                    (plot.exists() && csv.exists() && plot.lastModified() >= csv.lastModified());
    return R::ok(info);
}

} // namespace yolodeck
