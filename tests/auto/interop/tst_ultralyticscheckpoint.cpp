// Ultralytics .pt files read in C++, checked against what Python PyTorch says about the same files.
// The files are made by tests/auto/interop/make_ultralytics_files.py with /usr/bin/python3 and
// python3-torch: stand-in ultralytics.nn.* classes registered in sys.modules make pickles of the
// same shape as real ones (no download, no ultralytics package). Its manifest.json lists every
// tensor's name, dtype, shape and SHA-256 as Python's state_dict() gives them.

#include "core/checkpoint/checkpointfile.h"
#include "core/checkpoint/checkpointmeta.h"
#include "core/cli/commandline.h"
#include "core/interop/ultralyticscheckpoint.h"
#include "core/train/modelstate.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "ultralyticsfiles.h"
#include <QTextStream>

using namespace yolodeck;

namespace {

QString dtypeName(at::ScalarType t)
{
    switch (t) {
    case at::kHalf:
        return QStringLiteral("float16");
    case at::kFloat:
        return QStringLiteral("float32");
    case at::kDouble:
        return QStringLiteral("float64");
    case at::kLong:
        return QStringLiteral("int64");
    default:
        return QString::fromLatin1(c10::toString(t));
    }
}

QString sha256(const torch::Tensor &t)
{
    const torch::Tensor c = t.contiguous();
    return QString::fromLatin1(
        QCryptographicHash::hash(
            QByteArrayView(static_cast<const char *>(c.data_ptr()), qsizetype(c.nbytes())),
            QCryptographicHash::Sha256)
            .toHex());
}

QJsonArray shapeOf(const torch::Tensor &t)
{
    QJsonArray a;
    for (int64_t s : t.sizes())
        a.append(double(s));
    return a;
}

torch::Tensor readFloats(const QString &path, const QJsonArray &shape)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray raw = f.readAll();
    std::vector<int64_t> sizes;
    for (const QJsonValue &v : shape)
        sizes.push_back(v.toInteger());
    return torch::from_blob(const_cast<char *>(raw.data()), sizes, torch::kFloat).clone();
}

} // namespace

class TestUltralyticsCheckpoint : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void tensorsEqualPython_data();
    void tensorsEqualPython();
    void optimizerStateEqualsPython_data();
    void optimizerStateEqualsPython();
    void forwardPassMatchesPython_data();
    void forwardPassMatchesPython();
    void checkpointApiSeesUltralyticsFiles();
    void refusedWithOneLine_data();
    void refusedWithOneLine();
    void exportedStateDictLoadsInPython_data();
    void exportedStateDictLoadsInPython();

private:
    QString file(const QString &name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
    QJsonObject m_manifest;
};

void TestUltralyticsCheckpoint::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QString failed = makeUltralyticsFiles(m_dir.path());
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    QFile manifest(file(QStringLiteral("manifest.json")));
    QVERIFY(manifest.open(QIODevice::ReadOnly));
    m_manifest = QJsonDocument::fromJson(manifest.readAll()).object();
    QVERIFY(!m_manifest.isEmpty());
}

void TestUltralyticsCheckpoint::tensorsEqualPython_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("tensors");
    QTest::addColumn<QString>("kind");
    // Stripped (model, fp16, epoch -1), protocol 2 with the file's stem as archive prefix.
    QTest::newRow("yolov8n.pt") << QStringLiteral("yolov8n.pt") << 355 << QStringLiteral("weights");
    // Protocol 4 (STACK_GLOBAL, FRAME), prefix best/.
    QTest::newRow("best.pt") << QStringLiteral("best.pt") << 355 << QStringLiteral("weights");
    // Training checkpoint: fp16 EMA, SGD state, numpy best_fitness, namespace args, archive/.
    QTest::newRow("last.pt") << QStringLiteral("last.pt") << 355 << QStringLiteral("full");
    // Protocol 5 with AdamW state.
    QTest::newRow("last-adamw.pt")
        << QStringLiteral("last-adamw.pt") << 355 << QStringLiteral("full");
    // Ultralytics 8.0.x layout: model and EMA both saved, fp32 optimizer state.
    QTest::newRow("8.0 last.pt") << QStringLiteral("runs/detect/train-v8.0/weights/last.pt") << 355
                                 << QStringLiteral("full");
}

