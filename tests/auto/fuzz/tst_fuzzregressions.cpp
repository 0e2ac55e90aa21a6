// Every input a fuzzer ever crashed on (tests/fuzz/regressions/<driver>/) and every deliberately
// broken seed of the fuzz corpora (tests/fuzz/corpus/<driver>/bad-*) is fed to the parser that its
// driver exercises: each must be refused with a message that names the file and the problem. Every
// other seed must be accepted, so that a corpus never silently stops reaching deep into its
// parser.

#include "core/checkpoint/checkpointfile.h"
#include "core/data/dataset.h"
#include "core/data/datasetconfig.h"
#include "core/eval/predictionfiles.h"
#include "core/interop/picklereader.h"
#include "core/interop/ultralyticscheckpoint.h"
#include "ui/runreplay.h"

#include "tests/fuzz/fuzzinput.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

using namespace yolodeck;

namespace {

const QString kFuzzDir = QStringLiteral(YOLODECK_SOURCE_DIR "/tests/fuzz");

// What one parser said about one input: empty when it was accepted. `file` is the path or name the
// message must mention (empty for the pickle reader, which reads bytes and names byte offsets).
struct Verdict
{
    QString message;
    QString file;
};

// The entry points of the drivers in tests/fuzz/, with the same scratch files around them.
class Parsers
{
public:
    explicit Parsers(const QString &scratch)
        : m_dir(scratch)
    {}

    Verdict run(const QString &driver, const QString &inputName, const QByteArray &input) const
    {
        if (driver == QLatin1String("datasetconfig"))
            return datasetConfig(input);
        if (driver == QLatin1String("labels"))
            return labels(input);
        if (driver == QLatin1String("predictions"))
            return predictions(input);
        if (driver == QLatin1String("runlog"))
            return runLog(input);
        if (driver == QLatin1String("pickle"))
            return pickleStream(input);
        if (driver == QLatin1String("ultralytics"))
            return ultralytics(inputName, input);
        if (driver == QLatin1String("checkpoint"))
            return checkpoint(input);
        qFatal("no parser for fuzz driver %s", qPrintable(driver));
    }

private:
    QString path(const QString &relative) const
    {
        const QString p = m_dir.filePath(relative);
        QDir().mkpath(QFileInfo(p).absolutePath());
        return p;
    }

    void write(const QString &p, const QByteArray &bytes) const
    {
        fuzz::writeFile(p, bytes.constData(), size_t(bytes.size()));
    }

    // fuzz_datasetconfig: data.yaml in a folder with images/train, images/val and train.txt.
    Verdict datasetConfig(const QByteArray &input) const
    {
        const QString yaml = path(QStringLiteral("dataset/data.yaml"));
        QDir root = QFileInfo(yaml).absoluteDir();
        root.mkpath(QStringLiteral("images/train"));
        root.mkpath(QStringLiteral("images/val"));
        write(root.filePath(QStringLiteral("train.txt")), "./images/train/a.jpg\n");
        write(yaml, input);
        const Result<DatasetConfig> config = DatasetConfig::load(yaml);
        return {config ? QString() : config.error(), yaml};
    }

