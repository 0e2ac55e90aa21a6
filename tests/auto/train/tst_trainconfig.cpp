#include "core/train/trainconfig.h"

#include <QtTest>

using namespace yolodeck;

class TestTrainConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void defaultsAreUltralytics();
    void parsesArguments();
    void rejectsBadInput_data();
    void rejectsBadInput();
    void validateChecksCombinations_data();
    void validateChecksCombinations();
    void jsonRoundTrip();
    void yamlListsEveryKey();
};

void TestTrainConfig::defaultsAreUltralytics()
{
    const TrainConfig c;
    // REFERENCE.md "Default hyperparameters (train)"
    QCOMPARE(c.epochs, 100);
    QCOMPARE(c.patience, 100);
    QCOMPARE(c.batch, 16);
    QCOMPARE(c.imgsz, 640);
    QCOMPARE(c.savePeriod, -1);
    QCOMPARE(c.optimizer, QStringLiteral("auto"));
    QCOMPARE(c.closeMosaic, 10);
    QCOMPARE(c.lr0, 0.01);
    QCOMPARE(c.lrf, 0.01);
    QCOMPARE(c.momentum, 0.937);
    QCOMPARE(c.weightDecay, 0.0005);
    QCOMPARE(c.warmupEpochs, 3.0);
    QCOMPARE(c.warmupMomentum, 0.8);
    QCOMPARE(c.warmupBiasLr, 0.1);
    QCOMPARE(c.box, 7.5);
    QCOMPARE(c.cls, 0.5);
    QCOMPARE(c.dfl, 1.5);
    QCOMPARE(c.nbs, 64);
    QCOMPARE(c.hsvH, 0.015);
    QCOMPARE(c.hsvS, 0.7);
    QCOMPARE(c.hsvV, 0.4);
    QCOMPARE(c.translate, 0.1);
    QCOMPARE(c.scale, 0.5);
    QCOMPARE(c.fliplr, 0.5);
    QCOMPARE(c.mosaic, 1.0);
    QCOMPARE(c.conf, 0.001);
    QCOMPARE(c.iou, 0.7);
    QCOMPARE(c.maxDet, 300);
    QVERIFY(c.deterministic);
    QVERIFY(c.amp);
    QCOMPARE(c.fitnessMap50, 0.1);
    QCOMPARE(c.fitnessMap5095, 0.9);
}

void TestTrainConfig::parsesArguments()
{
    const Result<TrainConfig> r = TrainConfig::fromArguments(
        {QStringLiteral("data=a/b.yaml"), QStringLiteral("epochs=5"), QStringLiteral("cos_lr=True"),
         QStringLiteral("optimizer=adamw"), QStringLiteral("lr0=0.002"),
         QStringLiteral("cache=True"), QStringLiteral("device=cuda:1")});
    QVERIFY2(r.isOk(), qPrintable(r.error()));
    QCOMPARE(r.value().data, QStringLiteral("a/b.yaml"));
    QCOMPARE(r.value().epochs, 5);
    QVERIFY(r.value().cosLr);
    QCOMPARE(r.value().optimizer, QStringLiteral("AdamW")); // normalised to the choice's spelling
    QCOMPARE(r.value().lr0, 0.002);
    QCOMPARE(r.value().cache, QStringLiteral("ram"));
    QCOMPARE(r.value().device, QStringLiteral("cuda:1"));
    QVERIFY(r.value().validate().isOk());
}