void TestUltralyticsCheckpoint::tensorsEqualPython()
{
    QFETCH(QString, name);
    QFETCH(int, tensors);
    QFETCH(QString, kind);
    const QJsonObject expected = m_manifest.value(name).toObject();
    QVERIFY(!expected.isEmpty());
    const Result<ForeignCheckpoint> loaded = loadUltralyticsCheckpoint(file(name));
    QVERIFY2(loaded, qPrintable(loaded.error()));
    const ForeignCheckpoint &ckpt = loaded.value();

    // Every tensor of Python's state_dict(), byte for byte, and nothing else.
    const QJsonObject pyTensors = expected.value(QStringLiteral("tensors")).toObject();
    QCOMPARE(pyTensors.size(), tensors);
    int modelTensors = 0;
    for (const auto &[key, t] : ckpt.tensors)
        modelTensors += key.rfind("model.", 0) == 0;
    QCOMPARE(modelTensors, tensors);
    for (auto it = pyTensors.begin(); it != pyTensors.end(); ++it) {
        const auto found = ckpt.tensors.find("model." + it.key().toStdString());
        QVERIFY2(found != ckpt.tensors.end(), qPrintable(it.key()));
        const QJsonObject py = it.value().toObject();
        QCOMPARE(dtypeName(found->second.scalar_type()),
                 py.value(QStringLiteral("dtype")).toString());
        QCOMPARE(shapeOf(found->second), py.value(QStringLiteral("shape")).toArray());
        QCOMPARE(sha256(found->second), py.value(QStringLiteral("sha256")).toString());
    }
    const bool hasEma = expected.value(QStringLiteral("source")).toString() == QLatin1String("ema");
    QCOMPARE(ckpt.tensors.count("ema.model.0.conv.weight"), size_t(hasEma ? 1 : 0));

    // What the file says about itself.
    const QJsonObject &meta = ckpt.meta;
    QCOMPARE(meta.value(QStringLiteral("source")).toString(), QStringLiteral("ultralytics"));
    QCOMPARE(meta.value(QStringLiteral("kind")).toString(), kind);
    const int epoch = expected.value(QStringLiteral("epoch")).toInt();
    QCOMPARE(meta.value(QStringLiteral("epoch")).toInt(), epoch >= 0 ? epoch + 1 : -1);
    const QJsonObject model = meta.value(QStringLiteral("model")).toObject();
    QCOMPARE(model.value(QStringLiteral("scale")).toString(),
             expected.value(QStringLiteral("scale")).toString());
    QCOMPARE(model.value(QStringLiteral("nc")).toInt(),
             expected.value(QStringLiteral("nc")).toInt());
    QCOMPARE(meta.value(QStringLiteral("names")).toArray(),
             expected.value(QStringLiteral("names")).toArray());
    const QJsonValue bestFitness = expected.value(QStringLiteral("best_fitness"));
    if (bestFitness.isDouble()) // a numpy float64 in the pickle
        QCOMPARE(meta.value(QStringLiteral("best_fitness")).toDouble(), bestFitness.toDouble());
    const QJsonObject u = meta.value(QStringLiteral("ultralytics")).toObject();
    QCOMPARE(u.value(QStringLiteral("version")).toString(),
             expected.value(QStringLiteral("version")).toString());
    // train_args (a dict, or the model's namespace in older files) arrive with their values.
    const QJsonObject args = u.value(QStringLiteral("train_args")).toObject();
    const QJsonObject pyArgs = expected.value(QStringLiteral("train_args")).toObject();
    if (!pyArgs.isEmpty()) {
        QCOMPARE(args.value(QStringLiteral("epochs")), pyArgs.value(QStringLiteral("epochs")));
        QCOMPARE(args.value(QStringLiteral("imgsz")), pyArgs.value(QStringLiteral("imgsz")));
        QCOMPARE(args.value(QStringLiteral("data")), pyArgs.value(QStringLiteral("data")));
    }
}

