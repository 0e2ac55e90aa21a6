#include "core/checkpoint/checkpointfile.h"
#include "tests/auto/common/testfiles.h"

#include <torch/script.h>
#include <torch/serialize.h>

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <QtTest>

#include <functional>
#include <iterator>
#include <map>

using namespace yolodeck;
using namespace yolodeck::testing;

// Drives every row of catalogue.tsv, the bad-input catalogue that README.md's "Bad input,
// catalogued" table is generated from (scripts/badinputs-table.py).
//
// Each row gets a folder of its own. `setup` builds the bad input there: actions separated by
// " ; ", each a verb and its arguments (paths relative to the row's folder):
//   dataset                  copy the shared synthetic dataset to ds/ (8 train, 4 val, 64 px)
//   run                      copy the shared trained run to run/ (weights/epoch1.pt full,
//                            best.pt and last.pt stripped)
//   write PATH [TEXT]        write TEXT (escapes \n, \t, \\, \xHH); no TEXT: an empty file
//   append PATH TEXT         append TEXT
//   mkdir PATH | remove PATH
//   truncate PATH N|half     keep the first N bytes (or half of them)
//   random PATH N            N random bytes
//   flip PATH                invert the byte in the middle of the file
//   patch PATH OLD NEW       replace the first OLD by NEW (same length) in place
//   spoil DIR                overwrite every file in DIR with text
//   hugepng PATH             a valid PNG header that declares 60000 x 60000 pixels
//   zip PATH                 a zip archive of one text file (not a PyTorch archive)
//   torchsave PATH           a state_dict as torch.save() writes it (another tool's .pt)
//   script PATH              a TorchScript module of another tool
//   meta PATH KEY=JSON       re-save a checkpoint (with the product's own writer) with a meta.json
//                            key (dotted: config.data) set
//   drop PATH PREFIX         re-save a checkpoint without the tensors whose key starts with PREFIX
// Placeholders in setup and command: {case} (the row's folder), {ds} and {run} (the shared
// dataset and run, read only), {train} (the keys of a one-epoch tiny training into runs/r).
//
// `command` runs `yolodeck-cli` in the row's folder. The row passes when the process was not
// killed by a signal, printed nothing of an abort or a raw library error, exited with `exit`, its
// output holds every ` | `-separated fragment of `expect` and the offending `file` (when not "-"),
// and every `after` check holds (" ; "-separated):
//   same PATH      PATH (a file or a whole folder) is byte-identical to before the command
//   absent PATH    PATH was not created
//   jsonl PATH     every line of PATH is JSON or was already there before the command
//   rows PATH N    the CSV file PATH has a header and N complete rows
namespace {

const QLatin1String kActionSeparator(" ; ");
const QLatin1String kFragmentSeparator(" | ");

struct Row
{
    QString id;
    QString area;
    QString input;
    QString setup;
    QString command;
    int exitCode = 0;
    QStringList expect;
    QString file;
    QStringList after;
    QString outcome;
};

struct Outcome
{
    int exitCode = -1;
    bool crashed = false;
    QString output; // stdout and stderr, interleaved
    double seconds = 0;
};

// The keys of the short trainings: one batch per epoch, no warmup or mosaic, one thread (LibTorch's
// OpenMP threads spin, and the rows run two at a time on two cores).
const QString kShortTraining =
    QStringLiteral("imgsz=64 batch=8 nbs=8 epochs=1 warmup_epochs=0 mosaic=0 workers=1 threads=1");

bool writeAll(const QString &path, const QByteArray &bytes,
              QIODevice::OpenMode mode = QIODevice::Truncate)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly | mode) && f.write(bytes) == bytes.size();
}

// Every file under path (or path itself) with its bytes, by path relative to path.
std::map<QString, QByteArray> snapshot(const QString &path)
{
    std::map<QString, QByteArray> files;
    const QFileInfo info(path);
    if (info.isFile()) {
        files.emplace(QString(), readAll(path));
        return files;
    }
    QDirIterator it(path, QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString file = it.next();
        files.emplace(file.mid(path.size()), readAll(file));
    }
    return files;
}

