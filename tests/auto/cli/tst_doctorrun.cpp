#include "core/data/synthdataset.h"
#include "core/monitor/runfigures.h"
#include "tests/auto/cli/clirun.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sched.h>

using namespace yolodeck;
using namespace yolodeck::testing;

// The oversized-image case of a slow run, end to end: yolodeck-cli trains a tiny model at imgsz 64
// on 3000 x 3000 JPEGs with more loader workers than cores, records its figures in events.jsonl,
// sums them up at the end of the run, and `doctor run=` reads them back. Both must say that
// decoding is CPU-bound and give the resize command, never "more workers".
class TestDoctorRun : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    static CliRun cli(const QStringList &args) { return runCliInProcess(args); }

private Q_SLOTS:
    void oversizedImagesGetResizeAdviceNotMoreWorkers()
    {
        // Two cores whatever the machine: the trainer's loader then saturates them, as on the
        // issue's laptop, and the core count the advice quotes is known.
        cpu_set_t allowed;
        CPU_ZERO(&allowed);
        QCOMPARE(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
        cpu_set_t two;
        CPU_ZERO(&two);
        for (int c = 0, taken = 0; c < CPU_SETSIZE && taken < 2; ++c) {
            if (CPU_ISSET(c, &allowed)) {
                CPU_SET(c, &two);
                ++taken;
            }
        }
        QCOMPARE(sched_setaffinity(0, sizeof(two), &two), 0);
        const int cores = CPU_COUNT(&two);

        SynthOptions synth;
        synth.dir = m_dir.filePath(QStringLiteral("big"));
        synth.train = 16;
        synth.val = 2;
        synth.imgsz = 3000;
        synth.classes = 1;
        QVERIFY(writeSynthDataset(synth).isOk());
        const QString yaml = synth.dir + QStringLiteral("/data.yaml");

        const CliRun train = cli(
            {QStringLiteral("train"), QStringLiteral("data=") + yaml, QStringLiteral("model=tiny"),
             QStringLiteral("imgsz=64"), QStringLiteral("batch=4"), QStringLiteral("epochs=2"),
             QStringLiteral("workers=4"), QStringLiteral("threads=1"), QStringLiteral("val=false"),
             QStringLiteral("project=") + m_dir.filePath(QStringLiteral("runs")),
             QStringLiteral("name=big")});
        QVERIFY2(train.code == 0, qPrintable(train.out + train.err));
        const QString runDir = m_dir.filePath(QStringLiteral("runs/big"));

        // What the trainer recorded for the diagnosis.
        const RunFigures figures = readRunFigures(runDir + QStringLiteral("/events.jsonl"));
        QVERIFY(figures.started);
        QVERIFY(figures.finished);
        QCOMPARE(figures.session.cores, cores);
        QCOMPARE(figures.session.workers, 4);
        QCOMPARE(figures.session.imgsz, 64);
        QCOMPARE(figures.session.medianImageSide, 3000);
        QCOMPARE(figures.session.trainImages, 16);
        QVERIFY(figures.session.cacheRamBytes > 0);
        QVERIFY2(figures.session.decodeMsPerImage > figures.session.readMsPerImage,
                 qPrintable(QStringLiteral("read %1 ms, decode %2 ms")
                                .arg(figures.session.readMsPerImage)
                                .arg(figures.session.decodeMsPerImage)));
        QVERIFY(figures.processCpuPercent.has_value());
        QVERIFY(figures.residentBytes.value_or(0) > 0);
        QVERIFY2(figures.session.dataWaitShare > 0.5,
                 qPrintable(QString::number(figures.session.dataWaitShare)));

        // The end-of-run summary uses the window's rules.
        const QString log = train.out + train.err;
        QVERIFY2(log.contains(QStringLiteral("of the step time")), qPrintable(log));
        QVERIFY2(log.contains(QStringLiteral("yolodeck-cli resize data=%1 imgsz=64").arg(yaml)),
                 qPrintable(log));
        QVERIFY2(!log.contains(QStringLiteral("Try more loader workers")), qPrintable(log));

        // And so does the doctor, reading the folder afterwards.
        const CliRun doctor = cli({QStringLiteral("doctor"), QStringLiteral("run=") + runDir});
        QCOMPARE(doctor.code, 1);
        const QString text = doctor.out;
        for (const QString &word :
             {QStringLiteral("ended"), QStringLiteral("cannot help"),
              QStringLiteral("median 3000 px"), QStringLiteral("47× imgsz=64"),
              QStringLiteral("yolodeck-cli resize data=%1 imgsz=64").arg(yaml),
              QStringLiteral("workers=4 on a machine with %1 CPU cores").arg(cores)})
            QVERIFY2(text.contains(word), qPrintable(word + QStringLiteral(" not in:\n") + text));
        QVERIFY2(!text.contains(QStringLiteral("Try more loader workers")), qPrintable(text));
        QVERIFY2(!text.contains(QStringLiteral("cores are idle")), qPrintable(text));
    }

    void doctorRunRefusesWhatIsNotARun()
    {
        const CliRun missing =
            cli({QStringLiteral("doctor"),
                 QStringLiteral("run=") + m_dir.filePath(QStringLiteral("nothing"))});
        QCOMPARE(missing.code, 2);
        QVERIFY2(missing.err.contains(QStringLiteral("has no events.jsonl")),
                 qPrintable(missing.err));
        const QString empty = m_dir.filePath(QStringLiteral("empty"));
        QVERIFY(QDir().mkpath(empty));
        QFile events(empty + QStringLiteral("/events.jsonl"));
        QVERIFY(events.open(QIODevice::WriteOnly));
        events.write("{\"type\":\"message\"}\n");
        events.close();
        const CliRun noStart = cli({QStringLiteral("doctor"), QStringLiteral("run=") + empty});
        QCOMPARE(noStart.code, 2);
        QVERIFY2(noStart.err.contains(QStringLiteral("no run_start line")),
                 qPrintable(noStart.err));
        const CliRun mixed = cli({QStringLiteral("doctor"), QStringLiteral("run=") + empty,
                                  QStringLiteral("threads=2")});
        QCOMPARE(mixed.code, 2);
    }
};

QTEST_GUILESS_MAIN(TestDoctorRun)
#include "tst_doctorrun.moc"