void TestUltralyticsCheckpoint::optimizerStateEqualsPython_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("optimizer");
    QTest::newRow("SGD") << QStringLiteral("last.pt") << QStringLiteral("SGD");
    QTest::newRow("AdamW") << QStringLiteral("last-adamw.pt") << QStringLiteral("AdamW");
}

void TestUltralyticsCheckpoint::optimizerStateEqualsPython()
{
    QFETCH(QString, name);
    QFETCH(QString, optimizer);
    const Result<ForeignCheckpoint> loaded = loadUltralyticsCheckpoint(file(name));
    QVERIFY2(loaded, qPrintable(loaded.error()));
    const QJsonObject py =
        m_manifest.value(name).toObject().value(QStringLiteral("optimizer")).toObject();
    const QJsonObject state = py.value(QStringLiteral("state")).toObject();
    QVERIFY(state.size() > 100);
    int entries = 0;
    for (auto it = state.begin(); it != state.end(); ++it) {
        const QJsonObject perKey = it.value().toObject();
        for (auto k = perKey.begin(); k != perKey.end(); ++k) {
            const QString ours =
                k.key() == QLatin1String("momentum_buffer") ? QStringLiteral("momentum") : k.key();
            const std::string key = "uoptim." + it.key().toStdString() + "." + ours.toStdString();
            const auto found = loaded.value().tensors.find(key);
            QVERIFY2(found != loaded.value().tensors.end(), key.c_str());
            QCOMPARE(sha256(found->second),
                     k.value().toObject().value(QStringLiteral("sha256")).toString());
            ++entries;
        }
    }
    int uoptim = 0;
    for (const auto &[key, t] : loaded.value().tensors)
        uoptim += key.rfind("uoptim.", 0) == 0;
    QCOMPARE(uoptim, entries);
    const QJsonObject u = loaded.value().meta.value(QStringLiteral("ultralytics")).toObject();
    const QJsonObject opt = u.value(QStringLiteral("optimizer")).toObject();
    QCOMPARE(opt.value(QStringLiteral("name")).toString(), optimizer);
    const QJsonObject group0 =
        py.value(QStringLiteral("param_groups")).toArray().first().toObject();
    QCOMPARE(opt.value(QStringLiteral("lr")).toDouble(),
             group0.value(QStringLiteral("initial_lr")).toDouble());
}

void TestUltralyticsCheckpoint::forwardPassMatchesPython_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("folder");
    QTest::newRow("yolov8n.pt, 80 classes")
        << QStringLiteral("yolov8n.pt") << QStringLiteral("parity");
    QTest::newRow("best.pt, 3 classes")
        << QStringLiteral("best.pt") << QStringLiteral("parity-best");
}