QByteArray unescape(const QString &text)
{
    const QByteArray in = text.toUtf8();
    QByteArray out;
    for (qsizetype i = 0; i < in.size(); ++i) {
        if (in[i] != '\\' || i + 1 == in.size()) {
            out += in[i];
            continue;
        }
        const char c = in[++i];
        if (c == 'n')
            out += '\n';
        else if (c == 't')
            out += '\t';
        else if (c == 'x' && i + 2 < in.size()) {
            out += char(in.mid(i + 1, 2).toInt(nullptr, 16));
            i += 2;
        } else
            out += c;
    }
    return out;
}

QByteArray littleEndian(quint32 value, int bytes)
{
    QByteArray out;
    for (int i = 0; i < bytes; ++i)
        out += char((value >> (8 * i)) & 0xff);
    return out;
}

QByteArray bigEndian32(quint32 value)
{
    QByteArray out;
    for (int i = 3; i >= 0; --i)
        out += char((value >> (8 * i)) & 0xff);
    return out;
}

QByteArray pngChunk(const QByteArray &type, const QByteArray &data)
{
    return bigEndian32(quint32(data.size())) + type + data + bigEndian32(crc32(type + data));
}

// A PNG whose header claims 60000 x 60000 RGB pixels (10 GB decoded) over a few bytes of data.
QByteArray hugePng()
{
    const QByteArray header =
        bigEndian32(60000) + bigEndian32(60000) + QByteArray("\x08\x02\x00\x00\x00", 5);
    return QByteArray("\x89PNG\r\n\x1a\n", 8) + pngChunk("IHDR", header) +
           pngChunk("IDAT", QByteArray("\x78\x9c\x63\x00\x00\x00\x01\x00\x01", 9)) +
           pngChunk("IEND", QByteArray());
}

// A zip archive (stored, one member) that any unzip opens but that is no PyTorch archive.
QByteArray foreignZip()
{
    const QByteArray name = "notes/readme.txt";
    const QByteArray data = "written by some other program\n";
    const quint32 crc = crc32(data);
    auto common = [&] {
        return littleEndian(20, 2) + littleEndian(0, 2) + littleEndian(0, 2) + littleEndian(0, 4) +
               littleEndian(crc, 4) + littleEndian(quint32(data.size()), 4) +
               littleEndian(quint32(data.size()), 4) + littleEndian(quint32(name.size()), 2) +
               littleEndian(0, 2);
    };
    const QByteArray local = littleEndian(0x04034b50, 4) + common() + name + data;
    const QByteArray central = littleEndian(0x02014b50, 4) + littleEndian(20, 2) + common() +
                               littleEndian(0, 2) + littleEndian(0, 2) + littleEndian(0, 2) +
                               littleEndian(0, 4) + littleEndian(0, 4) + name;
    const QByteArray end = littleEndian(0x06054b50, 4) + littleEndian(0, 4) + littleEndian(1, 2) +
                           littleEndian(1, 2) + littleEndian(quint32(central.size()), 4) +
                           littleEndian(quint32(local.size()), 4) + littleEndian(0, 2);
    return local + central + end;
}

bool setMetaKey(QJsonObject &object, const QStringList &path, const QJsonValue &value)
{
    if (path.size() == 1) {
        object.insert(path.first(), value);
        return true;
    }
    QJsonObject child = object.value(path.first()).toObject();
    if (!setMetaKey(child, path.mid(1), value))
        return false;
    object.insert(path.first(), child);
    return true;
}

