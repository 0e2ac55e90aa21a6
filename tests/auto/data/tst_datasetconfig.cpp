#include "core/data/datasetconfig.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using namespace yolodeck;

// Every test builds this tree in a fresh temporary folder:
//   ds/images/train/a.jpg  ds/images/val/b.jpg  ds/train.txt  cfg/
// and writes the row's yaml into ds/ or cfg/. "@TMP@" in yaml and expectations is the folder.
class TestDatasetConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void load_data();
    void load();
    void missingYamlNamesPath();
    void testSplitIsOptional();
};

namespace {

void writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY2(f.open(QIODevice::WriteOnly), qPrintable(path));
    f.write(data);
}

QStringList withTmp(QStringList list, const QString &tmp)
{
    for (QString &s : list)
        s.replace(QLatin1String("@TMP@"), tmp);
    return list;
}

} // namespace

void TestDatasetConfig::load_data()
{
    QTest::addColumn<QString>("yamlDir"); // "ds" or "cfg"
    QTest::addColumn<QString>("yaml");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("root");
    QTest::addColumn<QStringList>("train");
    QTest::addColumn<QStringList>("val");
    QTest::addColumn<QStringList>("names");
    QTest::addColumn<QStringList>("errorParts"); // each must appear in the error message

    const QString body = QStringLiteral("train: images/train\nval: images/val\nnames: [a, b]\n");
    const QStringList ab = {QStringLiteral("a"), QStringLiteral("b")};
    const QStringList train = {QStringLiteral("@TMP@/ds/images/train")};
    const QStringList val = {QStringLiteral("@TMP@/ds/images/val")};
    const QString root = QStringLiteral("@TMP@/ds");

    QTest::newRow("path missing: yaml folder")
        << "ds" << body << true << root << train << val << ab << QStringList();
    QTest::newRow("path dot") << "ds"
                              << "path: .\n" + body << true << root << train << val << ab
                              << QStringList();
    QTest::newRow("path relative to yaml folder")
        << "cfg"
        << "path: ../ds\n" + body << true << root << train << val << ab << QStringList();
    QTest::newRow("path absolute")
        << "cfg"
        << "path: @TMP@/ds\n" + body << true << root << train << val << ab << QStringList();
    QTest::newRow("train as list")
        << "ds"
        << "train: [images/train, images/val]\nval: images/val\nnames: [a, b]\n"
        << true << root << QStringList{train[0], val[0]} << val << ab << QStringList();
    QTest::newRow("train as txt") << "ds"
                                  << "train: train.txt\nval: images/val\nnames: [a, b]\n"
                                  << true << root
                                  << QStringList{QStringLiteral("@TMP@/ds/train.txt")} << val << ab
                                  << QStringList();
    QTest::newRow("YOLOv5 ../ prefix retried under root")
        << "ds"
        << "train: ../images/train\nval: images/val\nnames: [a, b]\n"
        << true << root << train << val << ab << QStringList();
    QTest::newRow("names map") << "ds"
                               << "train: images/train\nval: images/val\nnames:\n  0: a\n  1: b\n"
                               << true << root << train << val << ab << QStringList();
    QTest::newRow("names map out of order")
        << "ds"
        << "train: images/train\nval: images/val\nnames: {1: b, 0: a}\n"
        << true << root << train << val << ab << QStringList();
    QTest::newRow("nc matching names")
        << "ds"
        << "nc: 2\n" + body << true << root << train << val << ab << QStringList();
    QTest::newRow("nc without names")
        << "ds"
        << "train: images/train\nval: images/val\nnc: 2\n"
        << true << root << train << val
        << QStringList{QStringLiteral("class_0"), QStringLiteral("class_1")} << QStringList();

    // Failures: the message names the yaml (or the path it looked for) and the reason.
    QTest::newRow("nc mismatch") << "ds"
                                 << "nc: 3\n" + body << false << "" << QStringList()
                                 << QStringList() << QStringList()
                                 << QStringList{"@TMP@/ds/data.yaml", "'nc' is 3", "2 entries"};
    QTest::newRow("names map with gap")
        << "ds"
        << "train: images/train\nval: images/val\nnames: {0: a, 2: c}\n"
        << false << "" << QStringList() << QStringList() << QStringList()
        << QStringList{"@TMP@/ds/data.yaml", "id 1 is missing"};
    QTest::newRow("names map non-integer key")
        << "ds"
        << "train: images/train\nval: images/val\nnames: {zero: a}\n"
        << false << "" << QStringList() << QStringList() << QStringList()
        << QStringList{"@TMP@/ds/data.yaml", "zero"};
    QTest::newRow("missing names") << "ds"
                                   << "train: images/train\nval: images/val\n"
                                   << false << "" << QStringList() << QStringList() << QStringList()
                                   << QStringList{"@TMP@/ds/data.yaml", "'names'"};
    QTest::newRow("missing train") << "ds"
                                   << "val: images/val\nnames: [a]\n"
                                   << false << "" << QStringList() << QStringList() << QStringList()
                                   << QStringList{"@TMP@/ds/data.yaml", "'train'"};
    QTest::newRow("missing val") << "ds"
                                 << "train: images/train\nnames: [a]\n"
                                 << false << "" << QStringList() << QStringList() << QStringList()
                                 << QStringList{"@TMP@/ds/data.yaml", "'val'"};
    QTest::newRow("train points to nothing")
        << "ds"
        << "train: images/nope\nval: images/val\nnames: [a]\n"
        << false << "" << QStringList() << QStringList() << QStringList()
        << QStringList{"@TMP@/ds/images/nope", "does not exist"};
    QTest::newRow("list entry points to nothing")
        << "ds"
        << "train: [images/train, more.txt]\nval: images/val\nnames: [a]\n"
        << false << "" << QStringList() << QStringList() << QStringList()
        << QStringList{"@TMP@/ds/more.txt"};
    QTest::newRow("val relative to a wrong path")
        << "cfg"
        << "path: ../elsewhere\n" + body << false << "" << QStringList() << QStringList()
        << QStringList() << QStringList{"@TMP@/elsewhere"};
    QTest::newRow("malformed yaml") << "ds"
                                    << "train: [images/train\nval: : :\n"
                                    << false << "" << QStringList() << QStringList()
                                    << QStringList() << QStringList{"@TMP@/ds/data.yaml", "YAML"};
    QTest::newRow("not a mapping") << "ds"
                                   << "- a\n- b\n"
                                   << false << "" << QStringList() << QStringList() << QStringList()
                                   << QStringList{"@TMP@/ds/data.yaml"};
    QTest::newRow("empty file") << "ds"
                                << "" << false << "" << QStringList() << QStringList()
                                << QStringList() << QStringList{"@TMP@/ds/data.yaml"};
    QTest::newRow("nc not a number")
        << "ds"
        << "nc: two\n" + body << false << "" << QStringList() << QStringList() << QStringList()
        << QStringList{"@TMP@/ds/data.yaml", "'nc'"};
}

