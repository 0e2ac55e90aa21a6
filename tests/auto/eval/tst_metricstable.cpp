#include "core/eval/metricstable.h"

#include <QtTest>

using namespace yolodeck;

namespace {

ClassMetrics classRow(int cls, const QString &name, int images, int instances, double p, double r,
                      double ap50, double ap)
{
    ClassMetrics c;
    c.cls = cls;
    c.name = name;
    c.images = images;
    c.instances = instances;
    c.precision = p;
    c.recall = r;
    c.ap50 = ap50;
    c.ap50_95 = ap;
    return c;
}

DetectionMetrics sample()
{
    DetectionMetrics m;
    m.images = 128;
    m.instances = 929;
    m.precision = 0.64012;
    m.recall = 0.5371;
    m.map50 = 0.60549;
    m.map50_95 = 0.44601;
    m.perClass = {classRow(0, QStringLiteral("person"), 61, 254, 0.80567, 0.665, 0.76812, 0.5443),
                  classRow(2, QStringLiteral("car"), 12, 46, 1.0, 0.0, 0.00012345, 0.0)};
    return m;
}

QStringList fields(const QString &line)
{
    return line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
}

} // namespace

class TestMetricsTable : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rowsAndColumns();
    void columnsAreAligned();
    void longClassNameWidensTheFirstColumn();
};

void TestMetricsTable::rowsAndColumns()
{
    const QStringList lines = formatMetricsTable(sample()).split(QLatin1Char('\n'));
    QCOMPARE(lines.size(), 5); // header, all, 2 classes, empty after the last '\n'
    QCOMPARE(lines.last(), QString());
    QCOMPARE(lines[0], QStringLiteral("                 Class     Images  Instances      Box(P"
                                      "          R      mAP50  mAP50-95)"));
    QCOMPARE(fields(lines[1]),
             (QStringList{QStringLiteral("all"), QStringLiteral("128"), QStringLiteral("929"),
                          QStringLiteral("0.64"), QStringLiteral("0.537"), QStringLiteral("0.605"),
                          QStringLiteral("0.446")}));
    QCOMPARE(fields(lines[2]),
             (QStringList{QStringLiteral("person"), QStringLiteral("61"), QStringLiteral("254"),
                          QStringLiteral("0.806"), QStringLiteral("0.665"), QStringLiteral("0.768"),
                          QStringLiteral("0.544")}));
    QCOMPARE(fields(lines[3]),
             (QStringList{QStringLiteral("car"), QStringLiteral("12"), QStringLiteral("46"),
                          QStringLiteral("1"), QStringLiteral("0"), QStringLiteral("0.000123"),
                          QStringLiteral("0")}));
}

void TestMetricsTable::columnsAreAligned()
{
    const QStringList lines =
        formatMetricsTable(sample()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    // Right-aligned columns: every line has the same length and each column ends at the same
    // offset as the header's.
    for (const QString &line : lines)
        QCOMPARE(line.size(), 22 + 6 * 11);
    QCOMPARE(lines[1].indexOf(QStringLiteral("all")) + 3, 22);
    QCOMPARE(lines[2].indexOf(QStringLiteral("person")) + 6, 22);
    QCOMPARE(lines[1].indexOf(QStringLiteral(" 128")) + 4, 22 + 11);
}

void TestMetricsTable::longClassNameWidensTheFirstColumn()
{
    DetectionMetrics m = sample();
    const QString longName = QStringLiteral("a_class_name_of_thirty_chars_");
    m.perClass[1].name = longName;
    const QStringList lines = formatMetricsTable(m).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    const int width = longName.size() + 2;
    for (const QString &line : lines)
        QCOMPARE(line.size(), width + 6 * 11);
    QVERIFY(lines[3].startsWith(QStringLiteral("  ") + longName));
}

QTEST_GUILESS_MAIN(TestMetricsTable)
#include "tst_metricstable.moc"