// Runs one setup action in dir; an empty string means it worked.
QString runAction(const QString &dir, const QString &action, const QString &sharedData,
                  const QString &sharedRun)
{
    const QStringList words = action.split(QLatin1Char(' '));
    const QString verb = words.value(0);
    const QString path = dir + QLatin1Char('/') + words.value(1);
    const QString rest = words.mid(2).join(QLatin1Char(' '));
    auto failed = [&] { return QStringLiteral("setup action failed: ") + action; };

    if (verb == QLatin1String("dataset"))
        return copyTree(sharedData, dir + QStringLiteral("/ds")) ? QString() : failed();
    if (verb == QLatin1String("run"))
        return copyTree(sharedRun, dir + QStringLiteral("/run")) ? QString() : failed();
    if (verb == QLatin1String("write"))
        return writeAll(path, unescape(rest)) ? QString() : failed();
    if (verb == QLatin1String("append"))
        return writeAll(path, unescape(rest), QIODevice::Append) ? QString() : failed();
    if (verb == QLatin1String("mkdir"))
        return QDir().mkpath(path) ? QString() : failed();
    if (verb == QLatin1String("remove")) {
        const bool removed =
            QFileInfo(path).isDir() ? QDir(path).removeRecursively() : QFile::remove(path);
        return removed ? QString() : failed();
    }
    if (verb == QLatin1String("truncate")) {
        QFile f(path);
        const qint64 size = rest == QLatin1String("half") ? f.size() / 2 : rest.toLongLong();
        return f.exists() && f.resize(size) ? QString() : failed();
    }
    if (verb == QLatin1String("random")) {
        QByteArray bytes(rest.toInt(), Qt::Uninitialized);
        QRandomGenerator generator(12345);
        for (char &b : bytes)
            b = char(generator.bounded(256));
        return writeAll(path, bytes) ? QString() : failed();
    }
    if (verb == QLatin1String("flip")) {
        QByteArray bytes = readAll(path);
        if (bytes.isEmpty())
            return failed();
        bytes[bytes.size() / 2] = char(~bytes[bytes.size() / 2]);
        return writeAll(path, bytes) ? QString() : failed();
    }
    if (verb == QLatin1String("patch")) {
        const QByteArray from = words.value(2).toUtf8();
        const QByteArray to = words.value(3).toUtf8();
        QByteArray bytes = readAll(path);
        const qsizetype at = bytes.indexOf(from);
        if (at < 0 || from.size() != to.size())
            return failed();
        bytes.replace(at, from.size(), to);
        return writeAll(path, bytes) ? QString() : failed();
    }
    if (verb == QLatin1String("spoil")) {
        const QStringList files = QDir(path).entryList(QDir::Files);
        for (const QString &name : files)
            if (!writeAll(path + QLatin1Char('/') + name, "spoiled\n"))
                return failed();
        return files.isEmpty() ? failed() : QString();
    }
    if (verb == QLatin1String("hugepng"))
        return writeAll(path, hugePng()) ? QString() : failed();
    if (verb == QLatin1String("zip"))
        return writeAll(path, foreignZip()) ? QString() : failed();
    if (verb == QLatin1String("torchsave")) {
        c10::Dict<std::string, at::Tensor> stateDict;
        stateDict.insert("conv1.weight", torch::ones({8, 3, 3, 3}));
        stateDict.insert("conv1.bias", torch::zeros({8}));
        const std::vector<char> bytes = torch::pickle_save(c10::IValue(stateDict));
        return writeAll(path, QByteArray(bytes.data(), qsizetype(bytes.size()))) ? QString()
                                                                                 : failed();
    }
    if (verb == QLatin1String("script")) {
        torch::jit::Module module(c10::QualifiedName("__torch__.othertool.Detector"));
        module.register_parameter("weight", torch::ones({4, 4}), false);
        module.save(QFile::encodeName(path).toStdString());
        return QFileInfo(path).size() > 0 ? QString() : failed();
    }
    if (verb == QLatin1String("meta") || verb == QLatin1String("drop")) {
        Result<CheckpointData> loaded = loadCheckpoint(path);
        if (!loaded)
            return failed() + QStringLiteral(": ") + loaded.error();
        CheckpointData data = loaded.take();
        if (verb == QLatin1String("meta")) {
            const qsizetype eq = rest.indexOf(QLatin1Char('='));
            const QJsonDocument value =
                QJsonDocument::fromJson("[" + rest.mid(eq + 1).toUtf8() + "]");
            if (eq < 0 || !value.isArray() ||
                !setMetaKey(data.meta, rest.left(eq).split(QLatin1Char('.')),
                            value.array().first()))
                return failed();
        } else {
            const std::string prefix = rest.toStdString();
            for (auto it = data.tensors.begin(); it != data.tensors.end();)
                it = it->first.compare(0, prefix.size(), prefix) == 0 ? data.tensors.erase(it)
                                                                      : std::next(it);
        }
        const Status saved = saveCheckpointAtomically(path, data);
        return saved ? QString() : failed() + QStringLiteral(": ") + saved.error();
    }
    return QStringLiteral("unknown setup verb: ") + action;
}

// What a crash, an abort or an exception that escaped to the user looks like in the output.
const QStringList kCrashSigns = {
    QStringLiteral("terminate called"),
    QStringLiteral("Aborted"),
    QStringLiteral("Segmentation fault"),
    QStringLiteral("core dumped"),
    QStringLiteral("Exception raised from"), // a c10::Error's stack trace
    QStringLiteral("what():"),
    QStringLiteral("OpenCV("),
    QStringLiteral("Assertion")};

} // namespace

