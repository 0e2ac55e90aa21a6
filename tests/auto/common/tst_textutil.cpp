#include "core/common/textutil.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
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
    void withoutTopLevelMember_data();
    void withoutTopLevelMember();
    void withoutTopLevelMemberMatchesAParse();
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

void TestTextUtil::withoutTopLevelMember_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QByteArray>("expected"); // null: not cut
    QTest::newRow("first") << QByteArray(R"({"history":[1,2],"a":1})") << QByteArray(R"({"a":1})");
    QTest::newRow("middle") << QByteArray(R"({"a":1,"history":[{"x":[3]}],"b":"}"})")
                            << QByteArray(R"({"a":1,"b":"}"})");
    QTest::newRow("last") << QByteArray(R"({"a":{"history":1},"history":[]})")
                          << QByteArray(R"({"a":{"history":1}})");
    QTest::newRow("only") << QByteArray(R"({"history":{"a":"]"}})") << QByteArray("{}");
    QTest::newRow("indented") << QByteArray(
                                     "{\n    \"a\": 1,\n    \"history\": [\n        1\n    ]\n}\n")
                              << QByteArray("{\n    \"a\": 1}\n");
    QTest::newRow("quotes and brackets in strings")
        << QByteArray(R"({"k\"history\"":"[{,","history":"a\\\"]","z":2})")
        << QByteArray(R"({"k\"history\"":"[{,","z":2})");
    QTest::newRow("the name as a value") << QByteArray(R"({"a":"history","b":1})") << QByteArray();
    QTest::newRow("nested only") << QByteArray(R"({"a":{"history":[1]}})") << QByteArray();
    QTest::newRow("an array") << QByteArray(R"([{"history":1}])") << QByteArray();
    QTest::newRow("cut off") << QByteArray(R"({"a":1,"history":[1,2)") << QByteArray();
    QTest::newRow("too many closing") << QByteArray(R"({"history":[1]]]})") << QByteArray();
    QTest::newRow("empty") << QByteArray() << QByteArray();
}

void TestTextUtil::withoutTopLevelMember()
{
    QFETCH(QByteArray, json);
    QFETCH(QByteArray, expected);
    const QByteArray cut = yolodeck::withoutTopLevelMember(json, QLatin1StringView("history"));
    QCOMPARE(cut.isNull(), expected.isNull());
    QCOMPARE(cut, expected);
}

namespace {

QJsonValue randomValue(QRandomGenerator &random, int depth)
{
    static const QStringList texts{QStringLiteral("history"), QStringLiteral("\"}],{["),
                                   QStringLiteral("a\\b"),    QStringLiteral("\u4e2d\u6587"),
                                   QStringLiteral(":"),       QString()};
    switch (random.bounded(depth > 2 ? 3 : 5)) {
    case 0:
        return random.bounded(1000.0) - 500;
    case 1:
        return texts[random.bounded(int(texts.size()))];
    case 2:
        return random.bounded(2) == 0 ? QJsonValue(true) : QJsonValue(QJsonValue::Null);
    case 3: {
        QJsonArray array;
        for (int i = random.bounded(4); i > 0; --i)
            array.append(randomValue(random, depth + 1));
        return array;
    }
    default: {
        QJsonObject object;
        for (int i = random.bounded(4); i > 0; --i)
            object.insert(random.bounded(3) == 0 ? QStringLiteral("history")
                                                 : QStringLiteral("k%1\"").arg(random.bounded(9)),
                          randomValue(random, depth + 1));
        return object;
    }
    }
}

} // namespace

// Random objects, nested "history" members and strings full of JSON's own characters included:
// whenever the scan cuts, the text left parses to the object without the member.
void TestTextUtil::withoutTopLevelMemberMatchesAParse()
{
    QRandomGenerator random(20261203);
    int cut = 0;
    for (int n = 0; n < 2000; ++n) {
        QJsonObject object = randomValue(random, 3).toObject();
        if (random.bounded(4) != 0)
            object.insert(QStringLiteral("history"), randomValue(random, 0));
        for (const auto format : {QJsonDocument::Compact, QJsonDocument::Indented}) {
            const QByteArray json = QJsonDocument(object).toJson(format);
            const QByteArray without =
                yolodeck::withoutTopLevelMember(json, QLatin1StringView("history"));
            QCOMPARE(without.isNull(), !object.contains(QStringLiteral("history")));
            if (without.isNull())
                continue;
            QJsonParseError error;
            const QJsonDocument parsed = QJsonDocument::fromJson(without, &error);
            QVERIFY2(error.error == QJsonParseError::NoError,
                     qPrintable(QString::fromUtf8(json + " -> " + without)));
            QJsonObject expected = object;
            expected.remove(QStringLiteral("history"));
            QCOMPARE(parsed.object(), expected);
            ++cut;
        }
    }
    QVERIFY(cut > 2000);
}

QTEST_GUILESS_MAIN(TestTextUtil)
#include "tst_textutil.moc"