void TestUltralyticsCheckpoint::forwardPassMatchesPython()
{
    // The same weights mean the same network: YoloDeck's YOLOv8 and a Python YOLOv8 written from
    // the published architecture with Ultralytics' module names give the same raw head maps.
    QFETCH(QString, name);
    QFETCH(QString, folder);
    QFile spec(file(folder + QStringLiteral("/parity.json")));
    QVERIFY(spec.open(QIODevice::ReadOnly));
    const QJsonObject parity = QJsonDocument::fromJson(spec.readAll()).object();
    const QJsonObject in = parity.value(QStringLiteral("input")).toObject();
    const torch::Tensor x =
        readFloats(file(folder + QLatin1Char('/') + in.value(QStringLiteral("file")).toString()),
                   in.value(QStringLiteral("shape")).toArray());
    QVERIFY(x.defined());

    Result<LoadedModel> loaded = loadModelForInference(file(name), torch::Device(torch::kCPU));
    QVERIFY2(loaded, qPrintable(loaded.error()));
    torch::NoGradGuard noGrad;
    const std::vector<torch::Tensor> maps = loaded.value().model->forward(x);
    const QJsonArray outputs = parity.value(QStringLiteral("outputs")).toArray();
    QCOMPARE(maps.size(), size_t(outputs.size()));
    for (int k = 0; k < outputs.size(); ++k) {
        const QJsonObject o = outputs[k].toObject();
        const torch::Tensor expected =
            readFloats(file(folder + QLatin1Char('/') + o.value(QStringLiteral("file")).toString()),
                       o.value(QStringLiteral("shape")).toArray());
        QCOMPARE(shapeOf(maps[size_t(k)]), o.value(QStringLiteral("shape")).toArray());
        const double diff = (maps[size_t(k)] - expected).abs().max().item<double>();
        QVERIFY2(diff <= 1e-4,
                 qPrintable(QStringLiteral("level %1: max |diff| %2").arg(k).arg(diff)));
        QVERIFY(expected.abs().max().item<double>() > 1.0); // a real signal, not zeros
        qInfo("%s level %d: max |YoloDeck - Python| = %g", qPrintable(name), k, diff);
    }
}

void TestUltralyticsCheckpoint::checkpointApiSeesUltralyticsFiles()
{
    // The browser, inspect and checkpoints read through readCheckpointInfo/listCheckpoints.
    const CheckpointInfo last = readCheckpointInfo(file(QStringLiteral("last.pt")));
    QVERIFY2(last.isValid(), qPrintable(last.error));
    QCOMPARE(last.source, QStringLiteral("ultralytics"));
    QVERIFY(last.isResumable());
    QCOMPARE(last.epoch, 5);
    QVERIFY(qAbs(last.map50 - 0.6952) < 1e-12);
    const CheckpointInfo pretrained = readCheckpointInfo(file(QStringLiteral("yolov8n.pt")));
    QVERIFY2(pretrained.isValid(), qPrintable(pretrained.error));
    QCOMPARE(pretrained.kind, QStringLiteral("weights"));
    QVERIFY(!pretrained.isResumable());

    const std::vector<CheckpointInfo> run =
        listCheckpoints(file(QStringLiteral("runs/detect/train")));
    QCOMPARE(run.size(), size_t(2));
    QVERIFY(run[0].isValid() && run[1].isValid());
    QCOMPARE(QFileInfo(run[0].path).fileName(), QStringLiteral("best.pt"));
    QCOMPARE(run[0].epoch, 4);
    QCOMPARE(run[1].epoch, 5);
    QVERIFY(qAbs(run[0].fitness - 0.4321) < 1e-9);

    // loadCheckpoint gives YoloDeck's record: weights under "model." (and "ema.").
    const Result<CheckpointData> data = loadCheckpoint(file(QStringLiteral("last.pt")));
    QVERIFY2(data, qPrintable(data.error()));
    QVERIFY(data.value().tensors.count("ema.model.22.dfl.conv.weight"));
    QCOMPARE(data.value().meta.value(QStringLiteral("source")).toString(),
             QStringLiteral("ultralytics"));
}

void TestUltralyticsCheckpoint::refusedWithOneLine_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("reason");
    QTest::newRow("segmentation") << QStringLiteral("seg.pt")
                                  << QStringLiteral("a segmentation model (SegmentationModel); "
                                                    "YoloDeck trains detection models only");
    QTest::newRow("os.system in the pickle")
        << QStringLiteral("bad/evil_reduce.pt") << QStringLiteral("not an Ultralytics model");
    QTest::newRow("no model") << QStringLiteral("bad/not_detection.pt")
                              << QStringLiteral("without an Ultralytics model (keys: a)");
    QTest::newRow("YOLOv5") << QStringLiteral("bad/yolov5_old.pt")
                            << QStringLiteral("(a YOLOv5 checkpoint)");
    QTest::newRow("truncated") << QStringLiteral("bad/truncated.pt")
                               << QStringLiteral("truncated zip archive");
}