void TestTrainConfig::rejectsBadInput_data()
{
    QTest::addColumn<QString>("argument");
    QTest::addColumn<QStringList>("mustMention");
    QTest::newRow("unknown key") << QStringLiteral("epoch=3")
                                 << QStringList{QStringLiteral("'epoch'"), QStringLiteral("epochs"),
                                                QStringLiteral("imgsz"),
                                                QStringLiteral("(did you mean 'epochs'?)")};
    QTest::newRow("mistyped key") << QStringLiteral("modle=n")
                                  << QStringList{QStringLiteral("unknown key 'modle' (did you "
                                                                "mean 'model'?)")};
    QTest::newRow("not a number") << QStringLiteral("epochs=many")
                                  << QStringList{QStringLiteral("epochs"),
                                                 QStringLiteral("whole number")};
    QTest::newRow("out of range") << QStringLiteral("batch=0")
                                  << QStringList{QStringLiteral("batch"),
                                                 QStringLiteral("1..4096")};
    QTest::newRow("bad bool") << QStringLiteral("cos_lr=maybe")
                              << QStringList{QStringLiteral("cos_lr"),
                                             QStringLiteral("true or false")};
    QTest::newRow("bad choice") << QStringLiteral("optimizer=Lion")
                                << QStringList{QStringLiteral("optimizer"),
                                               QStringLiteral("auto, SGD, AdamW")};
    QTest::newRow("nan") << QStringLiteral("lr0=nan") << QStringList{QStringLiteral("lr0")};
    QTest::newRow("no equals") << QStringLiteral("epochs")
                               << QStringList{QStringLiteral("key=value")};
}

void TestTrainConfig::rejectsBadInput()
{
    QFETCH(QString, argument);
    QFETCH(QStringList, mustMention);
    const Result<TrainConfig> r = TrainConfig::fromArguments({argument});
    QVERIFY(!r.isOk());
    for (const QString &word : mustMention)
        QVERIFY2(r.error().contains(word), qPrintable(r.error()));
}

void TestTrainConfig::validateChecksCombinations_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("mustMention");
    QTest::newRow("data missing") << QStringList{} << QStringLiteral("data=");
    QTest::newRow("imgsz not a stride multiple")
        << QStringList{QStringLiteral("data=x.yaml"), QStringLiteral("imgsz=100")}
        << QStringLiteral("multiple of 32");
    QTest::newRow("bad device") << QStringList{QStringLiteral("data=x.yaml"),
                                               QStringLiteral("device=gpu")}
                                << QStringLiteral("device=gpu");
    QTest::newRow("bad name") << QStringList{QStringLiteral("data=x.yaml"),
                                             QStringLiteral("name=a/b")}
                              << QStringLiteral("name=a/b");
}

void TestTrainConfig::validateChecksCombinations()
{
    QFETCH(QStringList, arguments);
    QFETCH(QString, mustMention);
    const Result<TrainConfig> r = TrainConfig::fromArguments(arguments);
    QVERIFY(r.isOk());
    const Status s = r.value().validate();
    QVERIFY(!s.isOk());
    QVERIFY2(s.error().contains(mustMention), qPrintable(s.error()));
}

void TestTrainConfig::jsonRoundTrip()
{
    TrainConfig c;
    QVERIFY(c.set(QStringLiteral("epochs"), QStringLiteral("7")).isOk());
    QVERIFY(c.set(QStringLiteral("hsv_h"), QStringLiteral("0.02")).isOk());
    QVERIFY(c.set(QStringLiteral("name"), QStringLiteral("exp")).isOk());
    QVERIFY(c.set(QStringLiteral("amp"), QStringLiteral("false")).isOk());
    const TrainConfig back = TrainConfig::fromJson(c.toJson()).value();
    QCOMPARE(back.items(), c.items());
}

void TestTrainConfig::yamlListsEveryKey()
{
    const QString yaml = TrainConfig().toYaml();
    for (const QString &key : TrainConfig::keys())
        QVERIFY2(yaml.contains(QLatin1Char('\n') + key + QStringLiteral(": ")) ||
                     yaml.startsWith(key + QStringLiteral(": ")),
                 qPrintable(key));
    QVERIFY(yaml.contains(QStringLiteral("data: ''"))); // empty strings are quoted
}

QTEST_GUILESS_MAIN(TestTrainConfig)
#include "tst_trainconfig.moc"