    // fuzz_labels: the label file of the only image of a three-class dataset.
    Verdict labels(const QByteArray &input) const
    {
        const QString image = path(QStringLiteral("labels/images/train/a.png"));
        if (!QFileInfo::exists(image))
            cv::imwrite(image.toStdString(), cv::Mat(16, 16, CV_8UC3, cv::Scalar(40, 80, 120)));
        const QString label = Dataset::labelPathFor(image);
        QDir().mkpath(QFileInfo(label).absolutePath());
        write(label, input);
        DatasetConfig config;
        config.root = m_dir.filePath(QStringLiteral("labels"));
        config.yamlPath = config.root + QStringLiteral("/data.yaml");
        config.train = QStringList{QFileInfo(image).absolutePath()};
        config.names = QStringList{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")};
        const Result<Dataset> dataset = Dataset::scan(config, Split::Train);
        return {dataset ? QString() : dataset.error(), label};
    }

    // fuzz_predictions: the prediction file of one 640x480 image, three classes.
    Verdict predictions(const QByteArray &input) const
    {
        const QString dir = QFileInfo(path(QStringLiteral("predictions/a.txt"))).absolutePath();
        const QString file = predictionFilePath(dir, QStringLiteral("/data/images/val/a.jpg"));
        write(file, input);
        ScoredImage image;
        image.imagePath = QStringLiteral("/data/images/val/a.jpg");
        image.width = 640;
        image.height = 480;
        std::vector<PredictionIssue> issues;
        const Result<DetectionMetrics> metrics = scorePredictionFolder(
            {image}, dir, {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}, &issues);
        if (!metrics)
            return {metrics.error(), file};
        QStringList messages;
        for (const PredictionIssue &issue : issues)
            messages << QStringLiteral("%1: %2").arg(issue.file, issue.reason);
        return {messages.join(QLatin1Char('\n')), file};
    }

    // fuzz_runlog: a run folder opened as File -> Open Run opens it.
    Verdict runLog(const QByteArray &input) const
    {
        const QString runDir = QFileInfo(path(QStringLiteral("run/results.csv"))).absolutePath();
        fuzz::writeRunFolder(runDir, fuzz::splitRunFolderInput(input));
        return {loadRunReplay(runDir).error, runDir};
    }

    Verdict pickleStream(const QByteArray &input) const
    {
        const Result<pickle::Document> doc =
            pickle::parse(std::string_view(input.constData(), size_t(input.size())));
        return {doc ? QString() : doc.error(), QString()};
    }

    Verdict ultralytics(const QString &name, const QByteArray &input) const
    {
        const Result<ForeignCheckpoint> c =
            loadUltralyticsCheckpointFromBytes(input.toStdString(), name);
        return {c ? QString() : c.error(), name};
    }

    Verdict checkpoint(const QByteArray &input) const
    {
        const QString file = path(QStringLiteral("checkpoint/fuzzed.pt"));
        write(file, input);
        const Result<CheckpointData> c = loadCheckpoint(file);
        return {c ? QString() : c.error(), file};
    }

    QDir m_dir;
};

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// "<driver>/<file>" of every file under `base` whose name passes `keep`.
QStringList inputsUnder(const QString &base, bool (*keep)(const QString &name))
{
    QStringList out;
    QDirIterator it(base, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QFileInfo file(it.next());
        if (keep(file.fileName()))
            out << QDir(base).relativeFilePath(file.filePath());
    }
    out.sort();
    return out;
}

bool isBrokenSeed(const QString &name)
{
    return name.startsWith(QLatin1String("bad-"));
}

bool isAcceptedSeed(const QString &name)
{
    return !isBrokenSeed(name);
}

bool isAnyFile(const QString &)
{
    return true;
}

// Each broken input and the problem its message must name. A new file under regressions/ or a
// new bad-* seed needs a row here (everyBrokenInputHasARow checks).
const QList<QPair<QString, QString>> &expectedProblems()
{
    static const QList<QPair<QString, QString>> rows{
        // data.yaml
        {QStringLiteral("corpus/datasetconfig/bad-missing-folder.yaml"),
         QStringLiteral("'val' points to")},
        {QStringLiteral("corpus/datasetconfig/bad-missing-val.yaml"),
         QStringLiteral("missing required key 'val'")},
        {QStringLiteral("corpus/datasetconfig/bad-names-gap.yaml"),
         QStringLiteral("'names' ids must be 0..1 without gaps; id 1 is missing")},
        {QStringLiteral("corpus/datasetconfig/bad-nc-mismatch.yaml"),
         QStringLiteral("'nc' is 3 but 'names' has 2 entries")},
        {QStringLiteral("corpus/datasetconfig/bad-not-a-map.yaml"),
         QStringLiteral("is not a data.yaml")},
        {QStringLiteral("corpus/datasetconfig/bad-root.yaml"),
         QStringLiteral("dataset root 'path' /nonexistent/dataset is not a folder")},
        {QStringLiteral("corpus/datasetconfig/bad-syntax.yaml"),
         QStringLiteral("is not valid YAML (line 2")},
        {QStringLiteral("corpus/datasetconfig/bad-types.yaml"),
         QStringLiteral("'val' must be a path or a list of paths")},
        // Found by fuzz_datasetconfig: a 48-byte data.yaml whose `nc: 100000000` (no names) made
        // the reader invent class names until the fuzzer's 10 s timeout.
        {QStringLiteral("regressions/datasetconfig/timeout-nc-huge.yaml"),
         QStringLiteral("'nc' is 100000000, more classes than YoloDeck trains (at most 100000)")},
        // label files
        {QStringLiteral("corpus/labels/bad-class-range.txt"),
         QStringLiteral("line 1: class id 5 exceeds the dataset's 3 classes")},
        {QStringLiteral("corpus/labels/bad-fractional-class.txt"),
         QStringLiteral("line 1: class id 1.5 is not an integer")},
        {QStringLiteral("corpus/labels/bad-nan.txt"),
         QStringLiteral("line 1: 'nan' is not a number")},
        {QStringLiteral("corpus/labels/bad-negative-class.txt"),
         QStringLiteral("line 1: negative class id -1")},
        {QStringLiteral("corpus/labels/bad-not-normalised.txt"),
         QStringLiteral("line 1: coordinate 1.2 is outside [0, 1]")},
        {QStringLiteral("corpus/labels/bad-short-line.txt"),
         QStringLiteral("line 2 has 4 columns, expected 5")},
        {QStringLiteral("corpus/labels/bad-six-columns.txt"),
         QStringLiteral("line 1 has 6 columns, expected 5")},
        // prediction files
        {QStringLiteral("corpus/predictions/bad-mixed.txt"),
         QStringLiteral("line 2: expected 6 numbers (cls cx cy w h conf), found 5 (2 malformed "
                        "lines skipped)")},
        {QStringLiteral("corpus/predictions/bad-numbers.txt"),
         QStringLiteral("line 1: \"inf\" is not a number (3 malformed lines skipped)")},
        {QStringLiteral("corpus/predictions/bad-ranges.txt"),
         QStringLiteral("line 1: confidence 1.5 is outside [0, 1] (3 malformed lines skipped)")},
        // run folders
        {QStringLiteral("corpus/runlog/bad-malformed-rows.txt"),
         QStringLiteral("results.csv:3: malformed row: 'oops' in column time is not a number")},
        {QStringLiteral("corpus/runlog/bad-no-epoch-column.txt"),
         QStringLiteral("not a results.csv (no epoch column)")},
        // Found by fuzz_runlog: results.csv epoch -21474836490 was converted to int (undefined
        // behaviour, UBSan) in EpochRecord::fromCsvRow.
        // LibTorch's TorchScript parser crashed (SEGV) on an altered class line; YoloDeck now
        // refuses the archive before LibTorch compiles it.
        {QStringLiteral("regressions/checkpoint/segv-altered-class-code.pt"),
         QStringLiteral("altered TorchScript code in code/__torch__/yolodeck.py")},
        {QStringLiteral("regressions/runlog/ub-epoch-out-of-int-range.txt"),
         QStringLiteral("results.csv:2: malformed row")},
        // The same through Ultralytics' results.csv reader, which says which cell is wrong.
        {QStringLiteral("regressions/runlog/ub-ultralytics-epoch-1e300.txt"),
         QStringLiteral("results.csv:2: malformed row: epoch 1e300 is out of range")},
        // pickles
        {QStringLiteral("corpus/pickle/bad-truncated.pkl"), QStringLiteral("truncated at byte")},
        {QStringLiteral("corpus/pickle/bad-unknown-opcode.pkl"),
         QStringLiteral("out-of-band buffers are not supported")},
        // Ultralytics archives
        {QStringLiteral("corpus/ultralytics/bad-evil-reduce.pt"),
         QStringLiteral("not an Ultralytics model")},
        {QStringLiteral("corpus/ultralytics/bad-no-data-pkl.pt"),
         QStringLiteral("a zip archive without data.pkl")},
        {QStringLiteral("corpus/ultralytics/bad-no-storage-record.pt"),
         QStringLiteral("storage 0 is missing from the archive")},
        {QStringLiteral("corpus/ultralytics/bad-not-detection.pt"),
         QStringLiteral("without an Ultralytics model (keys: a, b)")},
        {QStringLiteral("corpus/ultralytics/bad-truncated.pt"),
         QStringLiteral("damaged or truncated zip archive")},
        // checkpoints
        {QStringLiteral("corpus/checkpoint/bad-crc-mismatch.pt"),
         QStringLiteral("tensor \"rng.cpu\" does not match its checksum")},
        {QStringLiteral("corpus/checkpoint/bad-meta-json.pt"),
         QStringLiteral("damaged metadata: meta.json is not a JSON object")},
        {QStringLiteral("corpus/checkpoint/bad-newer-format.pt"),
         QStringLiteral("written by a newer YoloDeck (checkpoint format 99")},
        {QStringLiteral("corpus/checkpoint/bad-truncated.pt"),
         QStringLiteral("truncated zip archive: its central directory is missing")},
        {QStringLiteral("corpus/checkpoint/bad-unknown-kind.pt"),
         QStringLiteral("unknown checkpoint kind \"partial\"")},
    };
    return rows;
}

// Findings in events.jsonl, which the replay reads leniently (a bad line is skipped, not an error):
// undefined behaviour in loadRunReplay (UBSan), checked here by what the replay makes of them.
const QStringList &acceptedRegressions()
{
    static const QStringList files{
        QStringLiteral("regressions/runlog/ub-batch-epoch-int-min.txt"),
        QStringLiteral("regressions/runlog/ub-batch-step-1e300.txt"),
    };
    return files;
}

RunReplay replayOf(const QString &scratch, const QString &input)
{
    const QString runDir = scratch + QStringLiteral("/replay");
    QDir().mkpath(runDir);
    fuzz::writeRunFolder(runDir,
                         fuzz::splitRunFolderInput(readAll(kFuzzDir + QLatin1Char('/') + input)));
    return loadRunReplay(runDir);
}

} // namespace

class TestFuzzRegressions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyBrokenInputHasARow();
    void brokenInputsGetAClearError_data();
    void brokenInputsGetAClearError();
    void eventsOutOfRangeAreReplayed();
    void acceptedSeedsAreAccepted_data();
    void acceptedSeedsAreAccepted();

private:
    QTemporaryDir m_scratch;
};