class TestBadInputs : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void catalogue_data();
    void catalogue();
    void readmeTableMatchesCatalogue();

private:
    QString expand(const QString &text, const QString &caseDir) const;
    QString catalogueText() const;

    QTemporaryDir m_dir;
    QString m_cli = QStringLiteral(YOLODECK_CLI);
    QString m_sharedData;
    QString m_sharedRun;
    QList<Row> m_rows;
    QStringList m_setupErrors;
    QList<Outcome> m_outcomes;
    // Per row: snapshots taken after setup, before the command, of the paths `after` checks.
    QList<std::map<QString, std::map<QString, QByteArray>>> m_before;
};

QString TestBadInputs::catalogueText() const
{
    return QString::fromUtf8(
        readAll(QStringLiteral(YOLODECK_SOURCE_DIR "/tests/auto/badinputs/catalogue.tsv")));
}

QString TestBadInputs::expand(const QString &text, const QString &caseDir) const
{
    QString out = text;
    out.replace(QLatin1String("{train}"), kShortTraining + QStringLiteral(" project=runs name=r"));
    out.replace(QLatin1String("{case}"), caseDir);
    out.replace(QLatin1String("{ds}"), m_sharedData);
    out.replace(QLatin1String("{run}"), m_sharedRun);
    return out;
}

