#include "ui/runsetup/runsetuppanel.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
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
        QTest::newRow("keep below zero") << QStringLiteral("keep") << QStringLiteral("-1")
                                         << QStringLiteral("keep=-1 is not valid");
        QTest::newRow("tensorboard not a boolean")
            << QStringLiteral("tensorboard") << QStringLiteral("maybe")
            << QStringLiteral("tensorboard=maybe is not valid: expected true or false");
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
        c.nproc = 2; // the panel's one process is nproc=1 (see processesFieldSetsNproc)
        c.distTimeout = 60;
        RunSetupPanel panel;
        panel.setConfig(c);
        const Result<TrainConfig> back = panel.config();
        QVERIFY2(back, qPrintable(back.error()));
        QCOMPARE(back.value().toJson(), c.toJson());
    }

    void processesFieldSetsNproc()
    {
        RunSetupPanel panel;
        panel.setText(QStringLiteral("data"), m_yaml);
        // In the main section, beside the device: a spin box, shown with Advanced collapsed, and
        // the only editor of nproc (the Advanced section does not list it a second time).
        auto processes = qobject_cast<QSpinBox *>(panel.editorFor(QStringLiteral("nproc")));
        QVERIFY(processes);
        QVERIFY(!panel.isAdvancedVisible());
        QVERIFY(processes->isVisibleTo(&panel));
        QCOMPARE(panel.findChildren<QWidget *>(QStringLiteral("nproc")).size(), 1);
        QCOMPARE(processes->minimum(), 1);
        QVERIFY(processes->toolTip().contains(QLatin1String("divisible")));
        QVERIFY(processes->toolTip().contains(QLatin1String("cores/N")));
        // dist_timeout has no field of its own: it stays in Advanced, typed as key=value.
        QVERIFY(qobject_cast<QLineEdit *>(panel.editorFor(QStringLiteral("dist_timeout"))));

        // One process by default, said explicitly so that a window inside a cluster allocation
        // does not join the allocation's job.
        QCOMPARE(processes->value(), 1);
        QVERIFY2(panel.config(), qPrintable(panel.config().error()));
        QCOMPARE(panel.config().value().nproc, 1);

        QSignalSpy edited(&panel, &RunSetupPanel::configEdited);
        processes->selectAll();
        QTest::keyClicks(processes, QStringLiteral("4"));
        QCOMPARE(edited.count(), 1);
        QVERIFY2(panel.isValid(), qPrintable(panel.config().error())); // batch 16 splits in 4
        QCOMPARE(panel.text(QStringLiteral("nproc")), QStringLiteral("4"));
        QCOMPARE(panel.config().value().nproc, 4);

        TrainConfig c;
        c.data = m_yaml;
        c.nproc = 8;
        panel.setConfig(c);
        QCOMPARE(processes->value(), 8);
        c.nproc = 0; // "not set" in a config from elsewhere: one process here
        panel.setConfig(c);
        QCOMPARE(processes->value(), 1);
    }

    void batchMustSplitOverTheProcesses_data()
    {
        QTest::addColumn<int>("batch");
        QTest::addColumn<int>("processes");
        QTest::addColumn<QString>("expectedError"); // empty: valid
        QTest::newRow("16 over 2") << 16 << 2 << QString();
        QTest::newRow("18 over 3") << 18 << 3 << QString();
        QTest::newRow("one process takes any batch") << 15 << 1 << QString();
        QTest::newRow("16 over 3")
            << 16 << 3
            << QStringLiteral("batch=16 is not valid with nproc=3: the global batch is split "
                              "evenly over the processes, so it must be divisible by 3 (try "
                              "batch=15 or 18, or another number of processes).");
        QTest::newRow("fewer images than processes")
            << 2 << 4
            << QStringLiteral("batch=2 is not valid with nproc=4: each process needs at least "
                              "one image per step (try batch=4 or fewer processes).");
    }

    void batchMustSplitOverTheProcesses()
    {
        QFETCH(int, batch);
        QFETCH(int, processes);
        QFETCH(QString, expectedError);
        RunSetupPanel panel;
        panel.setText(QStringLiteral("data"), m_yaml);
        QVERIFY(panel.isValid());
        QSignalSpy validity(&panel, &RunSetupPanel::validityChanged);
        panel.setText(QStringLiteral("batch"), QString::number(batch));
        panel.setText(QStringLiteral("nproc"), QString::number(processes));

        QCOMPARE(panel.errorFor(QStringLiteral("nproc")), expectedError);
        QCOMPARE(panel.isValid(), expectedError.isEmpty());
        const Result<TrainConfig> config = panel.config();
        if (expectedError.isEmpty()) {
            QVERIFY2(config, qPrintable(config.error()));
            QCOMPARE(config.value().batch, batch);
            QCOMPARE(config.value().nproc, processes);
            QCOMPARE(validity.count(), 0);
            return;
        }
        // Start stays disabled: the window enables it from isValid() and validityChanged.
        QCOMPARE(validity.count(), 1);
        QCOMPARE(validity.last().at(0).toBool(), false);
        QVERIFY(!config);
        QCOMPARE(config.error(), expectedError);
        QVERIFY(panel.errorFor(QStringLiteral("batch")).isEmpty()); // one message, one place

        // Fixing either of the two clears it: here the batch, to the next multiple.
        panel.setText(QStringLiteral("batch"),
                      QString::number((batch / processes + 1) * processes));
        QVERIFY(panel.errorFor(QStringLiteral("nproc")).isEmpty());
        QVERIFY2(panel.isValid(), qPrintable(panel.config().error()));
        QCOMPARE(validity.count(), 2);
        QCOMPARE(validity.last().at(0).toBool(), true);
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

    // A newcomer finds the runs under their documents folder, whatever the window's working
    // directory: <Documents>/YoloDeck/runs, absolute and shown in full. The CLI keeps
    // Ultralytics' relative runs/detect.
    void defaultProjectIsAbsoluteUnderDocuments()
    {
        // A home whose documents folder has its own name (xdg-user-dirs, as on a German desktop).
        QTemporaryDir home;
        QVERIFY(QDir(home.path()).mkpath(QStringLiteral(".config")));
        QFile dirs(home.filePath(QStringLiteral(".config/user-dirs.dirs")));
        QVERIFY(dirs.open(QIODevice::WriteOnly));
        dirs.write("XDG_DOCUMENTS_DIR=\"$HOME/Dokumente\"\n");
        dirs.close();
        const QByteArray oldHome = qgetenv("HOME");
        const QByteArray oldConfig = qgetenv("XDG_CONFIG_HOME");
        qputenv("HOME", QFile::encodeName(home.path()));
        qunsetenv("XDG_CONFIG_HOME");
        const QString expected = home.filePath(QStringLiteral("Dokumente/YoloDeck/runs"));
        const QString project = RunSetupPanel::defaultProjectFolder();
        RunSetupPanel panel;
        const QString shown = panel.text(QStringLiteral("project"));
        panel.setText(QStringLiteral("data"), m_yaml);
        const Result<TrainConfig> config = panel.config();
        qputenv("HOME", oldHome);
        if (oldConfig.isNull())
            qunsetenv("XDG_CONFIG_HOME");
        else
            qputenv("XDG_CONFIG_HOME", oldConfig);

        QCOMPARE(project, expected);
        QVERIFY(QDir::isAbsolutePath(project));
        auto edit = qobject_cast<QLineEdit *>(panel.editorFor(QStringLiteral("project")));
        QVERIFY(edit);
        QCOMPARE(edit->text(), expected);
        QCOMPARE(shown, expected);
        QVERIFY2(config, qPrintable(config.error()));
        QCOMPARE(config.value().project, expected);
        QCOMPARE(TrainConfig().project, QStringLiteral("runs/detect"));
        // Nothing is created before a run starts.
        QVERIFY(!QFileInfo::exists(home.filePath(QStringLiteral("Dokumente"))));
    }

    // keep= and tensorboard= have no field of their own: they are in Advanced, typed as on the
    // command line, with the default as placeholder and the CLI's help as tooltip.
    void keepAndTensorboardAreAdvancedKeys()
    {
        RunSetupPanel panel;
        panel.setText(QStringLiteral("data"), m_yaml);
        auto keep = qobject_cast<QLineEdit *>(panel.editorFor(QStringLiteral("keep")));
        auto tensorboard =
            qobject_cast<QLineEdit *>(panel.editorFor(QStringLiteral("tensorboard")));
        QVERIFY(keep);
        QVERIFY(tensorboard);
        QVERIFY(!keep->isVisibleTo(&panel)); // Advanced is collapsed
        panel.setAdvancedVisible(true);
        QVERIFY(keep->isVisibleTo(&panel));
        QVERIFY(tensorboard->isVisibleTo(&panel));
        QCOMPARE(keep->placeholderText(), QStringLiteral("0"));
        QCOMPARE(tensorboard->placeholderText(), QStringLiteral("true"));
        QVERIFY2(keep->toolTip().startsWith(QLatin1String("keep=: keep only the newest N")),
                 qPrintable(keep->toolTip()));
        QVERIFY2(tensorboard->toolTip().contains(QLatin1String("TensorBoard")),
                 qPrintable(tensorboard->toolTip()));
        QCOMPARE(panel.config().value().keep, 0);
        QCOMPARE(panel.config().value().tensorboard, true);

        QTest::keyClicks(keep, QStringLiteral("3"));
        QTest::keyClicks(tensorboard, QStringLiteral("false"));
        QVERIFY2(panel.isValid(), qPrintable(panel.config().error()));
        QCOMPARE(panel.config().value().keep, 3);
        QCOMPARE(panel.config().value().tensorboard, false);
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
