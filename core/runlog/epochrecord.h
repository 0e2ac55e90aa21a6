#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <array>
#include <optional>
#include <vector>

namespace yolodeck {

// One row of results.csv: what an epoch produced. Plain values, shared by the trainer, the run
// log, the checkpoint's history and the window's charts.
struct EpochRecord
{
    int epoch = 0;                     // 1-based, as in results.csv
    double time = 0;                   // cumulative training seconds, kept across resumes
    std::array<double, 3> trainLoss{}; // box, cls, dfl (gains applied), mean over the epoch
    double precision = 0;
    double recall = 0;
    double map50 = 0;
    double map50_95 = 0;
    std::array<double, 3> valLoss{};
    std::array<double, 3> lr{}; // pg0 biases, pg1 weights with decay, pg2 norm weights
    double fitness = 0;

    // Ultralytics' results.csv header, in its order.
    static QStringList csvColumns();
    QString toCsvRow() const;
    // A row under `header`, in any column order. Names and cells may be padded with spaces (as
    // Ultralytics 8.0.x wrote them); unknown columns are ignored, columns the header lacks are
    // NaN, fitness is left 0. Fails when the cell count differs or a cell is not a number.
    static std::optional<EpochRecord> fromCsvRow(const QStringList &header, const QString &line);
    QJsonObject toJson() const; // keys are the csv column names
    static EpochRecord fromJson(const QJsonObject &json);
};

using History = std::vector<EpochRecord>;

} // namespace yolodeck