void TestFuzzRegressions::everyBrokenInputHasARow()
{
    QStringList onDisk;
    for (const QString &seed : inputsUnder(kFuzzDir + QStringLiteral("/corpus"), isBrokenSeed))
        onDisk << QStringLiteral("corpus/") + seed;
    for (const QString &crash : inputsUnder(kFuzzDir + QStringLiteral("/regressions"), isAnyFile))
        onDisk << QStringLiteral("regressions/") + crash;
    QStringList inTable = acceptedRegressions();
    for (const auto &[input, problem] : expectedProblems())
        inTable << input;
    inTable.sort();
    QCOMPARE(onDisk, inTable);
}

void TestFuzzRegressions::brokenInputsGetAClearError_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("problem");
    for (const auto &[input, problem] : expectedProblems())
        QTest::newRow(qPrintable(input)) << input << problem;
}

void TestFuzzRegressions::brokenInputsGetAClearError()
{
    QFETCH(QString, input);
    QFETCH(QString, problem);
    QVERIFY(m_scratch.isValid());
    const QString path = kFuzzDir + QLatin1Char('/') + input;
    QVERIFY2(QFileInfo::exists(path), qPrintable(path));
    // corpus/<driver>/<file> or regressions/<driver>/<file>
    const QString driver = input.section(QLatin1Char('/'), 1, 1);
    const Verdict verdict =
        Parsers(m_scratch.path()).run(driver, QFileInfo(path).fileName(), readAll(path));
    QVERIFY2(!verdict.message.trimmed().isEmpty(), "the broken input was accepted");
    QVERIFY2(verdict.message.contains(problem), qPrintable(verdict.message));
    QVERIFY2(verdict.message.contains(verdict.file), qPrintable(verdict.message));
}

