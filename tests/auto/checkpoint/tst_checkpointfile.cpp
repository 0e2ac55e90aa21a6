// Saving and loading one checkpoint file: exact round trip, metadata without tensors, a clear
// one-line reason for every kind of bad file, and saves that never damage the previous file.

#include "core/checkpoint/checkpointfile.h"
#include "tests/auto/common/testfiles.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cstring>
#include <limits>

using namespace yolodeck;
using namespace yolodeck::testing;

namespace {

const QString kSystemPython = QStringLiteral("/usr/bin/python3");

void writeBytes(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(bytes), bytes.size());
}

QByteArray tensorBytes(const torch::Tensor &t)
{
    const torch::Tensor c = t.contiguous();
    return QByteArray(static_cast<const char *>(c.data_ptr()), c.numel() * c.element_size());
}

// Bytes read by this process so far, including reads served from the page cache.
qint64 bytesReadByProcess()
{
    const QList<QByteArray> lines = readAll(QStringLiteral("/proc/self/io")).split('\n');
    for (const QByteArray &line : lines)
        if (line.startsWith("rchar:"))
            return line.mid(6).trimmed().toLongLong();
    return -1;
}

// A valid zip archive with one stored file, written by hand: a zip that is not PyTorch's.
QByteArray minimalZip()
{
    const QByteArray name = "hello.txt";
    const QByteArray content = "hello from another program\n";
    auto le16 = [](QByteArray &b, quint16 v) { b.append(char(v & 0xFF)).append(char(v >> 8)); };
    auto le32 = [&](QByteArray &b, quint32 v) {
        le16(b, quint16(v & 0xFFFF));
        le16(b, quint16(v >> 16));
    };
    const quint32 crc = crc32(content);
    QByteArray zip;
    le32(zip, 0x04034b50); // local file header
    le16(zip, 10);
    le16(zip, 0);
    le16(zip, 0); // stored
    le16(zip, 0);
    le16(zip, 0);
    le32(zip, crc);
    le32(zip, quint32(content.size()));
    le32(zip, quint32(content.size()));
    le16(zip, quint16(name.size()));
    le16(zip, 0);
    zip += name + content;
    const quint32 centralOffset = quint32(zip.size());
    le32(zip, 0x02014b50); // central directory entry
    le16(zip, 20);
    le16(zip, 10);
    le16(zip, 0);
    le16(zip, 0);
    le16(zip, 0);
    le16(zip, 0);
    le32(zip, crc);
    le32(zip, quint32(content.size()));
    le32(zip, quint32(content.size()));
    le16(zip, quint16(name.size()));
    le16(zip, 0);
    le16(zip, 0);
    le16(zip, 0);
    le16(zip, 0);
    le32(zip, 0);
    le32(zip, 0); // local header offset
    zip += name;
    const quint32 centralSize = quint32(zip.size()) - centralOffset;
    le32(zip, 0x06054b50); // end of central directory
    le16(zip, 0);
    le16(zip, 0);
    le16(zip, 1);
    le16(zip, 1);
    le32(zip, centralSize);
    le32(zip, centralOffset);
    le16(zip, 0);
    return zip;
}

CheckpointData sampleData()
{
    torch::manual_seed(7);
    CheckpointData data;
    data.meta = QJsonObject{
        {QStringLiteral("format"), 1},
        {QStringLiteral("kind"), QStringLiteral("full")},
        {QStringLiteral("epoch"), 12},
        {QStringLiteral("batch"), 3},
        {QStringLiteral("fitness"), 0.4321},
        {QStringLiteral("names"), QJsonArray{QStringLiteral("cat"), QStringLiteral("狗")}}};
    auto &t = data.tensors;
    t["model.backbone.0.conv.weight"] = torch::randn({16, 3, 3, 3});
    t["model.head.bias"] = torch::randn({80}).to(torch::kHalf);
    const torch::Tensor special =
        torch::tensor({0.0f, -0.0f, std::numeric_limits<float>::infinity(),
                       std::numeric_limits<float>::quiet_NaN(), 1e-45f});
    t["model.special"] = special;
    t["optim.step"] = torch::tensor(
        {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(), int64_t(0)});
    t["rng.cpu"] = at::detail::getDefaultCPUGenerator().get_state();
    t["model.mask"] = torch::rand({5, 7}) > 0.5;
    t["empty"] = torch::empty({0});
    t["empty.2d"] = torch::empty({3, 0}, torch::kInt64);
    t["scalar"] = torch::tensor(3.5, torch::kDouble);
    t["transposed"] = torch::randn({4, 6}).t();
    t["view.of.big"] = torch::randn({1000, 100}).slice(0, 10, 12);
    return data;
}

} // namespace

