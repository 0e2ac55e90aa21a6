#include "core/runlog/epochrecord.h"

#include "core/common/textutil.h"

#include <QtNumeric>

#include <limits>
#include <optional>

namespace yolodeck {

namespace {
// Accessors in csv column order, so the header, the row and the json never disagree.
struct Column
{
    const char *name;
    double EpochRecord::*scalar;
    std::array<double, 3> EpochRecord::*triple;
    int index;
};

const std::vector<Column> &columns()
{
    static const std::vector<Column> table = {
        {"train/box_loss", nullptr, &EpochRecord::trainLoss, 0},
        {"train/cls_loss", nullptr, &EpochRecord::trainLoss, 1},
        {"train/dfl_loss", nullptr, &EpochRecord::trainLoss, 2},
        {"metrics/precision(B)", &EpochRecord::precision, nullptr, 0},
        {"metrics/recall(B)", &EpochRecord::recall, nullptr, 0},
        {"metrics/mAP50(B)", &EpochRecord::map50, nullptr, 0},
        {"metrics/mAP50-95(B)", &EpochRecord::map50_95, nullptr, 0},
        {"val/box_loss", nullptr, &EpochRecord::valLoss, 0},
        {"val/cls_loss", nullptr, &EpochRecord::valLoss, 1},
        {"val/dfl_loss", nullptr, &EpochRecord::valLoss, 2},
        {"lr/pg0", nullptr, &EpochRecord::lr, 0},
        {"lr/pg1", nullptr, &EpochRecord::lr, 1},
        {"lr/pg2", nullptr, &EpochRecord::lr, 2},
    };
    return table;
}

double get(const EpochRecord &r, const Column &c)
{
    return c.scalar ? r.*(c.scalar) : (r.*(c.triple))[c.index];
}

void put(EpochRecord &r, const Column &c, double v)
{
    if (c.scalar)
        r.*(c.scalar) = v;
    else
        (r.*(c.triple))[c.index] = v;
}
} // namespace

QStringList EpochRecord::csvColumns()
{
    QStringList out{QStringLiteral("epoch"), QStringLiteral("time")};
    for (const Column &c : columns())
        out << QString::fromLatin1(c.name);
    return out;
}

QString EpochRecord::toCsvRow() const
{
    QStringList cells{QString::number(epoch), formatG6(time)};
    for (const Column &c : columns())
        cells << formatG6(get(*this, c));
    return cells.join(QLatin1Char(','));
}

std::optional<EpochRecord> EpochRecord::fromCsvRow(const QStringList &header, const QString &line)
{
    const QStringList cells = line.split(QLatin1Char(','));
    if (cells.size() != header.size())
        return std::nullopt;
    // A column the header lacks has no value (Ultralytics 8.0.x wrote no `time`): NaN, which the
    // charts leave out, rather than a 0 they would draw.
    EpochRecord r;
    r.time = qQNaN();
    for (const Column &c : columns())
        put(r, c, qQNaN());
    for (int i = 0; i < header.size(); ++i) {
        bool ok = false;
        const double v = cells[i].trimmed().toDouble(&ok);
        if (!ok)
            return std::nullopt;
        const QString name = header[i].trimmed();
        if (name == QLatin1String("epoch")) {
            // Converting a double outside int's range (or NaN) to int is undefined: such a row is
            // malformed.
            if (!(v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max()))
                return std::nullopt;
            r.epoch = int(v);
        } else if (name == QLatin1String("time"))
            r.time = v;
        for (const Column &c : columns()) {
            if (name == QLatin1String(c.name))
                put(r, c, v);
        }
    }
    return r;
}

QJsonObject EpochRecord::toJson() const
{
    QJsonObject json{{QStringLiteral("epoch"), epoch},
                     {QStringLiteral("time"), time},
                     {QStringLiteral("fitness"), fitness}};
    for (const Column &c : columns())
        json.insert(QString::fromLatin1(c.name), get(*this, c));
    return json;
}

EpochRecord EpochRecord::fromJson(const QJsonObject &json)
{
    EpochRecord r;
    r.epoch = json.value(QStringLiteral("epoch")).toInt();
    r.time = json.value(QStringLiteral("time")).toDouble();
    r.fitness = json.value(QStringLiteral("fitness")).toDouble();
    for (const Column &c : columns())
        put(r, c, json.value(QString::fromLatin1(c.name)).toDouble());
    return r;
}

} // namespace yolodeck
