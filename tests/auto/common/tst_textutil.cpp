#include "core/common/textutil.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h> // geteuid

using namespace yolodeck;

class TestTextUtil : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void formatG6_data();
    void formatG6();
    void atomicWriteReplacesWholeFile();
    void atomicWriteFailureKeepsOldFile();
    void closestMatchSuggestsOnlyNearWords_data();
    void closestMatchSuggestsOnlyNearWords();
};

void TestTextUtil::formatG6_data()
{
    QTest::addColumn<double>("value");
    QTest::addColumn<QString>("expected");
    QTest::newRow("integer") << 1.0 << QStringLiteral("1");
    QTest::newRow("six significant") << 0.123456789 << QStringLiteral("0.123457");
    QTest::newRow("small") << 1.5e-05 << QStringLiteral("1.5e-05");
    QTest::newRow("large") << 1234567.0 << QStringLiteral("1.23457e+06");
    QTest::newRow("zero") << 0.0 << QStringLiteral("0");
}

void TestTextUtil::formatG6()
{
    QFETCH(double, value);
    QFETCH(QString, expected);
    QCOMPARE(yolodeck::formatG6(value), expected);
}

void TestTextUtil::atomicWriteReplacesWholeFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("a.txt"));
    QString error;
    QVERIFY(writeFileAtomically(path, "first version, longer", &error));
    QVERIFY(writeFileAtomically(path, "second", &error));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("second"));
    // No temporary file is left behind.
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{QStringLiteral("a.txt")});
}

void TestTextUtil::atomicWriteFailureKeepsOldFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("keep.txt"));
    QString error;
    QVERIFY(writeFileAtomically(path, "precious", &error));
    // A read-only folder makes the temporary file impossible to create.
    QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::ExeOwner);
    const bool wrote = writeFileAtomically(path, "new", &error);
    QFile::setPermissions(dir.path(),
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    if (geteuid() == 0)
        QVERIFY(wrote); // root ignores folder permissions; nothing to prove then beyond success
    else {
        QVERIFY(!wrote);
        QVERIFY(error.contains(path));
    }
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), wrote ? QByteArray("new") : QByteArray("precious"));
}

void TestTextUtil::closestMatchSuggestsOnlyNearWords_data()
{
    QTest::addColumn<QString>("typed");
    QTest::addColumn<QString>("meant");
    QTest::newRow("swap") << QStringLiteral("modle") << QStringLiteral("model");
    QTest::newRow("missing letter") << QStringLiteral("epoch") << QStringLiteral("epochs");
    QTest::newRow("case") << QStringLiteral("IMGSZ") << QStringLiteral("imgsz");
    QTest::newRow("two edits") << QStringLiteral("bacth_size") << QString();
    QTest::newRow("underscore") << QStringLiteral("saveperiod") << QStringLiteral("save_period");
    QTest::newRow("far") << QStringLiteral("learning_rate") << QString();
    QTest::newRow("short word") << QStringLiteral("x") << QString();
}

void TestTextUtil::closestMatchSuggestsOnlyNearWords()
{
    QFETCH(QString, typed);
    QFETCH(QString, meant);
    const QStringList keys{QStringLiteral("model"),       QStringLiteral("epochs"),
                           QStringLiteral("imgsz"),       QStringLiteral("batch"),
                           QStringLiteral("save_period"), QStringLiteral("lr0")};
    QCOMPARE(closestMatch(typed, keys), meant);
}

QTEST_GUILESS_MAIN(TestTextUtil)
#include "tst_textutil.moc"