// Builds the shared dataset and run, builds every row's bad input, then runs all the commands two
// at a time (each is mostly LibTorch's start-up) and keeps their outcomes for catalogue().
void TestBadInputs::initTestCase()
{
    QElapsedTimer timer;
    timer.start();
    QVERIFY(m_dir.isValid());
    QVERIFY2(QFileInfo(m_cli).isExecutable(), qPrintable(m_cli));

    // Parse the catalogue.
    const QStringList lines = catalogueText().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QStringList header;
    for (const QString &line : lines) {
        if (line.startsWith(QLatin1Char('#')))
            continue;
        const QStringList cells = line.split(QLatin1Char('\t'));
        if (header.isEmpty()) {
            header = cells;
            continue;
        }
        QCOMPARE(cells.size(), header.size());
        auto cell = [&](const char *name) { return cells.at(header.indexOf(QLatin1String(name))); };
        Row row;
        row.id = cell("id");
        row.area = cell("area");
        row.input = cell("input");
        row.setup = cell("setup");
        row.command = cell("command");
        bool ok = false;
        row.exitCode = cell("exit").toInt(&ok);
        QVERIFY2(ok, qPrintable(row.id));
        row.expect = cell("expect").split(kFragmentSeparator, Qt::SkipEmptyParts);
        row.file = cell("file");
        if (cell("after") != QLatin1String("-"))
            row.after = cell("after").split(kActionSeparator);
        row.outcome = cell("outcome");
        QVERIFY2(!row.expect.isEmpty(), qPrintable(row.id));
        m_rows.append(row);
    }
    QVERIFY2(m_rows.size() >= 30, "the catalogue promises at least 30 kinds of bad input");

    // The shared inputs: a tiny dataset and a one-epoch run on it, both made by the product.
    m_sharedData = m_dir.filePath(QStringLiteral("shared/ds"));
    m_sharedRun = m_dir.filePath(QStringLiteral("shared/run"));
    QProcess synth;
    synth.setProcessChannelMode(QProcess::MergedChannels);
    synth.start(m_cli, {QStringLiteral("synth"), QStringLiteral("out=") + m_sharedData,
                        QStringLiteral("train=8"), QStringLiteral("val=4"),
                        QStringLiteral("imgsz=64"), QStringLiteral("classes=2")});
    QVERIFY(synth.waitForFinished(60000));
    QVERIFY2(synth.exitCode() == 0, synth.readAll().constData());
    QProcess train;
    train.setProcessChannelMode(QProcess::MergedChannels);
    train.setWorkingDirectory(m_dir.filePath(QStringLiteral("shared")));
    train.start(
        m_cli,
        QStringList{QStringLiteral("train"),
                    QStringLiteral("data=") + m_sharedData + QStringLiteral("/data.yaml"),
                    QStringLiteral("model=tiny"), QStringLiteral("tensorboard=false")} +
            kShortTraining.split(QLatin1Char(' ')) +
            QStringList{QStringLiteral("project=") + m_dir.filePath(QStringLiteral("shared")),
                        QStringLiteral("name=run")});
    QVERIFY(train.waitForFinished(120000));
    QVERIFY2(train.exitCode() == 0, train.readAll().constData());
    for (const char *name : {"epoch1.pt", "best.pt", "last.pt"})
        QVERIFY(QFileInfo::exists(m_sharedRun + QStringLiteral("/weights/") + QLatin1String(name)));
    const double fixtureSeconds = timer.elapsed() / 1000.0;

    // Build every row's input and snapshot what its `after` checks compare.
    m_setupErrors.resize(m_rows.size());
    m_outcomes.resize(m_rows.size());
    m_before.resize(m_rows.size());
    for (qsizetype i = 0; i < m_rows.size(); ++i) {
        const QString caseDir = m_dir.filePath(QStringLiteral("cases/") + m_rows[i].id);
        QVERIFY(QDir().mkpath(caseDir));
        if (m_rows[i].setup != QLatin1String("-")) {
            for (const QString &action : m_rows[i].setup.split(kActionSeparator)) {
                const QString error =
                    runAction(caseDir, expand(action, caseDir), m_sharedData, m_sharedRun);
                if (!error.isEmpty() && m_setupErrors[i].isEmpty())
                    m_setupErrors[i] = error;
            }
        }
        for (const QString &check : m_rows[i].after) {
            const QString path = check.section(QLatin1Char(' '), 1, 1);
            m_before[i][path] = snapshot(caseDir + QLatin1Char('/') + path);
        }
    }

    // Run the commands, two at a time.
    const int parallel = qBound(1, QThread::idealThreadCount(), 2);
    qsizetype next = 0;
    int running = 0;
    QEventLoop loop;
    std::function<void()> startNext = [&] {
        while (running < parallel && next < m_rows.size()) {
            const qsizetype i = next++;
            if (!m_setupErrors[i].isEmpty())
                continue;
            const QString caseDir = m_dir.filePath(QStringLiteral("cases/") + m_rows[i].id);
            auto *process = new QProcess(&loop);
            auto *clock = new QElapsedTimer;
            auto *deadline = new QTimer(process);
            process->setProcessChannelMode(QProcess::MergedChannels);
            process->setWorkingDirectory(caseDir);
            deadline->setSingleShot(true);
            connect(deadline, &QTimer::timeout, process, [this, i, process] {
                m_outcomes[i].crashed = true;
                process->kill();
            });
            connect(process, &QProcess::finished, &loop,
                    [&, i, process, clock](int code, QProcess::ExitStatus status) {
                        Outcome &o = m_outcomes[i];
                        o.exitCode = code;
                        o.crashed = o.crashed || status != QProcess::NormalExit;
                        o.output = QString::fromUtf8(process->readAll());
                        o.seconds = clock->elapsed() / 1000.0;
                        delete clock;
                        process->deleteLater();
                        --running;
                        startNext();
                        if (running == 0 && next == m_rows.size())
                            loop.quit();
                    });
            ++running;
            clock->start();
            deadline->start(120000);
            process->start(
                m_cli,
                expand(m_rows[i].command, caseDir).split(QLatin1Char(' '), Qt::SkipEmptyParts));
        }
    };
    startNext();
    if (running > 0)
        loop.exec();

    double slowest = 0;
    QString slowestId;
    for (qsizetype i = 0; i < m_rows.size(); ++i) {
        if (m_outcomes[i].seconds > slowest) {
            slowest = m_outcomes[i].seconds;
            slowestId = m_rows[i].id;
        }
    }
    qInfo("%lld rows: shared dataset and run %.1f s, all rows %.1f s (slowest %s, %.1f s)",
          qlonglong(m_rows.size()), fixtureSeconds, timer.elapsed() / 1000.0 - fixtureSeconds,
          qPrintable(slowestId), slowest);
}

void TestBadInputs::catalogue_data()
{
    QTest::addColumn<int>("index");
    for (qsizetype i = 0; i < m_rows.size(); ++i)
        QTest::newRow(qPrintable(m_rows[i].id)) << int(i);
}