void TestDatasetConfig::load()
{
    QFETCH(QString, yamlDir);
    QFETCH(QString, yaml);
    QFETCH(bool, ok);
    QFETCH(QString, root);
    QFETCH(QStringList, train);
    QFETCH(QStringList, val);
    QFETCH(QStringList, names);
    QFETCH(QStringList, errorParts);

    QTemporaryDir tmpDir;
    const QString tmp = QDir(tmpDir.path()).canonicalPath();
    writeFile(tmp + "/ds/images/train/a.jpg", "x");
    writeFile(tmp + "/ds/images/val/b.jpg", "x");
    writeFile(tmp + "/ds/train.txt", "./images/train/a.jpg\n");
    QDir().mkpath(tmp + "/cfg");
    const QString yamlPath = tmp + "/" + yamlDir + "/data.yaml";
    writeFile(yamlPath, yaml.replace(QLatin1String("@TMP@"), tmp).toUtf8());

    const Result<DatasetConfig> result = DatasetConfig::load(yamlPath);
    if (!ok) {
        QVERIFY(!result.isOk());
        for (const QString &part : withTmp(errorParts, tmp))
            QVERIFY2(result.error().contains(part),
                     qPrintable(QStringLiteral("'%1' not in: %2").arg(part, result.error())));
        return;
    }
    QVERIFY2(result.isOk(), qPrintable(result.error()));
    const DatasetConfig &c = result.value();
    QCOMPARE(c.yamlPath, yamlPath);
    QCOMPARE(c.root, root.replace(QLatin1String("@TMP@"), tmp));
    QCOMPARE(c.train, withTmp(train, tmp));
    QCOMPARE(c.val, withTmp(val, tmp));
    QVERIFY(c.test.isEmpty());
    QCOMPARE(c.names, names);
    QCOMPARE(c.nc(), names.size());
    QCOMPARE(c.entries(Split::Train), c.train);
    QCOMPARE(c.entries(Split::Val), c.val);
}

void TestDatasetConfig::missingYamlNamesPath()
{
    QTemporaryDir tmpDir;
    const QString path = tmpDir.filePath(QStringLiteral("nowhere/data.yaml"));
    const auto result = DatasetConfig::load(path);
    QVERIFY(!result.isOk());
    QVERIFY2(result.error().contains(path), qPrintable(result.error()));
    QVERIFY(result.error().contains(QLatin1String("does not exist")));

    // A folder instead of a file is refused with its name, not read.
    const auto folder = DatasetConfig::load(tmpDir.path());
    QVERIFY(!folder.isOk());
    QVERIFY(folder.error().contains(QDir(tmpDir.path()).absolutePath()));
}

void TestDatasetConfig::testSplitIsOptional()
{
    QTemporaryDir tmpDir;
    const QString tmp = QDir(tmpDir.path()).canonicalPath();
    writeFile(tmp + "/images/train/a.jpg", "x");
    writeFile(tmp + "/images/val/b.jpg", "x");
    writeFile(tmp + "/images/test/c.jpg", "x");
    writeFile(tmp + "/data.yaml",
              "train: images/train\nval: images/val\ntest: images/test\nnames: [a]\n");
    auto withTest = DatasetConfig::load(tmp + "/data.yaml");
    QVERIFY2(withTest.isOk(), qPrintable(withTest.error()));
    QCOMPARE(withTest.value().test, QStringList{tmp + "/images/test"});
    QCOMPARE(withTest.value().entries(Split::Test), QStringList{tmp + "/images/test"});

    writeFile(tmp + "/data.yaml", "train: images/train\nval: images/val\ntest:\nnames: [a]\n");
    auto emptyTest = DatasetConfig::load(tmp + "/data.yaml");
    QVERIFY2(emptyTest.isOk(), qPrintable(emptyTest.error()));
    QVERIFY(emptyTest.value().test.isEmpty());
}

QTEST_GUILESS_MAIN(TestDatasetConfig)
#include "tst_datasetconfig.moc"