class TestCheckpointFile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void roundTripIsBitExact();
    void metaIsReadWithoutTensors();
    void historyKeptAsTextIsTheFileHistory();
    void badFile_data();
    void badFile();
    void newerFormatIsRefused();
    void damagedTensorBytesAreDetected();
    void failedSaveKeepsPreviousFile_data();
    void failedSaveKeepsPreviousFile();
    void hashCoversValuesAndPrefix();
    void staleTemporariesOfDeadProcessesAreRemoved();

private:
    QTemporaryDir m_dir;
    QString m_python; // files written by Python PyTorch
};

void TestCheckpointFile::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // Written by the real Python PyTorch, because the point is to recognise what users bring:
    // torch.save() of a dict (what Ultralytics' .pt is) and a TorchScript export.
    const QString script = QStringLiteral(
        "import sys, torch\n"
        "torch.save({'model': None, 'epoch': 3, 'train_args': {}}, sys.argv[1] + "
        "'/ultralytics.pt')\n"
        "torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), sys.argv[1] + '/scripted.pt')\n");
    QProcess python;
    python.start(kSystemPython, {QStringLiteral("-c"), script, m_dir.path()});
    QVERIFY2(python.waitForFinished(120000), "python did not finish");
    QVERIFY2(
        python.exitStatus() == QProcess::NormalExit && python.exitCode() == 0,
        qPrintable(QStringLiteral("%1 with PyTorch is required by this test (install "
                                  "python3-torch): %2")
                       .arg(kSystemPython, QString::fromLocal8Bit(python.readAllStandardError()))));
}

void TestCheckpointFile::roundTripIsBitExact()
{
    const CheckpointData data = sampleData();
    const QString path = m_dir.filePath(QStringLiteral("round.trip.pt"));
    const Status saved = saveCheckpointAtomically(path, data);
    QVERIFY2(saved, qPrintable(saved.error()));

    Result<CheckpointData> loaded = loadCheckpoint(path);
    QVERIFY2(loaded, qPrintable(loaded.error()));
    QCOMPARE(loaded.value().meta, data.meta);
    QCOMPARE(loaded.value().tensors.size(), data.tensors.size());
    for (const auto &[key, expected] : data.tensors) {
        const auto found = loaded.value().tensors.find(key);
        QVERIFY2(found != loaded.value().tensors.end(), key.c_str());
        const torch::Tensor &got = found->second;
        QVERIFY2(got.scalar_type() == expected.scalar_type(), key.c_str());
        QVERIFY2(got.sizes() == expected.sizes(), key.c_str());
        QVERIFY2(got.device().is_cpu(), key.c_str());
        QVERIFY2(tensorBytes(got) == tensorBytes(expected), key.c_str());
    }
    // A two-row view of a 100000-element tensor is stored as its two rows, not the whole base.
    const torch::Tensor view = loaded.value().tensors.at("view.of.big");
    QCOMPARE(qint64(view.storage().nbytes()), qint64(200 * sizeof(float)));
}

void TestCheckpointFile::metaIsReadWithoutTensors()
{
    CheckpointData data;
    data.meta = QJsonObject{{QStringLiteral("format"), 1},
                            {QStringLiteral("kind"), QStringLiteral("weights")},
                            {QStringLiteral("epoch"), 4}};
    data.tensors["model.big"] = torch::zeros({8, 1024, 1024}); // 32 MiB
    const QString path = m_dir.filePath(QStringLiteral("big.pt"));
    QVERIFY(saveCheckpointAtomically(path, data));

    const qint64 before = bytesReadByProcess();
    QVERIFY(before >= 0);
    const Result<QJsonObject> meta = readCheckpointMeta(path);
    const qint64 read = bytesReadByProcess() - before;
    QVERIFY2(meta, qPrintable(meta.error()));
    QCOMPARE(meta.value(), data.meta);
    // The archive's central directory and meta.json are a few KiB; the tensor is 32 MiB.
    QVERIFY2(read < 1024 * 1024, qPrintable(QStringLiteral("read %1 bytes").arg(read)));
}