void TestBadInputs::catalogue()
{
    QFETCH(int, index);
    const Row &row = m_rows[index];
    const Outcome &outcome = m_outcomes[index];
    const QString caseDir = m_dir.filePath(QStringLiteral("cases/") + row.id);
    const QByteArray context = (QStringLiteral("\n$ yolodeck-cli ") + expand(row.command, caseDir) +
                                QStringLiteral("\n") + outcome.output)
                                   .toUtf8();

    QVERIFY2(m_setupErrors[index].isEmpty(), qPrintable(m_setupErrors[index]));
    QVERIFY2(!outcome.crashed, context.constData());
    for (const QString &sign : kCrashSigns)
        QVERIFY2(!outcome.output.contains(sign), context.constData());
    QVERIFY2(
        outcome.exitCode == row.exitCode,
        (QByteArray("exit code ") + QByteArray::number(outcome.exitCode) + context).constData());
    for (const QString &fragment : row.expect)
        QVERIFY2(outcome.output.contains(fragment),
                 (QByteArray("missing: ") + fragment.toUtf8() + context).constData());
    if (row.file != QLatin1String("-"))
        QVERIFY2(
            outcome.output.contains(row.file),
            (QByteArray("the message does not name ") + row.file.toUtf8() + context).constData());

    for (const QString &check : row.after) {
        const QStringList words = check.split(QLatin1Char(' '));
        const QString path = caseDir + QLatin1Char('/') + words.value(1);
        const auto &before = m_before[index].at(words.value(1));
        if (words.first() == QLatin1String("same")) {
            QVERIFY2(!before.empty(), qPrintable(check));
            const auto now = snapshot(path);
            for (const auto &[file, bytes] : before) {
                QVERIFY2(now.count(file) == 1,
                         qPrintable(QStringLiteral("%1: %2 is gone").arg(check, file)));
                QVERIFY2(now.at(file) == bytes,
                         qPrintable(QStringLiteral("%1: %2 changed").arg(check, file)));
            }
            QCOMPARE(now.size(), before.size());
        } else if (words.first() == QLatin1String("absent")) {
            QVERIFY2(!QFileInfo::exists(path), qPrintable(check));
        } else if (words.first() == QLatin1String("jsonl")) {
            const QList<QByteArray> old = before.at(QString()).split('\n');
            const QList<QByteArray> now = readAll(path).split('\n');
            QVERIFY2(now.size() > old.size(),
                     qPrintable(check + QStringLiteral(": nothing added")));
            for (const QByteArray &line : now) {
                QJsonParseError error;
                QJsonDocument::fromJson(line, &error);
                QVERIFY2(line.isEmpty() || error.error == QJsonParseError::NoError ||
                             old.contains(line),
                         (check.toUtf8() + ": a new line that is not JSON: " + line).constData());
            }
        } else if (words.first() == QLatin1String("rows")) {
            const QStringList csv =
                QString::fromUtf8(readAll(path)).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
            QCOMPARE(csv.size() - 1, words.value(2).toInt());
            for (const QString &line : csv)
                QCOMPARE(line.count(QLatin1Char(',')), csv.first().count(QLatin1Char(',')));
        } else {
            QFAIL(qPrintable(QStringLiteral("unknown after check: ") + check));
        }
    }
}

// README.md's table is generated from the catalogue; this keeps the two from drifting apart.
void TestBadInputs::readmeTableMatchesCatalogue()
{
    QProcess script;
    script.start(QStringLiteral("python3"),
                 {QStringLiteral(YOLODECK_SOURCE_DIR "/scripts/badinputs-table.py"),
                  QStringLiteral(YOLODECK_SOURCE_DIR "/tests/auto/badinputs/catalogue.tsv")});
    QVERIFY(script.waitForFinished(30000));
    QVERIFY2(script.exitCode() == 0, script.readAllStandardError().constData());
    const QString table = QString::fromUtf8(script.readAllStandardOutput());
    QVERIFY(table.count(QLatin1Char('\n')) >= m_rows.size() + 2);

    const QString readme =
        QString::fromUtf8(readAll(QStringLiteral(YOLODECK_SOURCE_DIR "/README.md")));
    const QLatin1String begin("<!-- badinputs-table:begin -->\n");
    const QLatin1String end("<!-- badinputs-table:end -->");
    const qsizetype from = readme.indexOf(begin);
    const qsizetype to = readme.indexOf(end);
    QVERIFY2(from >= 0 && to > from, "README.md has no badinputs-table markers");
    QVERIFY2(readme.mid(from + begin.size(), to - from - begin.size()) == table,
             "README.md's bad-input table is stale: run scripts/badinputs-table.py --write");
}

QTEST_GUILESS_MAIN(TestBadInputs)
#include "tst_badinputs.moc"
