#include "ui/runsetuppanel.h"

#include <QFile>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

using namespace yolodeck;

class TestRunSetupPanel : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_yaml;

private Q_SLOTS:
    void initTestCase()
    {
        m_yaml = m_dir.filePath(QStringLiteral("data.yaml"));
        QFile file(m_yaml);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("path: .\ntrain: images/train\nval: images/val\nnames: [a, b]\n");
    }

    void invalidValueNamesTheKey_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("expectedError");
        QTest::newRow("number expected") << QStringLiteral("lr0") << QStringLiteral("fast")
                                         << QStringLiteral("lr0=fast is not valid");
        QTest::newRow("out of range") << QStringLiteral("mosaic") << QStringLiteral("1.5")
                                      << QStringLiteral("mosaic=1.5 is not valid");
        QTest::newRow("choice") << QStringLiteral("optimizer") << QStringLiteral("Adam")
                                << QStringLiteral("optimizer=Adam is not valid: choose one of");
        QTest::newRow("boolean") << QStringLiteral("cos_lr") << QStringLiteral("maybe")
                                 << QStringLiteral("cos_lr=maybe is not valid");
        // Only validate() knows this one: it is still shown at the field it names.
        QTest::newRow("imgsz not a multiple of 32")
            << QStringLiteral("imgsz") << QStringLiteral("100")
            << QStringLiteral("imgsz=100 is not valid: it must be a multiple of 32");
        QTest::newRow("missing dataset file")
            << QStringLiteral("data") << QStringLiteral("/nonexistent/data.yaml")
            << QStringLiteral("data=/nonexistent/data.yaml is not valid");
    }

    void invalidValueNamesTheKey()
    {
        QFETCH(QString, key);
        QFETCH(QString, value);
        QFETCH(QString, expectedError);
        RunSetupPanel panel;
        panel.setText(QStringLiteral("data"), m_yaml);
        QVERIFY2(panel.isValid(), qPrintable(panel.config().error()));
        QSignalSpy validity(&panel, &RunSetupPanel::validityChanged);

        if (auto edit = qobject_cast<QLineEdit *>(panel.editorFor(key))) {
            // Advanced keys: typed character by character, checked as the user types.
            panel.setAdvancedVisible(true);
            edit->clear();
            QTest::keyClicks(edit, value);
        } else {
            panel.setText(key, value);
        }
        QVERIFY2(panel.errorFor(key).contains(expectedError), qPrintable(panel.errorFor(key)));
        QVERIFY(!panel.isValid());
        QVERIFY(!panel.config());
        QVERIFY(panel.config().error().contains(key));
        QCOMPARE(validity.count(), 1);
        QCOMPARE(validity.last().at(0).toBool(), false);
    }

    void validConfigIsProduced()
    {
        RunSetupPanel panel;
        QSignalSpy validity(&panel, &RunSetupPanel::validityChanged);
        panel.setText(QStringLiteral("data"), m_yaml);
        panel.setText(QStringLiteral("model"), QStringLiteral("s"));
        panel.setText(QStringLiteral("epochs"), QStringLiteral("42"));
        panel.setText(QStringLiteral("imgsz"), QStringLiteral("320"));
        panel.setText(QStringLiteral("batch"), QStringLiteral("8"));
        panel.setText(QStringLiteral("device"), QStringLiteral("cpu"));
        panel.setText(QStringLiteral("save_period"), QStringLiteral("5"));
        panel.setText(QStringLiteral("name"), QStringLiteral("exp"));
        auto lr0 = qobject_cast<QLineEdit *>(panel.editorFor(QStringLiteral("lr0")));
        QVERIFY(lr0);
        QTest::keyClicks(lr0, QStringLiteral("0.02"));
        panel.setText(QStringLiteral("cache"), QStringLiteral("ram"));

        const Result<TrainConfig> config = panel.config();
        QVERIFY2(config, qPrintable(config.error()));
        QCOMPARE(config.value().data, m_yaml);
        QCOMPARE(config.value().model, QStringLiteral("s"));
        QCOMPARE(config.value().epochs, 42);
        QCOMPARE(config.value().imgsz, 320);
        QCOMPARE(config.value().batch, 8);
        QCOMPARE(config.value().device, QStringLiteral("cpu"));
        QCOMPARE(config.value().savePeriod, 5);
        QCOMPARE(config.value().name, QStringLiteral("exp"));
        QCOMPARE(config.value().lr0, 0.02);
        QCOMPARE(config.value().cache, QStringLiteral("ram"));
        // Untouched advanced keys keep TrainConfig's defaults.
        QCOMPARE(config.value().momentum, TrainConfig().momentum);
        QCOMPARE(config.value().workers, TrainConfig().workers);
        QVERIFY(panel.isValid());
        QCOMPARE(validity.last().at(0).toBool(), true);
        for (const QString &key : TrainConfig::keys())
            QVERIFY2(panel.errorFor(key).isEmpty(), qPrintable(key));
    }

    void errorClearsWhenFixed()
    {
        RunSetupPanel panel;
        panel.setText(QStringLiteral("data"), m_yaml);
        panel.setText(QStringLiteral("imgsz"), QStringLiteral("100"));
        QVERIFY(!panel.errorFor(QStringLiteral("imgsz")).isEmpty());
        panel.setText(QStringLiteral("imgsz"), QStringLiteral("128"));
        QVERIFY(panel.errorFor(QStringLiteral("imgsz")).isEmpty());
        QVERIFY(panel.isValid());
    }

    void setConfigRoundTrips()
    {
        TrainConfig c;
        c.data = m_yaml;
        c.epochs = 7;
        c.hsvH = 0.5;
        c.optimizer = QStringLiteral("AdamW");
        RunSetupPanel panel;
        panel.setConfig(c);
        const Result<TrainConfig> back = panel.config();
        QVERIFY2(back, qPrintable(back.error()));
        QCOMPARE(back.value().toJson(), c.toJson());
    }

    void demoDatasetNeedsNoFile()
    {
        RunSetupPanel panel;
        QVERIFY(!panel.isValid()); // no dataset chosen yet
        QVERIFY(panel.errorFor(QStringLiteral("data")).contains(QLatin1String("data=")));
        panel.selectDemo();
        QVERIFY(panel.isDemoSelected());
        QVERIFY2(panel.isValid(), qPrintable(panel.config().error()));
        QCOMPARE(panel.config().value().data, RunSetupPanel::demoDatasetPath());
        QCOMPARE(panel.config().value().model, QStringLiteral("tiny"));
        // The demo preset: settings whose mAP climbs within a minute on a laptop CPU.
        QCOMPARE(panel.config().value().imgsz, 64);
        QCOMPARE(panel.config().value().batch, 8);
        QCOMPARE(panel.config().value().nbs, 8);
        QCOMPARE(panel.config().value().warmupEpochs, 0.0);
        QCOMPARE(panel.config().value().mosaic, 0.0);
    }

    void recentDatasets()
    {
        RunSetupPanel panel;
        panel.setRecentDatasets({m_yaml, QStringLiteral("/elsewhere/data.yaml")});
        QCOMPARE(panel.recentDatasets().size(), 2);
        panel.setText(QStringLiteral("data"), m_yaml);
        QCOMPARE(panel.text(QStringLiteral("data")), m_yaml);
        QVERIFY(panel.isValid());
    }
};

QTEST_MAIN(TestRunSetupPanel)
#include "tst_runsetuppanel.moc"