// The trainer keeps the history as text and the file's meta.json has it as "history": loaded with
// the file, left out of a listing's read, and there for Python's json.loads.
void TestCheckpointFile::historyKeptAsTextIsTheFileHistory()
{
    CheckpointData data;
    data.meta = QJsonObject{{QStringLiteral("format"), 1},
                            {QStringLiteral("kind"), QStringLiteral("full")},
                            {QStringLiteral("epoch"), 2},
                            {QStringLiteral("history"), QJsonArray{QStringLiteral("stale")}}};
    data.historyJson = QByteArray(
        R"json([{"epoch":1,"fitness":0.25,"metrics/mAP50(B)":0.5},{"epoch":2,"fitness":0.125}])json");
    data.tensors["model.w"] = torch::arange(6, torch::kFloat32);
    const QString path = m_dir.filePath(QStringLiteral("history.pt"));
    const Status saved = saveCheckpointAtomically(path, data);
    QVERIFY2(saved, qPrintable(saved.error()));

    QJsonObject expected = data.meta;
    expected.insert(QStringLiteral("history"), QJsonDocument::fromJson(data.historyJson).array());
    const Result<CheckpointData> loaded = loadCheckpoint(path);
    QVERIFY2(loaded, qPrintable(loaded.error()));
    QCOMPARE(loaded.value().meta, expected);
    QVERIFY(loaded.value().historyJson.isEmpty());
    QCOMPARE(readCheckpointMeta(path).value(), expected);

    QJsonObject withoutHistory = expected;
    withoutHistory.remove(QStringLiteral("history"));
    const Result<QJsonObject> omitted = readCheckpointMeta(path, MetaHistory::Omit);
    QVERIFY2(omitted, qPrintable(omitted.error()));
    QCOMPARE(omitted.value(), withoutHistory);
    QCOMPARE(readCheckpointInfo(path, MetaHistory::Omit).meta, withoutHistory);
    const std::vector<CheckpointInfo> listed = listCheckpoints(m_dir.path());
    const auto it = std::find_if(listed.begin(), listed.end(), [&](const CheckpointInfo &c) {
        return QFileInfo(c.path).fileName() == QLatin1String("history.pt");
    });
    QVERIFY(it != listed.end());
    QCOMPARE(it->meta, withoutHistory);

    // Without historyJson, meta's own "history" is what is stored.
    CheckpointData plain = data;
    plain.historyJson.clear();
    const QString plainPath = m_dir.filePath(QStringLiteral("history-plain.pt"));
    QVERIFY(saveCheckpointAtomically(plainPath, plain));
    QCOMPARE(readCheckpointMeta(plainPath).value(), plain.meta);

    QProcess python;
    python.start(kSystemPython,
                 {QStringLiteral("-c"),
                  QStringLiteral("import sys, json, torch\n"
                                 "e = {'meta.json': ''}\n"
                                 "torch.jit.load(sys.argv[1], _extra_files=e)\n"
                                 "m = json.loads(e['meta.json'])\n"
                                 "print(m['epoch'], [r['epoch'] for r in m['history']], "
                                 "len(e['meta.json'].splitlines()))\n"),
                  path});
    QVERIFY(python.waitForFinished(120000));
    QCOMPARE(python.exitCode(), 0);
    QCOMPARE(python.readAllStandardOutput().trimmed(), QByteArray("2 [1, 2] 1"));
}

void TestCheckpointFile::badFile_data()
{
    QTest::addColumn<QString>("fileName");
    QTest::addColumn<QString>("expected"); // part of the message

    QTest::newRow("empty") << "empty.pt"
                           << "empty file";
    QTest::newRow("text") << "notes.pt"
                          << "not a PyTorch zip archive";
    QTest::newRow("png") << "image.pt"
                         << "not a PyTorch zip archive";
    QTest::newRow("legacy pickle") << "legacy.pt"
                                   << "old-style PyTorch pickle";
    QTest::newRow("truncated checkpoint") << "half.pt"
                                          << "truncated";
    QTest::newRow("foreign zip") << "other.zip.pt"
                                 << "not a PyTorch file";
    QTest::newRow("ultralytics") << "ultralytics.pt"
                                 << "Ultralytics";
    QTest::newRow("torchscript export") << "scripted.pt"
                                        << "TorchScript model";
    QTest::newRow("folder") << "folder.pt"
                            << "a folder";
    QTest::newRow("missing") << "missing.pt"
                             << "no such file";
}