void TestFuzzRegressions::eventsOutOfRangeAreReplayed()
{
    QVERIFY(m_scratch.isValid());
    // "step": 1e300 does not fit a qint64: the step is unknown (0), the batch still counts.
    const RunReplay step = replayOf(m_scratch.path(), acceptedRegressions().at(1));
    QVERIFY2(step.error.isEmpty(), qPrintable(step.error));
    QCOMPARE(step.batches.size(), size_t(1));
    QCOMPARE(step.batches.front().globalStep, qint64(0));
    // "epoch": INT_MIN lies before the resume point at epoch 1: it is kept, not taken for a batch
    // after it (epoch - 1 wrapped around to INT_MAX).
    const RunReplay epoch = replayOf(m_scratch.path(), acceptedRegressions().at(0));
    QVERIFY2(epoch.error.isEmpty(), qPrintable(epoch.error));
    QCOMPARE(epoch.batches.size(), size_t(1));
    QCOMPARE(epoch.resumeMarkers, std::vector<double>{1.0});
}

void TestFuzzRegressions::acceptedSeedsAreAccepted_data()
{
    QTest::addColumn<QString>("input");
    const QStringList seeds = inputsUnder(kFuzzDir + QStringLiteral("/corpus"), isAcceptedSeed);
    QVERIFY(seeds.size() >= 7 * 2); // every driver has valid seeds
    for (const QString &seed : seeds)
        QTest::newRow(qPrintable(seed)) << seed;
}

void TestFuzzRegressions::acceptedSeedsAreAccepted()
{
    QFETCH(QString, input);
    QVERIFY(m_scratch.isValid());
    const QString path = kFuzzDir + QStringLiteral("/corpus/") + input;
    const QString driver = input.section(QLatin1Char('/'), 0, 0);
    const Verdict verdict =
        Parsers(m_scratch.path()).run(driver, QFileInfo(path).fileName(), readAll(path));
    QVERIFY2(verdict.message.isEmpty(), qPrintable(verdict.message));
}

QTEST_GUILESS_MAIN(TestFuzzRegressions)
#include "tst_fuzzregressions.moc"