void TestUltralyticsCheckpoint::refusedWithOneLine()
{
    QFETCH(QString, name);
    QFETCH(QString, reason);
    const QString path = file(name);
    const CheckpointInfo info = readCheckpointInfo(path);
    QVERIFY(!info.isValid());
    QVERIFY2(info.error.startsWith(QDir::toNativeSeparators(path) + QStringLiteral(": ")),
             qPrintable(info.error));
    QVERIFY2(info.error.contains(reason), qPrintable(info.error));
    QVERIFY(!info.error.contains(QLatin1Char('\n')));
    const Result<CheckpointData> data = loadCheckpoint(path);
    QVERIFY(!data);
    QCOMPARE(data.error(), info.error);
    // The hostile file's os.system('touch .../PWNED') never ran.
    QVERIFY(!QFile::exists(file(QStringLiteral("bad/PWNED"))));
}

void TestUltralyticsCheckpoint::exportedStateDictLoadsInPython_data()
{
    QTest::addColumn<QString>("name");
    QTest::newRow("Ultralytics yolov8n.pt") << QStringLiteral("yolov8n.pt");
    QTest::newRow("Ultralytics last.pt (EMA)") << QStringLiteral("last.pt");
}

void TestUltralyticsCheckpoint::exportedStateDictLoadsInPython()
{
    // export -> torch.load -> the stand-in DetectionModel's load_state_dict(strict=True): no
    // missing or unexpected keys, and every value equal to the source file's weights.
    QFETCH(QString, name);
    const QString out = file(QStringLiteral("export/") + name);
    QString printed, errors;
    QTextStream outStream(&printed), errStream(&errors);
    CommandLine cli(outStream, errStream);
    const int code = cli.run({QStringLiteral("export"), QStringLiteral("model=") + file(name),
                              QStringLiteral("format=state_dict"), QStringLiteral("out=") + out});
    outStream.flush();
    errStream.flush();
    QVERIFY2(code == 0, qPrintable(errors));
    QVERIFY2(printed.contains(QStringLiteral("Exported 355 tensors")), qPrintable(printed));
    QVERIFY(!QDir(file(QStringLiteral("export")))
                 .entryList({QStringLiteral("*.tmp*")}, QDir::Files | QDir::Hidden)
                 .size());

    QProcess python;
    python.start(
        QStringLiteral("/usr/bin/python3"),
        {QStringLiteral(YOLODECK_SOURCE_DIR "/tests/auto/interop/check_exported_state_dict.py"),
         out, file(name)});
    QVERIFY(python.waitForFinished(120000));
    const QByteArray report = python.readAllStandardOutput().trimmed();
    QVERIFY2(python.exitCode() == 0, (report + python.readAllStandardError()).constData());
    const QJsonObject r = QJsonDocument::fromJson(report.split('\n').last()).object();
    QCOMPARE(r.value(QStringLiteral("keys")).toInt(), 355);
    QCOMPARE(r.value(QStringLiteral("missing")).toArray().size(), 0);
    QCOMPARE(r.value(QStringLiteral("unexpected")).toArray().size(), 0);
    QCOMPARE(r.value(QStringLiteral("max_abs_diff")).toDouble(), 0.0);
    QVERIFY(r.value(QStringLiteral("ok")).toBool());

    // A file that cannot be read exports nothing.
    const int bad = cli.run({QStringLiteral("export"),
                             QStringLiteral("model=") + file(QStringLiteral("seg.pt")),
                             QStringLiteral("out=") + file(QStringLiteral("export/seg.pt"))});
    QCOMPARE(bad, 1);
    QVERIFY(!QFile::exists(file(QStringLiteral("export/seg.pt"))));
}

QTEST_GUILESS_MAIN(TestUltralyticsCheckpoint)
#include "tst_ultralyticscheckpoint.moc"