void TestCheckpointFile::badFile()
{
    QFETCH(QString, fileName);
    QFETCH(QString, expected);
    const QString path = m_dir.filePath(fileName);

    const QString row = QString::fromLatin1(QTest::currentDataTag());
    if (row == QLatin1String("empty"))
        writeBytes(path, {});
    else if (row == QLatin1String("text"))
        writeBytes(path, "epoch: 3\nthis is not a checkpoint\n");
    else if (row == QLatin1String("png"))
        writeBytes(path, QByteArray("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + QByteArray(64, '\1'));
    else if (row == QLatin1String("legacy pickle"))
        // torch.save(..., _use_new_zipfile_serialization=False): pickle protocol 2, then
        // torch's legacy magic number 0x1950a86a20f9469cfc6c as a pickled long.
        writeBytes(path, QByteArray::fromHex("80028a0a6cfc9c46f9206aa8501900"));
    else if (row == QLatin1String("truncated checkpoint")) {
        const QString whole = m_dir.filePath(QStringLiteral("whole.pt"));
        QVERIFY(saveCheckpointAtomically(whole, sampleData()));
        const QByteArray bytes = readAll(whole);
        writeBytes(path, bytes.left(bytes.size() / 2));
    } else if (row == QLatin1String("foreign zip"))
        writeBytes(path, minimalZip());
    else if (row == QLatin1String("folder"))
        QVERIFY(QDir(m_dir.path()).mkpath(fileName));
    if (QTest::currentTestFailed())
        return;

    const Result<QJsonObject> meta = readCheckpointMeta(path);
    const Result<CheckpointData> data = loadCheckpoint(path);
    const CheckpointInfo info = readCheckpointInfo(path);
    QVERIFY(!meta);
    QVERIFY(!data);
    QVERIFY(!info.isValid());
    for (const QString &message : {meta.error(), data.error(), info.error}) {
        QVERIFY2(message.contains(expected), qPrintable(message));
        QVERIFY2(message.contains(fileName), qPrintable(message));
        QVERIFY2(!message.contains(QLatin1Char('\n')), qPrintable(message));
    }
    qInfo().noquote() << data.error();
}

void TestCheckpointFile::newerFormatIsRefused()
{
    CheckpointData data = sampleData();
    data.meta[QStringLiteral("format")] = kCheckpointFormatVersion + 1;
    const QString path = m_dir.filePath(QStringLiteral("future.pt"));
    QVERIFY(saveCheckpointAtomically(path, data));

    QVERIFY(readCheckpointMeta(path)); // the browser can still show what it is
    const Result<CheckpointData> loaded = loadCheckpoint(path);
    QVERIFY(!loaded);
    QVERIFY2(loaded.error().contains(QLatin1String("newer YoloDeck")), qPrintable(loaded.error()));
    QVERIFY2(loaded.error().contains(QLatin1String("future.pt")), qPrintable(loaded.error()));
}

void TestCheckpointFile::damagedTensorBytesAreDetected()
{
    // One flipped bit inside a tensor's bytes: the archive structure is intact, so only the
    // checksum can tell. PyTorch's own reader would load the wrong value silently.
    CheckpointData data;
    data.meta = QJsonObject{{QStringLiteral("format"), 1},
                            {QStringLiteral("kind"), QStringLiteral("full")}};
    data.tensors["model.w"] = torch::arange(1000, torch::kFloat);
    const QString path = m_dir.filePath(QStringLiteral("bitrot.pt"));
    QVERIFY(saveCheckpointAtomically(path, data));
    QVERIFY(loadCheckpoint(path));

    QByteArray bytes = readAll(path);
    const float values[2] = {1.0f, 2.0f};
    const qsizetype at = bytes.indexOf(QByteArray(reinterpret_cast<const char *>(values), 8));
    QVERIFY(at > 0);
    bytes[at + 2] = char(bytes[at + 2] ^ 0x10);
    writeBytes(path, bytes);

    QVERIFY(readCheckpointMeta(path)); // the metadata is still readable for the browser
    const Result<CheckpointData> loaded = loadCheckpoint(path);
    QVERIFY(!loaded);
    QVERIFY2(loaded.error().contains(QLatin1String("\"model.w\" does not match its checksum")),
             qPrintable(loaded.error()));
    QVERIFY2(loaded.error().contains(QLatin1String("bitrot.pt")), qPrintable(loaded.error()));
}

void TestCheckpointFile::failedSaveKeepsPreviousFile_data()
{
    QTest::addColumn<QString>("failure");
    QTest::newRow("parent is a file") << "parent";
    QTest::newRow("undefined tensor") << "tensor";
    QTest::newRow("target is a folder") << "folder";
}

void TestCheckpointFile::failedSaveKeepsPreviousFile()
{
    QFETCH(QString, failure);
    // Tests run as root, so permissions cannot make a folder unwritable: a regular file in the
    // place of the folder, or data the writer must refuse, make the save fail instead.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString last = dir.filePath(QStringLiteral("last.pt"));
    QVERIFY(saveCheckpointAtomically(last, sampleData()));
    const QByteArray before = readAll(last);
    QVERIFY(!before.isEmpty());

    CheckpointData next = sampleData();
    next.meta[QStringLiteral("epoch")] = 13;
    QString target = last;
    if (failure == QLatin1String("parent"))
        target = last + QStringLiteral("/last.pt");
    else if (failure == QLatin1String("tensor"))
        next.tensors["model.undefined"] = torch::Tensor();
    else {
        target = dir.filePath(QStringLiteral("best.pt"));
        QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("best.pt/inside")));
    }

    const Status saved = saveCheckpointAtomically(target, next);
    QVERIFY(!saved);
    QVERIFY2(saved.error().contains(QLatin1String("cannot save")), qPrintable(saved.error()));
    QVERIFY2(!saved.error().contains(QLatin1Char('\n')), qPrintable(saved.error()));
    qInfo().noquote() << saved.error();

    QCOMPARE(readAll(last), before);
    const QStringList left =
        QDir(dir.path()).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot);
    QCOMPARE(left, QStringList{QStringLiteral("last.pt")});
}

// A process killed mid-save leaves its hidden temporary file; the next run removes it, but never
// one that a live process (this one here) may still be writing, nor any other file.
void TestCheckpointFile::staleTemporariesOfDeadProcessesAreRemoved()
{
    QTemporaryDir dir;
    QProcess finished;
    finished.start(QStringLiteral("true"), {});
    QVERIFY(finished.waitForFinished());
    const qint64 deadPid = finished.processId() > 0 ? finished.processId() : 999999;
    const QString dead = QStringLiteral(".last.pt.tmp-%1-7").arg(deadPid);
    const QString live =
        QStringLiteral(".best.pt.tmp-%1-1").arg(QCoreApplication::applicationPid());
    for (const QString &name : {dead, live, QStringLiteral("last.pt"), QStringLiteral(".keep")})
        writeBytes(dir.filePath(name), QByteArray(1000, 'x'));
    const RemovedTemporaries removed = removeStaleTemporaries(dir.path());
    QCOMPARE(removed.names, QStringList{dead});
    QCOMPARE(removed.bytes, qint64(1000));
    QCOMPARE(
        QDir(dir.path()).entryList(QDir::Files | QDir::Hidden, QDir::Name),
        (QStringList{QStringLiteral(".best.pt.tmp-%1-1").arg(QCoreApplication::applicationPid()),
                     QStringLiteral(".keep"), QStringLiteral("last.pt")}));
}

void TestCheckpointFile::hashCoversValuesAndPrefix()
{
    const CheckpointData data = sampleData();
    const QString path = m_dir.filePath(QStringLiteral("hash.pt"));
    QVERIFY(saveCheckpointAtomically(path, data));
    Result<CheckpointData> loaded = loadCheckpoint(path);
    QVERIFY(loaded);

    const Result<QString> original = tensorsHash(data, "model.");
    QVERIFY2(original, qPrintable(original.error()));
    QCOMPARE(original.value().size(), 64);
    QCOMPARE(tensorsHash(loaded.value(), "model.").value(), original.value());

    // Keys outside the prefix do not count; one changed bit inside it does.
    loaded.value().tensors["optim.step"].fill_(1);
    QCOMPARE(tensorsHash(loaded.value(), "model.").value(), original.value());
    loaded.value().tensors["model.backbone.0.conv.weight"].view(-1)[5].add_(1e-6);
    QVERIFY(tensorsHash(loaded.value(), "model.").value() != original.value());

    QVERIFY(tensorsHash(data, "").value() != original.value());
    const Result<QString> none = tensorsHash(data, "nothing.");
    QVERIFY(!none);
    QVERIFY2(none.error().contains(QLatin1String("nothing.")), qPrintable(none.error()));
}

QTEST_GUILESS_MAIN(TestCheckpointFile)
#include "tst_checkpointfile.moc"
